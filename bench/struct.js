'use strict';
// Row struct.
// (a) The article's counter: 2 forked processes × K increments of an 8-byte
//     counter under a lock. shmem: a Struct { lock: 'mutex', count: 'u64' }
//     view (s.lock.lockSync(); s.count += 1n; s.lock.unlock()). Baselines in
//     the same run, interleaved: the same loop written by hand on Mutex +
//     BigUint64Array over the same bytes, and Python as the article wrote it
//     (bench/python/counter_race.py --mode lock-bytes: int.from_bytes /
//     int.to_bytes under a multiprocessing.Lock).
// (b) Field access in one process: N rounds of reading and writing three
//     fields (i32, f64, u8) through a Struct view, against the same loop on
//     typed arrays at constant indexes written by hand.
// Time = 'go' sent → last 'done' received (a), or the loop alone (b).

const { SharedMemory } = require('..');
const { stats, nowMs, owned, forkChild, check } = require('./lib');
const { pythonOnce } = require('./counter-semaphore');
const { Counter, Fields } = require('./struct-layout');

const P = 2;

async function counterOnce(K, mode) {
  const [shm, release] = owned(() => SharedMemory.create({ size: 4096 }));
  const children = [];
  try {
    const s = Counter.create(shm, 0);
    for (let i = 0; i < P; i++) children.push(forkChild('struct.js', [shm.name, K, mode]));
    await Promise.all(children.map((c) => c.next('ready')));
    const t0 = nowMs();
    for (const c of children) c.send({ type: 'go' });
    await Promise.all(children.map((c) => c.next('done')));
    const ms = nowMs() - t0;
    await Promise.all(children.map((c) => c.exit()));
    if (s.count !== BigInt(P * K)) throw new Error(`struct counter (${mode}): final ${s.count}, expected ${P * K}`);
    return (P * K) / (ms / 1000);
  } finally {
    for (const c of children) c.kill();
    release();
  }
}

// (b): the same work both ways; returns rounds per second.
function fieldsOnce(N, how) {
  const [shm, release] = owned(() => SharedMemory.create({ size: 4096 }));
  try {
    const s = Fields.create(shm, 64);
    let t0;
    if (how === 'struct') {
      t0 = nowMs();
      for (let i = 0; i < N; i++) {
        s.hits = s.hits + 1;
        s.ratio = s.ratio + 0.5;
        s.level = s.level + 1;
      }
    } else {
      const ab = shm.buffer.buffer;
      const i32 = new Int32Array(ab, 0, 1024);
      const f64 = new Float64Array(ab, 0, 512);
      const u8 = new Uint8Array(ab, 0, 4096);
      const hi = (64 + Fields.offsetOf('hits')) >> 2;
      const ri = (64 + Fields.offsetOf('ratio')) >> 3;
      const li = 64 + Fields.offsetOf('level');
      t0 = nowMs();
      for (let i = 0; i < N; i++) {
        i32[hi] = i32[hi] + 1;
        f64[ri] = f64[ri] + 0.5;
        u8[li] = u8[li] + 1;
      }
    }
    const ms = nowMs() - t0;
    if (s.hits !== N || s.ratio !== N / 2) throw new Error(`struct fields (${how}): ${s.hits}, ${s.ratio}`);
    return N / (ms / 1000);
  } finally {
    release();
  }
}

module.exports = {
  name: 'struct',
  async run({ quick, log }) {
    const K = quick ? 100_000 : 1_000_000;
    const N = quick ? 2_000_000 : 20_000_000;
    const reps = quick ? 2 : 5;
    const pyReps = quick ? 1 : 3;
    const st = [];
    const hand = [];
    const py = [];
    const fs = [];
    const fh = [];
    for (let i = 0; i < reps; i++) {
      st.push(await counterOnce(K, 'struct'));
      hand.push(await counterOnce(K, 'hand'));
      if (i < pyReps) py.push(pythonOnce(K, 'lock-bytes'));
      fs.push(fieldsOnce(N, 'struct'));
      fh.push(fieldsOnce(N, 'hand'));
      log(`  rep ${i + 1}/${reps}: counter struct ${Math.round(st[i])}/s, by hand ${Math.round(hand[i])}/s` +
        `${i < pyReps ? `, python ${Math.round(py[i])}/s` : ''}; fields struct ${Math.round(fs[i])}/s, by hand ${Math.round(fh[i])}/s`);
    }
    const counter = {
      row: 'struct',
      metric: "(a) the article's counter: Struct u64 under its mutex field",
      unit: 'incr/s',
      params: { processes: P, incrementsPerProcess: K },
      value: stats(st),
      baselines: [
        { name: "python, the article's int.from_bytes/to_bytes under a Lock", unit: 'incr/s', value: stats(py), params: { script: 'counter_race.py --mode lock-bytes', K } },
        { name: 'by hand: Mutex + BigUint64Array', unit: 'incr/s', value: stats(hand), params: { K } },
      ],
    };
    counter.ratio = counter.value.median / counter.baselines[0].value.median;
    counter.ratioVs = 'python';
    const vsHand = counter.value.median / counter.baselines[1].value.median;
    counter.targets = [
      check({ of: 'ratio', op: '>=', threshold: 10 }, counter),
      { of: 'ratio', against: 'by hand', op: '>=', threshold: 1 / 1.1, actual: vsHand, met: vsHand >= 1 / 1.1,
        label: `vs by hand ≥ 0.91× (within 1.1×; is ${vsHand.toFixed(2)}×)` },
    ];
    counter.met = counter.targets.every((t) => t.met);
    counter.notes = [`${counter.ratio.toFixed(1)}× Python as the article wrote it, ${vsHand.toFixed(2)}× the same loop by hand (same run, interleaved)`];
    const fields = {
      row: 'struct',
      metric: '(b) field reads and writes (i32, f64, u8) in one process',
      unit: 'rounds/s',
      params: { rounds: N },
      value: stats(fs),
      baselines: [{ name: 'by hand: typed arrays at constant indexes', unit: 'rounds/s', value: stats(fh), params: { rounds: N } }],
    };
    fields.ratio = fields.value.median / fields.baselines[0].value.median;
    fields.ratioVs = 'by hand';
    fields.targets = [check({ of: 'ratio', op: '>=', threshold: 0.67 }, fields)];
    fields.met = fields.targets.every((t) => t.met);
    return [counter, fields];
  },
};
