'use strict';
// counter-atomics child: K × Atomics.add(i32, 0, 1) on an Int32Array, the same
// loop function in both variants.
//  * forked process (argv: shmName goSemName doneSemName K): attaches to the
//    segment and the two semaphores by name, sends 'ready' over IPC, then
//    blocks in go.waitSync(), loops, and posts done.
//  * worker thread (workerData: { sab, K }): sends 'ready', then blocks in
//    Atomics.wait on the go word (i32[1]), loops, bumps the done word (i32[2])
//    and notifies.
// Start and end are signalled through shared memory (futex wake-ups) in both,
// so that the row measures the shared counter, not the latency of
// child_process IPC against a MessagePort.
const { isMainThread, parentPort, workerData } = require('node:worker_threads');

function loop(i32, K) {
  for (let i = 0; i < K; i++) Atomics.add(i32, 0, 1);
}

if (isMainThread) {
  const { SharedMemory, Semaphore } = require('../..');
  const { send, fail } = require('./common');
  (async () => {
    const [shmName, goName, doneName, kArg] = process.argv.slice(2);
    const shm = SharedMemory.open(shmName);
    const go = Semaphore.open(goName);
    const done = Semaphore.open(doneName);
    try {
      const i32 = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, 1);
      await send({ type: 'ready' });
      go.waitSync();
      loop(i32, Number(kArg));
      done.post();
    } finally {
      done.close();
      go.close();
      shm.close();
    }
    process.disconnect();
  })().catch(fail);
} else {
  const i32 = new Int32Array(workerData.sab, 0, 3);
  parentPort.postMessage({ type: 'ready' });
  Atomics.wait(i32, 1, 0);
  loop(i32, workerData.K);
  Atomics.add(i32, 2, 1);
  Atomics.notify(i32, 2);
}
