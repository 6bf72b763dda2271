'use strict';
// counter-mutex child: attaches to the segment by name and to the Mutex at
// offset 0, then does K × (lockSync(); counter += 1; unlock()) on an 8-byte
// counter at byte 64 (its own cache line, apart from the lock word).
// argv: shmName K
const { SharedMemory, Mutex } = require('../..');
const { nextMessage, send, fail, increment8 } = require('./common');

async function main() {
  const [shmName, kArg] = process.argv.slice(2);
  const K = Number(kArg);
  const shm = SharedMemory.open(shmName);
  try {
    const m = Mutex.attach(shm, 0);
    const counter = new Uint32Array(shm.buffer.buffer, shm.buffer.byteOffset + 64, 2);
    await send({ type: 'ready' });
    await nextMessage('go');
    for (let i = 0; i < K; i++) {
      m.lockSync();
      increment8(counter);
      m.unlock();
    }
    await send({ type: 'done' });
  } finally {
    shm.close();
  }
  process.disconnect();
}

main().catch(fail);
