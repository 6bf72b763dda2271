'use strict';
// Row mutex-uncontended: one thread, N × (lockSync(); unlock()) on a Mutex in
// a segment, ns per pair (bench/children/mutex-uncontended.js, a fresh
// process per repetition, each with several timed passes).
// Baselines in the same run, interleaved: Python multiprocessing.Lock
// acquire()/release() pairs uncontended (bench/python/lock_bench.py --only
// uncontended), and a C floor (bench/c/lock_floor.c: the two 64-bit
// compare-exchanges on a word in shared memory that the JS fast paths do).
// Target ≤ 25 ns per pair; by the project's floor rule it would also count
// as met within 1.2 × the C floor, which is printed with it.

const { SharedMemory } = require('..');
const { stats, median, owned, forkChild, runPython, buildC, runC, check } = require('./lib');

async function jsOnce(N, passes) {
  const [shm, release] = owned(() => SharedMemory.create({ size: 4096 }));
  const child = forkChild('mutex-uncontended.js', [shm.name, N, passes]);
  try {
    const r = await child.next('result');
    await child.exit();
    return r;
  } finally {
    child.kill();
    release();
  }
}

function pythonOnce(n) {
  const r = runPython('lock_bench.py', ['--only', 'uncontended', '--n', n]);
  return r.uncontended_mp_lock_ns_per_pair;
}

module.exports = {
  name: 'mutex-uncontended',
  async run({ quick, log }) {
    const N = quick ? 1_000_000 : 10_000_000;
    const passes = quick ? 2 : 3;
    const reps = quick ? 2 : 5;
    const pyN = quick ? 200_000 : 1_000_000;
    const pyReps = quick ? 1 : 3;
    const cBuild = buildC('lock_floor');
    if (!cBuild.ok) log(`  C floor skipped: ${cBuild.reason}`);
    const js = [];
    const empty = [];
    const py = [];
    const cf = [];
    for (let i = 0; i < reps; i++) {
      const r = await jsOnce(N, passes);
      js.push(median(r.nsPerPair)); // the median pass of this process
      empty.push(r.emptyLoopNs);
      if (i < pyReps) py.push(pythonOnce(pyN));
      if (cBuild.ok) cf.push(runC(cBuild, ['--n', N, '--reps', passes]).nsPerPairMedian);
      log(`  rep ${i + 1}/${reps}: shmem ${js[i].toFixed(2)} ns/pair (passes ${r.nsPerPair.map((x) => x.toFixed(2)).join(', ')}; empty loop ${r.emptyLoopNs.toFixed(2)} ns)` +
        `${i < pyReps ? `, python ${py[i]} ns` : ''}${cBuild.ok ? `, C floor ${cf[i].toFixed(2)} ns` : ''}`);
    }
    const result = {
      row: 'mutex-uncontended',
      metric: 'lockSync+unlock',
      unit: 'ns/pair',
      params: { pairs: N, passesPerProcess: passes, processes: reps },
      value: stats(js),
      baselines: [{ name: 'python Lock', unit: 'ns/pair', value: stats(py), params: { script: 'lock_bench.py --only uncontended', n: pyN } }],
    };
    result.ratio = result.baselines[0].value.median / result.value.median;
    result.ratioVs = 'python (speed-up)';
    result.targets = [check({ of: 'value', op: '<=', threshold: 25 }, result)];
    result.notes = [`empty JS loop of the same length: ${stats(empty).median.toFixed(2)} ns per iteration`];
    if (cBuild.ok) {
      const floor = stats(cf);
      result.baselines.push({ name: 'C floor', unit: 'ns/pair', reference: true, value: floor, params: { program: 'bench/c/lock_floor.c', build: cBuild.cmd } });
      result.cFloor = floor.median;
      const threshold = 1.2 * floor.median;
      const floorApplies = threshold > 25;
      // The floor rule counts only where 25 ns is below what C achieves (÷1.2);
      // otherwise the floor is printed as a baseline and the 25 ns target stands.
      if (floorApplies) {
        result.targets.push({
          ...check({ of: 'value', op: '<=', threshold }, result),
          against: 'C floor',
          label: `≤ 1.2 × C floor ${floor.median.toFixed(2)} ns = ${threshold.toFixed(2)} ns`,
        });
      }
      result.notes.push(
        `C floor (bench/c/lock_floor.c, two __atomic compare-exchanges per pair): ${floor.median.toFixed(2)} ns; shmem is ` +
          `${(result.value.median / floor.median).toFixed(1)}× it. 1.2 × floor = ${threshold.toFixed(2)} ns is ` +
          `${floorApplies ? 'above 25 ns: the floor rule applies' : 'below 25 ns: the floor rule does not apply, the 25 ns target stands'}`,
      );
      result.met = result.targets.some((t) => t.met);
    } else {
      result.notes.push(`C floor skipped: ${cBuild.reason}`);
      result.met = result.targets[0].met;
    }
    return [result];
  },
};
