'use strict';
// struct child: the article's counter, K increments of an 8-byte counter
// under a lock, two ways over the same bytes (a Mutex at 0, the counter at 64):
//   struct  a Struct view: s.lock.lockSync(); s.count += 1n; s.lock.unlock()
//   hand    by hand: m.lockSync(); c[0] += 1n; m.unlock() (Mutex + BigUint64Array)
// argv: shmName K MODE
const { SharedMemory, Mutex } = require('../..');
const { nextMessage, send, fail } = require('./common');
const { Counter } = require('../struct-layout');

async function main() {
  const [shmName, kArg, mode] = process.argv.slice(2);
  const K = Number(kArg);
  const shm = SharedMemory.open(shmName);
  try {
    if (mode === 'struct') {
      const s = Counter.attach(shm, 0);
      await send({ type: 'ready' });
      await nextMessage('go');
      for (let i = 0; i < K; i++) {
        s.lock.lockSync();
        s.count += 1n;
        s.lock.unlock();
      }
    } else {
      const m = Mutex.attach(shm, 0);
      const c = new BigUint64Array(shm.buffer.buffer, shm.buffer.byteOffset + Counter.offsetOf('count'), 1);
      await send({ type: 'ready' });
      await nextMessage('go');
      for (let i = 0; i < K; i++) {
        m.lockSync();
        c[0] += 1n;
        m.unlock();
      }
    }
    await send({ type: 'done' });
  } finally {
    shm.close();
  }
  process.disconnect();
}

main().catch(fail);
