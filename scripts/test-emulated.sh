#!/usr/bin/env bash
# The Mutex suite's cross-process cases with every fixture process running
# under CPU emulation (qemu-user's qemu-x86_64 running this machine's own
# Node), as Docker Desktop runs linux/amd64 images on Apple Silicon and as an
# arm64 build is tested on an x86 machine. The emulator answers a process's
# reads of its own /proc files itself: races under every lock, kill -9
# take-over, stopped, zombie and busy holders, and the proof of death must all
# hold there too. jest runs natively; the processes it forks (and the zombie
# holder it starts through sh) run emulated (test/helpers.ts: SHMEM_TEST_NODE).
#   needs: apt-get install qemu-user
set -euo pipefail
cd "$(dirname "$0")/.."
qemu=${QEMU_X86_64:-qemu-x86_64}
command -v "$qemu" >/dev/null || { echo "test-emulated: $qemu not found (apt-get install qemu-user)"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# exec: the emulator keeps the pid that the test signals (SIGKILL, SIGSTOP).
printf '#!/bin/sh\nexec %s %s "$@"\n' "$(command -v "$qemu")" "$(command -v node)" > "$dir/node"
chmod +x "$dir/node"
echo "== $("$qemu" --version | head -1): $("$dir/node" -p 'process.version + " " + process.arch') emulated"
SHMEM_TEST_NODE="$dir/node" npx jest test/mutex-race.test.ts test/mutex-robust.test.ts test/mutex.test.ts test/mutex-proof.test.ts
