'use strict';
// Row pingpong: round-trip latency between two forked processes over two
// Int32 words of a SharedMemory segment (A at byte 0, B at byte 64), with
// wait/notify (bench/children/pingpong.js):
//   ping, round i:  t0; A = i; notify(A, 1); while (B !== i) wait(B, i - 1); now - t0
//   pong, round i:  while (A !== i) wait(A, i - 1); B = i; notify(B, 1)
// Variants: (a) wait() with no spin (the default); (b) wait(..., { spin });
// (c) waitAsync() on both sides. The ping process times every round trip
// with process.hrtime.bigint(); p50 and p90 of N rounds after a warm-up.
// Baselines in the same run, interleaved: a process.send ping-pong (a child
// pings, the parent echoes), and a C floor (bench/c/futex_pingpong.c: the same
// protocol in C with FUTEX_WAIT/FUTEX_WAKE, with no spin and with the same
// spin-then-futex). By the project's floor rule, each variant is met if its
// absolute target holds or its p50 is within 1.2 × the C floor's p50 (the
// no-spin floor for (a), the spin floor for (b), and for (c) the same program's
// event-loop variant: waitAsync's design in C, an epoll loop woken through an
// eventfd by a waiter thread that sleeps in FUTEX_WAIT).

const { SharedMemory } = require('..');
const { stats, owned, forkChild, buildC, runC, check, fmtNum } = require('./lib');

const SPIN_US = 20;

async function shmOnce(mode, n, warmup) {
  const [shm, release] = owned(() => SharedMemory.create({ size: 4096 }));
  const children = [];
  try {
    const args = [shm.name, mode, SPIN_US, n, warmup];
    const pong = forkChild('pingpong.js', ['pong', ...args]);
    children.push(pong);
    const ping = forkChild('pingpong.js', ['ping', ...args]);
    children.push(ping);
    await Promise.all(children.map((c) => c.next('ready')));
    for (const c of children) c.send({ type: 'go' });
    const [res] = await Promise.all([ping.next('result'), pong.next('done')]);
    await Promise.all(children.map((c) => c.exit()));
    const view = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, 32);
    const total = n + warmup;
    if (res.lastA !== total || res.lastB !== total || Atomics.load(view, 0) !== total || Atomics.load(view, 16) !== total) {
      throw new Error(`pingpong (${mode}): sequence ended at A=${Atomics.load(view, 0)} B=${Atomics.load(view, 16)}, expected ${total}`);
    }
    return res;
  } finally {
    for (const c of children) c.kill();
    release();
  }
}

async function ipcOnce(n, warmup) {
  let last = 0;
  const handlers = {
    ping: (m, child) => {
      last = m.i;
      child.send({ type: 'pong', i: m.i });
    },
  };
  const child = forkChild('pingpong.js', ['ipc', '-', '-', '-', n, warmup], { handlers });
  try {
    await child.next('ready');
    child.send({ type: 'go' });
    const res = await child.next('result');
    await child.exit();
    if (last !== n + warmup || res.lastB !== n + warmup) throw new Error(`pingpong (ipc): sequence ended at ${last}, expected ${n + warmup}`);
    return res;
  } finally {
    child.kill();
  }
}

const VARIANTS = [
  { mode: 'nospin', metric: '(a) wait, no spin: p50', target: 30, floor: 'nospin' },
  { mode: 'spin', metric: `(b) wait, spin ${SPIN_US} µs: p50`, target: 1, floor: 'spin' },
  { mode: 'async', metric: '(c) waitAsync: p50', target: 60, floor: 'evloop' },
];

const us = (x) => `${fmtNum(x, 'µs')} µs`;

module.exports = {
  name: 'pingpong',
  async run({ quick, log }) {
    const n = quick ? 2_000 : 20_000;
    const warmup = quick ? 200 : 2_000;
    const reps = quick ? 1 : 3;
    const cBuild = buildC('futex_pingpong');
    if (!cBuild.ok) log(`  C floor skipped: ${cBuild.reason}`);
    const runs = Object.fromEntries(VARIANTS.map((v) => [v.mode, []]));
    const ipc = [];
    const cf = {
      nospin: { p50: [], p90: [] },
      spin: { p50: [], p90: [] },
      evloop: { p50: [], p90: [] },
      uring: { p50: [], p90: [] },
    };
    // Interleaved so that a noisy period hits every variant alike.
    for (let i = 0; i < reps; i++) {
      for (const v of VARIANTS) runs[v.mode].push(await shmOnce(v.mode, n, warmup));
      ipc.push(await ipcOnce(n, warmup));
      if (cBuild.ok) {
        const c = runC(cBuild, ['--n', n, '--warmup', warmup, '--reps', 1, '--spin', SPIN_US]);
        for (const k of ['nospin', 'spin', 'evloop', 'uring']) {
          if (c[k]) for (const q of ['p50', 'p90']) cf[k][q].push(c[k][q][0]);
        }
      }
      log(`  rep ${i + 1}/${reps}: p50/p90 µs: ` +
        VARIANTS.map((v) => `${v.mode} ${runs[v.mode][i].p50.toFixed(2)}/${runs[v.mode][i].p90.toFixed(2)}`).join(', ') +
        `, ipc ${ipc[i].p50.toFixed(1)}/${ipc[i].p90.toFixed(1)}` +
        (cBuild.ok ? `, C nospin ${cf.nospin.p50[i].toFixed(2)}/${cf.nospin.p90[i].toFixed(2)}, C spin ${cf.spin.p50[i].toFixed(2)}/${cf.spin.p90[i].toFixed(2)}` : ''));
    }
    const ipcP50 = stats(ipc.map((r) => r.p50));
    const out = [];
    for (const v of VARIANTS) {
      const rs = runs[v.mode];
      const p90 = stats(rs.map((r) => r.p90));
      const result = {
        row: 'pingpong',
        metric: v.metric,
        unit: 'µs',
        params: { mode: v.mode, roundTrips: n, warmup, spinUs: v.mode === 'spin' ? SPIN_US : 0, words: 'A at byte 0, B at byte 64', bothSidesAsync: v.mode === 'async' },
        value: stats(rs.map((r) => r.p50)),
        p90,
        p99: stats(rs.map((r) => r.p99)),
        baselines: [{ name: 'process.send p50', unit: 'µs', value: ipcP50, params: { p90: stats(ipc.map((r) => r.p90)).median } }],
      };
      result.targets = [check({ of: 'value', op: '<=', threshold: v.target }, result)];
      result.notes = [`p90 ${us(p90.median)} (${us(p90.min)}–${us(p90.max)}), p99 ${us(result.p99.median)}; process.send p50 ${us(ipcP50.median)}, p90 ${us(stats(ipc.map((r) => r.p90)).median)}`];
      if (cBuild.ok) {
        // waitAsync's floor is the design it uses: io_uring where the kernel has its futex wait
        // (as the addon does), else a waiter thread that wakes an epoll loop.
        const floorKind = v.floor === 'evloop' && cf.uring.p50.length ? 'uring' : v.floor;
        const floor = stats(cf[floorKind].p50);
        const floorP90 = stats(cf[floorKind].p90);
        result.baselines.push({
          name:
            floorKind === 'uring'
              ? 'C event loop (epoll on an io_uring FUTEX_WAIT) p50'
              : floorKind === 'evloop'
                ? 'C event loop (epoll + waiter thread + eventfd) p50'
                : `C futex ${v.floor === 'spin' ? `spin ${SPIN_US} µs` : 'no spin'} p50`,
          unit: 'µs',
          reference: true,
          value: floor,
          params: { program: 'bench/c/futex_pingpong.c', build: cBuild.cmd, mode: floorKind, p90: floorP90.median },
        });
        result.cFloor = floor.median;
        result.ratio = result.value.median / floor.median;
        result.ratioVs = 'C floor';
        const threshold = 1.2 * floor.median;
        result.targets.push({
          ...check({ of: 'ratio', op: '<=', threshold: 1.2 }, result),
          against: 'C floor',
          label: `≤ 1.2 × C floor ${us(floor.median)} = ${us(threshold)}`,
        });
        result.notes.push(`C floor (${floorKind}) p50 ${us(floor.median)}, p90 ${us(floorP90.median)}; shmem p50 is ${result.ratio.toFixed(2)}× it`);
      } else {
        result.ratio = null;
        result.notes.push(`C floor skipped: ${cBuild.reason}`);
      }
      // Met if either the absolute target or the one against the C floor holds.
      result.met = result.targets.some((t) => t.met);
      out.push(result);
    }
    return out;
  },
};
