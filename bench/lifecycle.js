'use strict';
// Row 4, lifecycle: N × (SharedMemory.create({ size: 4096 }); close(); unlink())
// per second, and N × (SharedMemory.open(name); close()) per second, against
// Python's SharedMemory doing the same (bench/python/shm_lifecycle_bench.py).
// The ratio is against Python's default behaviour (with its resource tracker);
// the figure without the tracker (3.13's track=False) is shown too.
// C floor (bench/c/lifecycle_floor.c, compiled at bench time): the same
// system calls per cycle in plain C, run interleaved with the repetitions;
// shown as a reference, with shmem as a fraction of it.
// Outside the kernel (bench/c/no_kernel_shm.c, LD_PRELOAD, Linux): the same
// loops in a child whose segment system calls are answered in user space,
// i.e. what Node, Node-API and shmem's own code cost per cycle. The C floor
// plus that cost is the best this design can do here, shown as a reference.

const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { SharedMemory } = require('..');
const { stats, nowMs, owned, onCleanup, runPython, buildC, runC, check, fmtNum } = require('./lib');

const SIZE = 4096;

function createLoop(n) {
  // One clean-up entry for the whole loop: it unlinks the segment of the
  // current iteration if an error leaves it behind.
  let current = null;
  const release = onCleanup(() => {
    if (current) {
      current.close();
      current.unlink();
    }
  });
  try {
    const t0 = nowMs();
    for (let i = 0; i < n; i++) {
      current = SharedMemory.create({ size: SIZE });
      current.close();
      current.unlink();
      current = null;
    }
    return n / ((nowMs() - t0) / 1000);
  } finally {
    release();
  }
}

function openLoop(n) {
  const [base, release] = owned(() => SharedMemory.create({ size: SIZE }));
  try {
    const name = base.name;
    const t0 = nowMs();
    for (let i = 0; i < n; i++) {
      const s = SharedMemory.open(name);
      s.close();
    }
    return n / ((nowMs() - t0) / 1000);
  } finally {
    release();
  }
}

/** Runs the loops in a child with bench/c/no_kernel_shm.c preloaded; µs per cycle. */
function runNoKernel(lib, n) {
  const r = spawnSync(process.execPath, [path.join(__dirname, 'children', 'lifecycle-no-kernel.js'), String(n)], {
    encoding: 'utf8',
    timeout: 300000,
    env: { ...process.env, LD_PRELOAD: lib.path },
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`lifecycle-no-kernel exited with ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function result(metric, mine, py, pyUntracked, n, cFloor, cSkipped, noKernelUs, extra = {}) {
  const r = {
    row: 'lifecycle',
    metric,
    unit: 'ops/s',
    params: { n, size: SIZE },
    value: stats(mine),
    baselines: [
      { name: 'python (tracker)', unit: 'ops/s', value: stats(py) },
      { name: 'python (no tracker)', unit: 'ops/s', reference: true, value: stats(pyUntracked) },
    ],
  };
  r.ratio = r.value.median / r.baselines[0].value.median;
  r.ratioVs = 'python';
  r.targets = [check({ of: 'ratio', op: '>=', threshold: 1.8 }, r)];
  r.met = r.targets.every((t) => t.met);
  if (cFloor) {
    const c = stats(cFloor);
    r.baselines.push({ name: 'C floor', unit: 'ops/s', reference: true, value: c, params: { program: 'bench/c/lifecycle_floor.c' } });
    r.fractionOfCFloor = r.value.median / c.median;
    r.notes = [
      `shmem is ${(100 * r.fractionOfCFloor).toFixed(0)}% of the C floor (bench/c/lifecycle_floor.c, same system calls per cycle: ` +
        `${fmtNum(c.median)}/s); per op shmem ${(1e6 / r.value.median).toFixed(2)} µs vs C ${(1e6 / c.median).toFixed(2)} µs`,
    ];
    if (noKernelUs) {
      // The best case: shmem's own cost simply added to the kernel's.
      const own = stats(noKernelUs);
      const bestPerS = 1e6 / (1e6 / c.median + own.median);
      r.outsideKernelUs = own;
      r.bestCase = { perS: bestPerS, ratio: bestPerS / r.baselines[0].value.median };
      r.notes.push(
        `outside the kernel shmem spends ${own.median.toFixed(2)} µs per cycle (system calls answered in user space: ` +
          `bench/c/no_kernel_shm.c); C floor + that = ${(1e6 / bestPerS).toFixed(2)} µs, at best ${fmtNum(bestPerS)}/s = ` +
          `${r.bestCase.ratio.toFixed(2)}× Python`,
      );
      if (extra.bindingUs) {
        r.outsideKernelBindingUs = stats(extra.bindingUs);
        r.notes.push(`of which the native calls alone (no JavaScript class) ${r.outsideKernelBindingUs.median.toFixed(2)} µs`);
      }
    }
    if (extra.cFtruncate) {
      // Python sets the size with ftruncate and reserves nothing; shmem
      // reserves (posix_fallocate): what that costs per cycle.
      const ct = stats(extra.cFtruncate);
      const reserveUs = 1e6 / c.median - 1e6 / ct.median;
      const withoutPerS = 1e6 / (1e6 / r.value.median - reserveUs);
      r.reservation = { cFtruncate: ct, reserveUs, shmemWithoutEstimatePerS: withoutPerS };
      r.baselines.push({ name: 'C with ftruncate (no reservation)', unit: 'ops/s', reference: true, value: ct });
      r.notes.push(
        `the same in C with ftruncate instead of posix_fallocate (Python's way, nothing reserved): ${fmtNum(ct.median)}/s = ` +
          `${(ct.median / r.baselines[0].value.median).toFixed(2)}× Python; the reservation costs ${reserveUs.toFixed(2)} µs per cycle, ` +
          `without it shmem would be at about ${fmtNum(withoutPerS)}/s = ${(withoutPerS / r.baselines[0].value.median).toFixed(2)}× Python (estimate)`,
      );
    }
  } else if (cSkipped) {
    r.notes = [`C floor skipped: ${cSkipped}`];
  }
  return r;
}

module.exports = {
  name: 'lifecycle',
  loops: { createLoop, openLoop }, // for children/lifecycle-no-kernel.js
  async run({ quick, log }) {
    const n = quick ? 2_000 : 20_000;
    const reps = quick ? 2 : 5;
    // Python in every repetition: its figure swings most (±15% between runs).
    const pyReps = quick ? 1 : 5;
    createLoop(500); // warm-up (JIT), not timed
    openLoop(500);
    const create = [];
    const open = [];
    const py = [];
    const cBuild = buildC('lifecycle_floor');
    if (!cBuild.ok) log(`  C floor skipped: ${cBuild.reason}`);
    const cf = [];
    const nkBuild = cBuild.ok ? buildC('no_kernel_shm', { shared: true }) : cBuild;
    if (cBuild.ok && !nkBuild.ok) log(`  outside-the-kernel reference skipped: ${nkBuild.reason}`);
    const nk = [];
    for (let i = 0; i < reps; i++) {
      create.push(createLoop(n));
      open.push(openLoop(n));
      if (i < pyReps) py.push(runPython('shm_lifecycle_bench.py', ['--n', n, '--size', SIZE]));
      if (cBuild.ok) cf.push(runC(cBuild, ['--n', n, '--reps', 1, '--size', SIZE]));
      if (nkBuild.ok) nk.push(runNoKernel(nkBuild, n));
      log(`  rep ${i + 1}/${reps}: create+close+unlink ${Math.round(create[i])}/s, open+close ${Math.round(open[i])}/s` +
        `${i < pyReps ? `, python ${py[i].create_close_unlink_per_s}/s and ${py[i].attach_close_per_s}/s` +
          ` (no tracker ${py[i].untracked_create_close_unlink_per_s}/s, ${py[i].untracked_attach_close_per_s}/s)` : ''}` +
        `${cBuild.ok ? `, C floor ${cf[i].createCloseUnlinkPerSMedian}/s and ${cf[i].openClosePerSMedian}/s` : ''}` +
        `${nkBuild.ok ? `, outside the kernel ${nk[i].createCloseUnlinkUs.toFixed(2)} and ${nk[i].openCloseUs.toFixed(2)} µs` : ''}`);
    }
    const cSkipped = cBuild.ok ? null : cBuild.reason;
    return [
      result('create+close+unlink/s', create, py.map((p) => p.create_close_unlink_per_s), py.map((p) => p.untracked_create_close_unlink_per_s), n,
        cBuild.ok ? cf.map((c) => c.createCloseUnlinkPerSMedian) : null, cSkipped, nkBuild.ok ? nk.map((x) => x.createCloseUnlinkUs) : null,
        { cFtruncate: cBuild.ok ? cf.map((c) => c.createCloseUnlinkFtruncatePerSMedian) : null, bindingUs: nkBuild.ok ? nk.map((x) => x.bindingCreateCloseUnlinkUs) : null }),
      result('open+close/s', open, py.map((p) => p.attach_close_per_s), py.map((p) => p.untracked_attach_close_per_s), n,
        cBuild.ok ? cf.map((c) => c.openClosePerSMedian) : null, cSkipped, nkBuild.ok ? nk.map((x) => x.openCloseUs) : null,
        { bindingUs: nkBuild.ok ? nk.map((x) => x.bindingOpenCloseUs) : null }),
    ];
  },
};
