#!/usr/bin/env bash
# Cross-compiles the addon for Windows x64 on Linux with Debian's mingw-w64,
# into prebuilds/win32-x64/shmem.node: the Node-API functions are imported
# from node.exe through an import library made from node-api-headers' .def;
# libgcc, libstdc++ and winpthread are linked statically, so the DLL needs
# nothing but node.exe and Windows' own DLLs.
#   needs: apt-get install g++-mingw-w64-x86-64-posix (and npm for node-api-headers)
set -euo pipefail
cd "$(dirname "$0")/.."
cxx=${CXX_WIN:-x86_64-w64-mingw32-g++-posix}
dlltool=${DLLTOOL_WIN:-x86_64-w64-mingw32-dlltool}
command -v "$cxx" >/dev/null || { echo "build-win: $cxx not found (apt-get install g++-mingw-w64-x86-64-posix)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent node-api-headers >/dev/null && tar xzf node-api-headers-*.tgz)
headers="$work/package"
"$dlltool" -d "$headers/def/node_api.def" -l "$work/libnode.a" -D node.exe

# The sources binding.gyp lists for Windows.
mapfile -t sources < <(scripts/gyp-sources.py win)
objs=()
for src in "${sources[@]}"; do
  obj="$work/$(basename "$src" .cc).o"
  "$cxx" -std=c++17 -O2 -c "$src" -o "$obj" \
    -I"$headers/include" -Inode_modules/node-addon-api \
    -DNAPI_VERSION=8 -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS -DNAPI_CPP_EXCEPTIONS -DBUILDING_NODE_EXTENSION -D_WIN32_WINNT=0x0A00
  objs+=("$obj")
done
mkdir -p prebuilds/win32-x64
"$cxx" -shared -static -static-libgcc -static-libstdc++ -s -o prebuilds/win32-x64/shmem.node "${objs[@]}" -L"$work" -lnode
echo "built prebuilds/win32-x64/shmem.node ($(stat -c %s prebuilds/win32-x64/shmem.node) bytes)"
