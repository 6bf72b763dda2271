#!/usr/bin/env bash
# `npm run prebuilds`: prebuilds/linux-x64 (prebuildify --napi) and, where
# mingw-w64 is installed, prebuilds/win32-x64 (scripts/build-win.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
prebuildify --napi --strip --tag-libc
if command -v x86_64-w64-mingw32-g++-posix >/dev/null; then
  scripts/build-win.sh
else
  echo "prebuilds: win32-x64 skipped (no mingw-w64: apt-get install g++-mingw-w64-x86-64-posix)"
fi
