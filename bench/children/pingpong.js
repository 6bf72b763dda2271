'use strict';
// pingpong child: one side of a two-process ping-pong over two Int32 words of
// a SharedMemory segment (A at byte 0, B at byte 64: their own cache lines).
//   ping, round i:  t0; A = i; notify(A, 1); while (B !== i) wait(B, i - 1); record now - t0
//   pong, round i:  while (A !== i) wait(A, i - 1); B = i; notify(B, 1)
// The ping side measures each round trip with process.hrtime.bigint() and
// sends back p50/p90 of the rounds after the warm-up, and the last values of
// A and B (the sequence must end at warmup + n on both).
// Modes: 'nospin' wait(view, i, v), 'spin' wait(view, i, v, undefined, { spin }),
//        'async' await waitAsync(view, i, v) (both sides).
// argv: role(ping|pong) shmName mode spinUs n warmup
// Role 'ipc': the process.send baseline, ping side only; the parent echoes
// each {type:'ping'} with a {type:'pong'}. argv: ipc - - - n warmup
const { nextMessage, send, fail } = require('./common');

function percentiles(samples) {
  const s = Float64Array.from(samples).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(s.length * q))];
  let sum = 0;
  for (const x of s) sum += x;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), min: s[0], max: s[s.length - 1], mean: sum / s.length };
}

async function ipcPing(n, warmup) {
  const total = n + warmup;
  const samples = new Float64Array(n);
  let wake = null;
  let last = 0;
  process.on('message', (m) => {
    if (m && m.type === 'pong' && wake) {
      last = m.i;
      const w = wake;
      wake = null;
      w();
    }
  });
  await send({ type: 'ready' });
  await nextMessage('go');
  for (let i = 1; i <= total; i++) {
    const t0 = process.hrtime.bigint();
    await new Promise((resolve) => {
      wake = resolve;
      process.send({ type: 'ping', i });
    });
    const dt = Number(process.hrtime.bigint() - t0) / 1000;
    if (last !== i) throw new Error(`ipc ping-pong: got pong ${last} for ping ${i}`);
    if (i > warmup) samples[i - warmup - 1] = dt;
  }
  await send({ type: 'result', ...percentiles(samples), lastA: total, lastB: last, total });
}

async function shmSide(role, shmName, mode, spinUs, n, warmup) {
  const { SharedMemory, wait, waitAsync, notify } = require('../..');
  const shm = SharedMemory.open(shmName);
  try {
    const view = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, 32);
    const A = 0;
    const B = 16; // byte 64
    const total = n + warmup;
    const opts = mode === 'spin' ? { spin: spinUs } : undefined;
    await send({ type: 'ready' });
    await nextMessage('go');
    if (role === 'pong') {
      if (mode === 'async') {
        for (let i = 1; i <= total; i++) {
          while (Atomics.load(view, A) !== i) await waitAsync(view, A, i - 1);
          Atomics.store(view, B, i);
          notify(view, B, 1);
        }
      } else {
        for (let i = 1; i <= total; i++) {
          while (Atomics.load(view, A) !== i) wait(view, A, i - 1, undefined, opts);
          Atomics.store(view, B, i);
          notify(view, B, 1);
        }
      }
      await send({ type: 'done' });
      return;
    }
    const samples = new Float64Array(n);
    if (mode === 'async') {
      for (let i = 1; i <= total; i++) {
        const t0 = process.hrtime.bigint();
        Atomics.store(view, A, i);
        notify(view, A, 1);
        while (Atomics.load(view, B) !== i) await waitAsync(view, B, i - 1);
        const dt = Number(process.hrtime.bigint() - t0) / 1000;
        if (i > warmup) samples[i - warmup - 1] = dt;
      }
    } else {
      for (let i = 1; i <= total; i++) {
        const t0 = process.hrtime.bigint();
        Atomics.store(view, A, i);
        notify(view, A, 1);
        while (Atomics.load(view, B) !== i) wait(view, B, i - 1, undefined, opts);
        const dt = Number(process.hrtime.bigint() - t0) / 1000;
        if (i > warmup) samples[i - warmup - 1] = dt;
      }
    }
    await send({ type: 'result', ...percentiles(samples), lastA: Atomics.load(view, A), lastB: Atomics.load(view, B), total });
  } finally {
    shm.close();
  }
}

async function main() {
  const [role, shmName, mode, spinArg, nArg, warmupArg] = process.argv.slice(2);
  const n = Number(nArg);
  const warmup = Number(warmupArg);
  if (role === 'ipc') await ipcPing(n, warmup);
  else await shmSide(role, shmName, mode, Number(spinArg), n, warmup);
  process.disconnect();
}

main().catch(fail);
