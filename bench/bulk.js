'use strict';
// Row 3, bulk-64mib: the parent creates a 64 MiB segment and fills it from a
// prebuilt pattern (one memcpy: buffer.set); a child that is ALREADY RUNNING
// gets the name, attaches, computes zlib.crc32 over the whole block and
// reports back. Round trip = start of create+fill → checksum received.
// Baseline: a worker thread that is already running gets a SharedArrayBuffer
// (created and filled the same way) via postMessage and computes the same crc32.
// Extra reference: Python's bulk_64mib.py --no-sum --no-copy, whose
// create + fill + (send name → crc32 received) is the same hand-off.
// C floor (bench/c/bulk_floor.c, compiled at bench time): the same job in
// plain C with threads (an anonymous mapping, as a SharedArrayBuffer gets) and with processes (shmem's exact
// system calls); its ratio processes/threads is what the kernel alone costs
// extra, so shmem's ratio is also checked against 1.2 × that floor.

const path = require('node:path');
const zlib = require('node:zlib');
const { Worker } = require('node:worker_threads');
const { SharedMemory } = require('..');
const { stats, nowMs, owned, forkChild, runPython, buildC, runC, check } = require('./lib');

const CHILD = path.join(__dirname, 'children', 'bulk.js');

/** A deterministic pseudo-random pattern (xorshift32), built before timing. */
function makePattern(size) {
  const u32 = new Uint32Array(size / 4);
  let x = 2463534242;
  for (let i = 0; i < u32.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    u32[i] = x >>> 0;
  }
  return Buffer.from(u32.buffer);
}

async function shmOnce(pattern, wantCrc) {
  const child = forkChild('bulk.js');
  try {
    await child.next('ready');
    const t0 = nowMs();
    const [shm, release] = owned(() => SharedMemory.create({ size: pattern.length }));
    try {
      const t1 = nowMs();
      const f0 = process.resourceUsage().minorPageFault;
      shm.buffer.set(pattern);
      const fillFaults = process.resourceUsage().minorPageFault - f0;
      const t2 = nowMs();
      child.send({ type: 'go', name: shm.name });
      const res = await child.next('result');
      const t3 = nowMs();
      if (res.crc !== wantCrc || res.size !== pattern.length) throw new Error(`bulk (shm): bad checksum ${res.crc} (want ${wantCrc})`);
      await child.exit();
      return { roundTripMs: t3 - t0, createMs: t1 - t0, fillMs: t2 - t1, handoffMs: t3 - t2, attachMs: res.attachMs, crcMs: res.crcMs, fillFaults, crcFaults: res.crcFaults };
    } finally {
      release();
    }
  } finally {
    child.kill();
  }
}

function message(worker, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.type !== type) return;
      off();
      resolve(m);
    };
    const onError = (err) => {
      off();
      reject(err);
    };
    const off = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

async function workerOnce(pattern, wantCrc) {
  const worker = new Worker(CHILD);
  try {
    await message(worker, 'ready');
    const t0 = nowMs();
    const sab = new SharedArrayBuffer(pattern.length);
    const t1 = nowMs();
    const f0 = process.resourceUsage().minorPageFault;
    new Uint8Array(sab).set(pattern);
    const fillFaults = process.resourceUsage().minorPageFault - f0;
    const t2 = nowMs();
    const result = message(worker, 'result');
    worker.postMessage({ type: 'go', sab });
    const res = await result;
    const t3 = nowMs();
    if (res.crc !== wantCrc) throw new Error(`bulk (worker): bad checksum ${res.crc} (want ${wantCrc})`);
    return { roundTripMs: t3 - t0, createMs: t1 - t0, fillMs: t2 - t1, handoffMs: t3 - t2, attachMs: 0, crcMs: res.crcMs, fillFaults, crcFaults: res.crcFaults };
  } finally {
    await worker.terminate();
  }
}

function pythonOnce(mib) {
  const r = runPython('bulk_64mib.py', ['--mib', mib, '--no-sum', '--no-copy']);
  if (!r.crc_ok) throw new Error('bulk_64mib.py: bad checksum');
  return { roundTripMs: r.createMs + r.fillMs + r.roundTripMs, createMs: r.createMs, fillMs: r.fillMs, handoffMs: r.roundTripMs, attachMs: r.attachMs, crcMs: r.crcMs };
}

const KEYS = ['roundTripMs', 'createMs', 'fillMs', 'handoffMs', 'attachMs', 'crcMs', 'fillFaults', 'crcFaults'];

/** Median of each timing (and minor page-fault count) over the repetitions. */
function breakdown(runs) {
  const out = {};
  for (const k of KEYS) {
    const xs = runs.map((r) => r[k]).filter((x) => x !== undefined);
    if (xs.length) out[k] = Math.round(stats(xs).median * 100) / 100;
  }
  return out;
}

module.exports = {
  name: 'bulk-64mib',
  async run({ quick, log }) {
    const mib = quick ? 8 : 64;
    const size = mib << 20;
    const reps = quick ? 2 : 5;
    const pyReps = quick ? 1 : 3;
    const pattern = makePattern(size);
    const wantCrc = zlib.crc32(pattern);
    const shm = [];
    const wk = [];
    const py = [];
    for (let i = 0; i < reps; i++) {
      shm.push(await shmOnce(pattern, wantCrc));
      wk.push(await workerOnce(pattern, wantCrc));
      if (i < pyReps) py.push(pythonOnce(mib));
      log(`  rep ${i + 1}/${reps}: shm ${shm[i].roundTripMs.toFixed(1)} ms (create ${shm[i].createMs.toFixed(1)}, fill ${shm[i].fillMs.toFixed(1)},` +
        ` attach ${shm[i].attachMs.toFixed(2)}, crc ${shm[i].crcMs.toFixed(1)}), worker ${wk[i].roundTripMs.toFixed(1)} ms` +
        ` (fill ${wk[i].fillMs.toFixed(1)}, crc ${wk[i].crcMs.toFixed(1)})${i < pyReps ? `, python ${py[i].roundTripMs.toFixed(1)} ms` : ''}`);
    }
    // The C floor: its own interleaved repetitions, in this same run.
    const cBuild = buildC('bulk_floor');
    let cf = null;
    if (cBuild.ok) {
      cf = runC(cBuild, ['--mib', mib, '--reps', quick ? 3 : 9]);
      if (cf.crc !== wantCrc) throw new Error(`bulk_floor: checksum ${cf.crc} differs from zlib.crc32 ${wantCrc}`);
      log(`  C floor (${cf.reps} reps, ${cf.checksum}): threads ${cf.threads.median.toFixed(1)} ms, processes ${cf.processes.median.toFixed(1)} ms,` +
        ` ratio ${cf.ratio.toFixed(2)}× (child with MADV_POPULATE_READ: ${cf.processesPopulateRead.median.toFixed(1)} ms, ${cf.ratioPopulateRead.toFixed(2)}×)`);
    } else {
      log(`  C floor skipped: ${cBuild.reason}`);
    }
    const result = {
      row: 'bulk-64mib',
      metric: 'round trip',
      unit: 'ms',
      params: { mib, fill: 'buffer.set(prebuilt pattern)', checksum: 'zlib.crc32' },
      value: stats(shm.map((r) => r.roundTripMs)),
      baselines: [
        { name: 'worker+SAB', unit: 'ms', value: stats(wk.map((r) => r.roundTripMs)) },
        { name: 'python', unit: 'ms', reference: true, value: stats(py.map((r) => r.roundTripMs)), params: { script: 'bulk_64mib.py --no-sum --no-copy', figure: 'createMs + fillMs + roundTripMs' } },
      ],
      breakdown: { shm: breakdown(shm), worker: breakdown(wk), python: breakdown(py) },
    };
    if (cf) {
      const cParams = { program: 'bench/c/bulk_floor.c', build: cBuild.cmd, checksum: cf.checksum, reps: cf.reps };
      result.baselines.push(
        { name: 'C threads (floor)', unit: 'ms', reference: true, value: stats(cf.threads.roundTripMs), params: { ...cParams, memory: 'anonymous private mapping, as calloc gives a SharedArrayBuffer' } },
        { name: 'C processes (floor)', unit: 'ms', reference: true, value: stats(cf.processes.roundTripMs), params: { ...cParams, memory: "shmem's shm_open+posix_fallocate+mmap+MADV_POPULATE_WRITE" } },
        { name: 'C floor ratio proc/thr', unit: '×', reference: true, value: { median: cf.ratio } },
      );
      result.breakdown.cThreads = cf.threads.breakdown;
      result.breakdown.cProcesses = cf.processes.breakdown;
      result.breakdown.cProcessesPopulateRead = cf.processesPopulateRead.breakdown;
      result.cFloorRatio = cf.ratio;
    }
    result.ratio = result.value.median / result.baselines[0].value.median;
    result.ratioVs = 'worker';
    result.targets = [check({ of: 'ratio', op: '<=', threshold: 1.05 }, result)];
    if (cf) {
      // Met against the C floor: within 20% of what plain C with the same
      // system calls gets in this run, on this machine.
      const threshold = 1.2 * cf.ratio;
      result.targets.push({
        ...check({ of: 'ratio', op: '<=', threshold }, result),
        against: 'C floor',
        label: `ratio ≤ 1.2 × C floor ${cf.ratio.toFixed(2)}× = ${threshold.toFixed(2)}×`,
      });
    }
    result.met = result.targets.every((t) => t.met);
    const b = result.breakdown;
    result.notes = [
      `median ms create/fill/attach/crc32: shm ${b.shm.createMs}/${b.shm.fillMs}/${b.shm.attachMs}/${b.shm.crcMs}, ` +
        `worker ${b.worker.createMs}/${b.worker.fillMs}/-/${b.worker.crcMs}, python ${b.python.createMs}/${b.python.fillMs}/${b.python.attachMs}/${b.python.crcMs}`,
      `minor page faults fill/crc32: shm ${b.shm.fillFaults}/${b.shm.crcFaults}, worker ${b.worker.fillFaults}/${b.worker.crcFaults}`,
    ];
    if (cf) {
      const ct = b.cThreads;
      const cp = b.cProcesses;
      const cr = b.cProcessesPopulateRead;
      result.notes.push(
        `C floor (bench/c/bulk_floor.c, ${cf.checksum}, ${cf.reps} reps): processes/threads = ${cf.ratio.toFixed(2)}×; ` +
          `shmem's ${result.ratio.toFixed(2)}× is ${(result.ratio / cf.ratio).toFixed(2)}× the floor ratio (target ≤ 1.2×)`,
        `C median ms create/fill/attach/crc32: threads ${ct.createMs}/${ct.fillMs}/-/${ct.crcMs}, processes ${cp.createMs}/${cp.fillMs}/${cp.attachMs}/${cp.crcMs}; ` +
          `minor faults fill/crc32: threads ${ct.fillFaults}/${ct.crcFaults}, processes ${cp.fillFaults}/${cp.crcFaults}`,
        `Node over C: shm ${(result.value.median - cf.processes.median).toFixed(1)} ms over C processes, ` +
          `worker ${(result.baselines[0].value.median - cf.threads.median).toFixed(1)} ms over C threads`,
        `C processes with MADV_POPULATE_READ in the child (not what shmem does): ${cf.processesPopulateRead.median.toFixed(1)} ms ` +
          `(attach ${cr.attachMs} + crc32 ${cr.crcMs} ms vs ${cp.attachMs} + ${cp.crcMs} ms with fault-around), ratio ${cf.ratioPopulateRead.toFixed(2)}×`,
      );
    } else {
      result.notes.push(`C floor skipped: ${cBuild.reason}`);
    }
    return [result];
  },
};
