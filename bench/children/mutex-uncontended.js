'use strict';
// mutex-uncontended child: one thread, N × (lockSync(); unlock()) on a Mutex
// it creates at offset 0 of the parent's segment (the parent owns and unlinks
// it), `reps` timed repetitions after one untimed
// warm-up of N/10 pairs; sends ns per pair of each repetition, and the same
// loop with an empty body (the loop's own cost, for reference).
// argv: shmName N reps
const { SharedMemory, Mutex } = require('../..');
const { send, fail } = require('./common');

function pairs(m, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    m.lockSync();
    m.unlock();
  }
  return Number(process.hrtime.bigint() - t0) / n;
}

function empty(n) {
  let x = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) x += i & 1;
  const ns = Number(process.hrtime.bigint() - t0) / n;
  if (x < 0) throw new Error('unreachable');
  return ns;
}

async function main() {
  const [shmName, nArg, repsArg] = process.argv.slice(2);
  const N = Number(nArg);
  const reps = Number(repsArg);
  const shm = SharedMemory.open(shmName);
  try {
    const m = Mutex.create(shm, 0);
    pairs(m, Math.ceil(N / 10));
    const ns = [];
    for (let r = 0; r < reps; r++) ns.push(pairs(m, N));
    if (Atomics.load(new BigInt64Array(shm.buffer.buffer, shm.buffer.byteOffset, 1), 0) !== 0n) throw new Error('mutex left locked');
    const emptyNs = empty(N);
    await send({ type: 'result', nsPerPair: ns, emptyLoopNs: emptyNs });
  } finally {
    shm.close();
  }
  process.disconnect();
}

main().catch(fail);
