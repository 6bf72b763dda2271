#!/usr/bin/env bash
# npm run test:sanitize: the whole jest suite against the addon built with
# AddressSanitizer and UndefinedBehaviorSanitizer (gcc). The build happens in a
# copy of the tracked files, so build/Release here stays the normal addon.
# Node itself is not instrumented: the sanitizer runtimes are preloaded
# (inherited by every forked child and worker), any report aborts the process
# that made it (so the test that caused it fails), and LeakSanitizer is off
# (Node does not free everything at exit; scripts/leak-check.js covers leaks).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
chmod 755 "$work"  # a test runs the CLI as the user nobody
trap 'rm -rf "$work"' EXIT
git ls-files -z | (cd "$root" && xargs -0 cp --parents -t "$work")
ln -s "$root/node_modules" "$work/node_modules"
cd "$work"

flags="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g -O1"
CXXFLAGS="$flags" CFLAGS="$flags" LDFLAGS="-fsanitize=address,undefined" npm run --silent build:native >build.log 2>&1 ||
  { cat build.log; exit 1; }
npx tsc -p tsconfig.json

export LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
export ASAN_OPTIONS="detect_leaks=0,handle_segv=0,allow_user_segv_handler=1,abort_on_error=1,detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1,halt_on_error=1"

# The instrumented addon is the one loaded, with the runtimes in place.
node -e '
  const { SharedMemory } = require("./");
  const maps = require("fs").readFileSync("/proc/self/maps", "utf8");
  if (!/libasan/.test(maps) || !/libubsan/.test(maps)) { console.error("sanitizer runtimes not loaded"); process.exit(1); }
  const s = SharedMemory.create({ size: 8 }); s.close(); s.unlink();
  const addon = maps.split("\n").find((l) => l.endsWith("shmem.node")).split(/\s+/).pop();
  if (!addon.startsWith(process.cwd())) { console.error("not the instrumented addon:", addon); process.exit(1); }
  console.log("test:sanitize: ASan+UBSan addon", addon);
'
npx jest "$@"
