'use strict';
// Row counter-mutex: 2 forked processes × K increments of a shared 8-byte
// counter under a Mutex (lockSync(); counter += 1n; unlock()), the Mutex at
// offset 0 and the counter at byte 64 (its own cache line).
// Baselines in the same run, interleaved with it: Python multiprocessing.Lock
// doing the same (bench/python/counter_race.py --mode lock-q), and the
// counter-semaphore row's Semaphore counter (the same loop under a Semaphore).
// Time = 'go' sent → last 'done' received, on the parent's clock.

const { SharedMemory, Mutex } = require('..');
const { stats, nowMs, owned, forkChild, check } = require('./lib');
const { semaphoreOnce, pythonOnce } = require('./counter-semaphore');

const P = 2;

async function mutexOnce(K) {
  const [shm, release] = owned(() => SharedMemory.create({ size: 4096 }));
  const children = [];
  try {
    Mutex.create(shm, 0);
    const counter = new BigInt64Array(shm.buffer.buffer, shm.buffer.byteOffset + 64, 1);
    for (let i = 0; i < P; i++) children.push(forkChild('counter-mutex.js', [shm.name, K]));
    await Promise.all(children.map((c) => c.next('ready')));
    const t0 = nowMs();
    for (const c of children) c.send({ type: 'go' });
    await Promise.all(children.map((c) => c.next('done')));
    const ms = nowMs() - t0;
    await Promise.all(children.map((c) => c.exit()));
    const final = Number(counter[0]);
    if (final !== P * K) throw new Error(`counter-mutex: final ${final}, expected ${P * K}`);
    if (Atomics.load(new BigInt64Array(shm.buffer.buffer, shm.buffer.byteOffset, 1), 0) !== 0n) throw new Error('counter-mutex: mutex left locked');
    return (P * K) / (ms / 1000);
  } finally {
    for (const c of children) c.kill();
    release();
  }
}

module.exports = {
  name: 'counter-mutex',
  async run({ quick, log }) {
    const K = quick ? 100_000 : 1_000_000;
    const reps = quick ? 2 : 5;
    const pyReps = quick ? 1 : 3;
    const mx = [];
    const sem = [];
    const py = [];
    // Interleaved so that a noisy period hits every variant alike.
    for (let i = 0; i < reps; i++) {
      mx.push(await mutexOnce(K));
      sem.push(await semaphoreOnce(K));
      if (i < pyReps) py.push(pythonOnce(K));
      log(`  rep ${i + 1}/${reps}: mutex ${Math.round(mx[i])}/s, semaphore ${Math.round(sem[i])}/s` +
        `${i < pyReps ? `, python ${py[i]}/s` : ''}`);
    }
    const result = {
      row: 'counter-mutex',
      metric: 'increments/s',
      unit: 'incr/s',
      params: { processes: P, incrementsPerProcess: K, counterBytes: 8, mutexOffset: 0, counterOffset: 64 },
      value: stats(mx),
      baselines: [
        { name: 'python Lock', unit: 'incr/s', value: stats(py), params: { script: 'counter_race.py --mode lock-q', K } },
        { name: 'Semaphore', unit: 'incr/s', value: stats(sem), params: { row: 'counter-semaphore', K } },
      ],
    };
    result.ratio = result.value.median / result.baselines[0].value.median;
    result.ratioVs = 'python';
    const vsSemaphore = result.value.median / result.baselines[1].value.median;
    result.ratioVsSemaphore = vsSemaphore;
    result.targets = [
      check({ of: 'value', op: '>=', threshold: 15e6 }, result),
      check({ of: 'ratio', op: '>=', threshold: 8 }, result),
      // Against the second baseline: the table's ratio column is against python.
      { of: 'ratio', against: 'Semaphore', op: '>=', threshold: 4, actual: vsSemaphore, met: vsSemaphore >= 4,
        label: `vs Semaphore ≥ 4× (is ${vsSemaphore.toFixed(2)}×)` },
    ];
    result.met = result.targets.every((t) => t.met);
    result.notes = [`${result.ratio.toFixed(2)}× python's multiprocessing.Lock, ${vsSemaphore.toFixed(2)}× the Semaphore counter (same run, interleaved)`];
    return [result];
  },
};
