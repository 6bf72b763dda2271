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

# The same sources as binding.gyp's OS=="win" branch.
sources=(addon errors shm_binding sem_binding async_wait mutex_binding mutex_core exit_unlink
         shm_win32 sem_win32 futex_win32 owner_win32 ring_waits_other)
objs=()
for s in "${sources[@]}"; do
  "$cxx" -std=c++17 -O2 -c "src-native/$s.cc" -o "$work/$s.o" \
    -I"$headers/include" -Inode_modules/node-addon-api \
    -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DBUILDING_NODE_EXTENSION -D_WIN32_WINNT=0x0A00
  objs+=("$work/$s.o")
done
mkdir -p prebuilds/win32-x64
"$cxx" -shared -static -static-libgcc -static-libstdc++ -s -o prebuilds/win32-x64/shmem.node "${objs[@]}" -L"$work" -lnode
echo "built prebuilds/win32-x64/shmem.node ($(stat -c %s prebuilds/win32-x64/shmem.node) bytes)"
