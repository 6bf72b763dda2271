'use strict';
// Row 1, counter-semaphore: 2 forked processes × K increments of a shared
// 8-byte counter under a Semaphore (waitSync(); counter += 1; post()).
// Baselines in the same run: Python multiprocessing.Lock + SharedMemory doing
// the same (bench/python/counter_race.py --mode lock-q), and a process.send
// counter (one IPC round trip per increment, fewer iterations, as a rate).
// Time = 'go' sent → last 'done' received, on the parent's clock.

const { SharedMemory, Semaphore } = require('..');
const { stats, nowMs, owned, forkChild, runPython, check } = require('./lib');

const P = 2;

/** Starts children, waits for every 'ready', sends 'go', returns ms until the last 'done'. */
async function race(children) {
  try {
    await Promise.all(children.map((c) => c.next('ready')));
    const t0 = nowMs();
    for (const c of children) c.send({ type: 'go' });
    await Promise.all(children.map((c) => c.next('done')));
    const ms = nowMs() - t0;
    await Promise.all(children.map((c) => c.exit()));
    return ms;
  } finally {
    for (const c of children) c.kill();
  }
}

async function semaphoreOnce(K) {
  const [shm, releaseShm] = owned(() => SharedMemory.create({ size: 4096 }));
  try {
    const [sem, releaseSem] = owned(() => Semaphore.create({ value: 1 }));
    try {
      const counter = new BigInt64Array(shm.buffer.buffer, shm.buffer.byteOffset, 1);
      const children = [];
      for (let i = 0; i < P; i++) children.push(forkChild('counter-semaphore.js', [shm.name, sem.name, K]));
      const ms = await race(children);
      const final = Number(counter[0]);
      if (final !== P * K) throw new Error(`counter-semaphore: final ${final}, expected ${P * K}`);
      return (P * K) / (ms / 1000);
    } finally {
      releaseSem();
    }
  } finally {
    releaseShm();
  }
}

async function ipcOnce(K) {
  let counter = 0;
  const handlers = {
    inc: (m, child) => {
      counter += 1;
      child.send({ type: 'ack' });
    },
  };
  const children = [];
  for (let i = 0; i < P; i++) children.push(forkChild('counter-ipc.js', [K], { handlers }));
  const ms = await race(children);
  if (counter !== P * K) throw new Error(`counter-ipc: final ${counter}, expected ${P * K}`);
  return (P * K) / (ms / 1000);
}

// MODE: counter_race.py's --mode (lock-q: an 8-byte counter under a Lock;
// the struct row uses lock-bytes, the article's int.from_bytes/to_bytes).
function pythonOnce(K, mode = 'lock-q') {
  const r = runPython('counter_race.py', ['--mode', mode, '--P', P, '--K', K]);
  if (r.lost !== 0) throw new Error(`counter_race.py lost ${r.lost} increments`);
  return r.opsPerSec;
}

module.exports = {
  name: 'counter-semaphore',
  // Also run by counter-mutex, whose baselines these are, in its own run.
  semaphoreOnce,
  pythonOnce,
  async run({ quick, log }) {
    const K = quick ? 100_000 : 1_000_000;
    const KIPC = quick ? 2_000 : 20_000;
    const reps = quick ? 2 : 5;
    const pyReps = quick ? 1 : 3;
    const shm = [];
    const py = [];
    const ipc = [];
    // Interleaved so that a noisy period hits every variant alike.
    for (let i = 0; i < reps; i++) {
      shm.push(await semaphoreOnce(K));
      if (i < pyReps) py.push(pythonOnce(K));
      ipc.push(await ipcOnce(KIPC));
      log(`  rep ${i + 1}/${reps}: semaphore ${Math.round(shm[i])}/s` +
        `${i < pyReps ? `, python ${py[i]}/s` : ''}, ipc ${Math.round(ipc[i])}/s`);
    }
    const result = {
      row: 'counter-semaphore',
      metric: 'increments/s',
      unit: 'incr/s',
      params: { processes: P, incrementsPerProcess: K, ipcIncrementsPerProcess: KIPC, counterBytes: 8 },
      value: stats(shm),
      baselines: [
        { name: 'python Lock', unit: 'incr/s', value: stats(py), params: { script: 'counter_race.py --mode lock-q', K } },
        { name: 'process.send', unit: 'incr/s', value: stats(ipc), params: { K: KIPC } },
      ],
    };
    result.ratio = result.value.median / result.baselines[0].value.median;
    result.ratioVs = 'python';
    result.targets = [
      check({ of: 'value', op: '>=', threshold: 3.5e6 }, result),
      check({ of: 'ratio', op: '>=', threshold: 1.8 }, result),
    ];
    result.met = result.targets.every((t) => t.met);
    return [result];
  },
};
