'use strict';
// counter-semaphore child: attaches to the segment and the semaphore by name,
// then does K × (waitSync(); counter += 1; post()) on an 8-byte counter.
// argv: shmName semName K
const { SharedMemory, Semaphore } = require('../..');
const { nextMessage, send, fail, increment8 } = require('./common');

async function main() {
  const [shmName, semName, kArg] = process.argv.slice(2);
  const K = Number(kArg);
  const shm = SharedMemory.open(shmName);
  const sem = Semaphore.open(semName);
  try {
    const counter = new Uint32Array(shm.buffer.buffer, shm.buffer.byteOffset, 2);
    await send({ type: 'ready' });
    await nextMessage('go');
    for (let i = 0; i < K; i++) {
      sem.waitSync();
      increment8(counter);
      sem.post();
    }
    await send({ type: 'done' });
  } finally {
    sem.close();
    shm.close();
  }
  process.disconnect();
}

main().catch(fail);
