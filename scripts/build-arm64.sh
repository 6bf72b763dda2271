#!/usr/bin/env bash
# Cross-compiles the addon for Linux arm64 (Graviton, Raspberry Pi 4/5, arm64
# containers) on this x64 machine with Debian's g++-aarch64-linux-gnu, into
# prebuilds/linux-arm64/shmem.glibc.node: prebuildify --napi, against the Node
# headers on this machine (npm's nodedir), nothing downloaded. It builds in a
# copy of the sources, so that ./build keeps this machine's own addon.
#   needs: apt-get install g++-aarch64-linux-gnu
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
command -v aarch64-linux-gnu-g++ >/dev/null || { echo "build-arm64: aarch64-linux-gnu-g++ not found (apt-get install g++-aarch64-linux-gnu)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r binding.gyp package.json src-native "$work/"
ln -s "$root/node_modules" "$work/node_modules"
# The headers node-gyp builds against: npm's nodedir (/usr here), as npm scripts pass it.
export npm_config_nodedir=${npm_config_nodedir:-$(npm config get nodedir)}
(cd "$work" && CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar \
  npm exec --offline -- prebuildify --napi --strip --tag-libc --arch arm64 --strip-bin aarch64-linux-gnu-strip --quiet)
mkdir -p prebuilds/linux-arm64
cp "$work"/prebuilds/linux-arm64/*.node prebuilds/linux-arm64/
file=prebuilds/linux-arm64/shmem.glibc.node
echo "built $file ($(stat -c %s "$file") bytes; needs glibc $(aarch64-linux-gnu-objdump -T "$file" | grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1 | cut -d_ -f2)+)"
