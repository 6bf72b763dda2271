'use strict';
// Row 2, counter-atomics: 2 forked processes × K Atomics.add on an Int32Array
// over a SharedMemory segment, against 2 worker_threads × K Atomics.add on a
// SharedArrayBuffer (the same loop function, bench/children/counter-atomics.js).
// Children report 'ready' by message; then time = 'go' → both done, where go
// and done are signalled through shared memory in both variants: two
// Semaphores for the processes, Atomics.wait/notify on the SAB for the
// workers (both are futex wake-ups). With IPC messages for go/done instead,
// the fixed ~3–8 ms of child_process IPC latency (vs MessagePort) is a
// sizeable part of a ~25 ms run and says nothing about the shared counter.

const path = require('node:path');
const { Worker } = require('node:worker_threads');
const { SharedMemory, Semaphore } = require('..');
const { stats, nowMs, owned, forkChild, check } = require('./lib');

const P = 2;
const CHILD = path.join(__dirname, 'children', 'counter-atomics.js');

async function processesOnce(K) {
  const releases = [];
  const children = [];
  try {
    const [shm, releaseShm] = owned(() => SharedMemory.create({ size: 4096 }));
    releases.push(releaseShm);
    const [go, releaseGo] = owned(() => Semaphore.create({ value: 0 }));
    releases.push(releaseGo);
    const [done, releaseDone] = owned(() => Semaphore.create({ value: 0 }));
    releases.push(releaseDone);
    for (let i = 0; i < P; i++) children.push(forkChild('counter-atomics.js', [shm.name, go.name, done.name, K]));
    await Promise.all(children.map((c) => c.next('ready')));
    const t0 = nowMs();
    for (let i = 0; i < P; i++) go.post();
    for (let i = 0; i < P; i++) {
      // A child that dies would leave this waiting forever: give up after a minute.
      if (!done.waitSync(60000)) throw new Error('counter-atomics (processes): children did not finish');
    }
    const ms = nowMs() - t0;
    await Promise.all(children.map((c) => c.exit()));
    const final = Atomics.load(new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, 1), 0);
    if (final !== P * K) throw new Error(`counter-atomics (processes): final ${final}, expected ${P * K}`);
    return (P * K) / (ms / 1000);
  } finally {
    for (const c of children) c.kill();
    for (const release of releases.reverse()) release();
  }
}

function message(worker, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.type !== type) return;
      done();
      resolve(m);
    };
    const onError = (err) => {
      done();
      reject(err);
    };
    const onExit = (code) => {
      done();
      reject(new Error(`worker exited (${code}) before '${type}'`));
    };
    const done = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

async function workersOnce(K) {
  const sab = new SharedArrayBuffer(4096);
  const workers = [];
  try {
    for (let i = 0; i < P; i++) workers.push(new Worker(CHILD, { workerData: { sab, K } }));
    await Promise.all(workers.map((w) => message(w, 'ready')));
    const ctl = new Int32Array(sab, 0, 3); // [0] counter, [1] go, [2] done count
    const t0 = nowMs();
    Atomics.store(ctl, 1, 1);
    Atomics.notify(ctl, 1);
    for (let n; (n = Atomics.load(ctl, 2)) < P; ) {
      if (Atomics.wait(ctl, 2, n, 60000) === 'timed-out') throw new Error('counter-atomics (workers): workers did not finish');
    }
    const ms = nowMs() - t0;
    const final = Atomics.load(new Int32Array(sab, 0, 1), 0);
    if (final !== P * K) throw new Error(`counter-atomics (workers): final ${final}, expected ${P * K}`);
    return (P * K) / (ms / 1000);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

module.exports = {
  name: 'counter-atomics',
  async run({ quick, log }) {
    const K = quick ? 100_000 : 1_000_000;
    // 11 interleaved repetitions: one rep is ~30 ms, and on this 2-core machine
    // single reps of either variant swing by ±30% (JIT tier-up and scheduling
    // of three processes' threads), so the medians need more samples than 5.
    const reps = quick ? 2 : 11;
    const procs = [];
    const workers = [];
    for (let i = 0; i < reps; i++) {
      procs.push(await processesOnce(K));
      workers.push(await workersOnce(K));
      log(`  rep ${i + 1}/${reps}: processes+shm ${Math.round(procs[i])}/s, workers+SAB ${Math.round(workers[i])}/s`);
    }
    const result = {
      row: 'counter-atomics',
      metric: 'Atomics.add/s',
      unit: 'adds/s',
      params: { processes: P, addsPerProcess: K, signalling: 'Semaphore (processes) / Atomics.wait+notify (workers)' },
      value: stats(procs),
      baselines: [{ name: 'worker_threads+SAB', unit: 'adds/s', value: stats(workers) }],
    };
    result.ratio = result.value.median / result.baselines[0].value.median;
    result.ratioVs = 'workers';
    result.targets = [check({ of: 'ratio', op: '>=', threshold: 0.9 }, result)];
    result.met = result.targets.every((t) => t.met);
    return [result];
  },
};
