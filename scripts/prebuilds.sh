#!/usr/bin/env bash
# `npm run prebuilds`: prebuilds/linux-x64 (prebuildify --napi) and, where the
# cross compilers are installed, prebuilds/linux-arm64 (g++-aarch64-linux-gnu:
# scripts/build-arm64.sh) and prebuilds/win32-x64 (mingw-w64: scripts/build-win.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
prebuildify --napi --strip --tag-libc
if command -v aarch64-linux-gnu-g++ >/dev/null; then
  scripts/build-arm64.sh
else
  echo "prebuilds: linux-arm64 skipped (no cross compiler: apt-get install g++-aarch64-linux-gnu)"
fi
if command -v x86_64-w64-mingw32-g++-posix >/dev/null; then
  scripts/build-win.sh
else
  echo "prebuilds: win32-x64 skipped (no mingw-w64: apt-get install g++-mingw-w64-x86-64-posix)"
fi
