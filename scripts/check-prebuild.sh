#!/usr/bin/env bash
# Builds the prebuilds (npm run prebuilds), packs the package (which must hold
# linux-x64, linux-arm64 and win32-x64), installs the tarball into an empty
# project with no compiler, make or python in PATH, and checks that shmem
# loads the x64 prebuild and works (scripts/test-arm64.sh does it for arm64).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
npm run prebuilds
tarball=$(npm pack --silent | tail -n 1)
contents=$(tar tzf "$tarball")
for p in linux-x64/shmem.glibc.node linux-arm64/shmem.glibc.node win32-x64/shmem.node; do
  case "$contents" in *"package/prebuilds/$p"*) ;; *) echo "no prebuilds/$p in $tarball"; exit 1 ;; esac
done

consumer=$(mktemp -d)
trap 'rm -rf "$consumer" "$root/$tarball"' EXIT
mkdir "$consumer/bin"
# Only what npm needs to run: no cc, gcc, g++, make, python3.
for b in node npm sh env; do ln -s "$(command -v "$b")" "$consumer/bin/$b"; done
cd "$consumer"
env -i HOME="$HOME" PATH="$consumer/bin" sh -c 'for c in cc gcc g++ c++ make python3; do if command -v $c >/dev/null; then echo "$c is in PATH"; exit 1; fi; done'
env -i HOME="$HOME" PATH="$consumer/bin" npm init -y >/dev/null
env -i HOME="$HOME" PATH="$consumer/bin" npm install --no-audit --no-fund "$root/$tarball" >/dev/null
env -i HOME="$HOME" PATH="$consumer/bin" node -e '
  const path = require("path");
  const { SharedMemory, Semaphore, Mutex } = require("shmem");
  const root = path.dirname(require.resolve("shmem/package.json"));
  const loaded = require("node-gyp-build").path(root);
  if (!loaded.includes(path.join("prebuilds", "linux-x64"))) throw new Error("loaded " + loaded + ", not the prebuild");
  const shm = SharedMemory.create({ size: 64 });
  const m = Mutex.create(shm, 0);
  m.withLockSync(() => { shm.buffer[32] = 7; });
  const sem = Semaphore.create();
  if (!sem.tryWait() || shm.buffer[32] !== 7) throw new Error("does not work");
  sem.close(); sem.unlink(); shm.close(); shm.unlink();
  console.log("prebuild loaded without a compiler:", path.relative(root, loaded));
'
