'use strict';
// lifecycle row, reference "outside the kernel": shmem's own create and open
// loops (bench/lifecycle.js), in a process where bench/c/no_kernel_shm.c is
// preloaded and answers the segment system calls in user space. The time per
// cycle is then what Node, Node-API and shmem's code cost, with no kernel
// work. The same cycles straight on the native binding (no JavaScript class)
// show how much of that is the class. Prints one JSON line:
// { createCloseUnlinkUs, openCloseUs, bindingCreateCloseUnlinkUs, bindingOpenCloseUs }.
//
//   LD_PRELOAD=no_kernel_shm.so node lifecycle-no-kernel.js <n>
const fs = require('node:fs');
const { SharedMemory } = require('../..');
const { native } = require('../../dist/binding');
const { createLoop, openLoop } = require('../lifecycle').loops;

const n = Number(process.argv[2]) || 20000;

// Refuse to run for real: with the library preloaded nothing appears in /dev/shm.
const probe = SharedMemory.create({ size: 4096 });
const real = fs.existsSync(`/dev/shm/${probe.name}`);
probe.close();
probe.unlink();
if (real) {
  process.stderr.write('lifecycle-no-kernel: no_kernel_shm.so is not preloaded (a real segment was made)\n');
  process.exit(1);
}

/** µs per create+close+unlink and per open+close, calling the binding directly. */
function bindingLoops(count) {
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const name = `/nk_${i}`;
    native.shmClose(native.shmCreate(name, 4096, 0o600).buffer);
    native.shmUnlink(name);
  }
  const create = Number(process.hrtime.bigint() - t0) / 1e3 / count;
  const base = native.shmCreate('/nk_base', 4096, 0o600);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) native.shmClose(native.shmOpen('/nk_base').buffer);
  const open = Number(process.hrtime.bigint() - t0) / 1e3 / count;
  native.shmClose(base.buffer);
  return { create, open };
}

createLoop(500); // warm-up (JIT), as in the row itself
openLoop(500);
bindingLoops(500);
const create = createLoop(n);
const open = openLoop(n);
const bare = bindingLoops(n);
process.stdout.write(
  `${JSON.stringify({ createCloseUnlinkUs: 1e6 / create, openCloseUs: 1e6 / open, bindingCreateCloseUnlinkUs: bare.create, bindingOpenCloseUs: bare.open })}\n`,
);
