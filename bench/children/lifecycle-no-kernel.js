'use strict';
// lifecycle row, reference "outside the kernel": shmem's own create and open
// loops (bench/lifecycle.js), in a process where bench/c/no_kernel_shm.c is
// preloaded and answers the segment system calls in user space. The time per
// cycle is then what Node, Node-API and shmem's code cost, with no kernel
// work. Prints one JSON line: { createCloseUnlinkUs, openCloseUs }.
//
//   LD_PRELOAD=no_kernel_shm.so node lifecycle-no-kernel.js <n>
const fs = require('node:fs');
const { SharedMemory } = require('../..');
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

createLoop(500); // warm-up (JIT), as in the row itself
openLoop(500);
const create = createLoop(n);
const open = openLoop(n);
process.stdout.write(`${JSON.stringify({ createCloseUnlinkUs: 1e6 / create, openCloseUs: 1e6 / open })}\n`);
