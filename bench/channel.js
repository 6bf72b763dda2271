'use strict';
// Row channel: messages between processes through a Channel, against the
// ways Node apps move them today, all in this same run:
//   - process.send (JSON over a pipe) of a 64-character string, child -> parent;
//   - a worker_threads MessagePort posting 64-byte Uint8Arrays;
//   - a Unix-domain socket between two processes, 4-byte length-prefixed
//     frames, one write() per message, the receiver making one Buffer each.
// Variants (bench/children/channel.js does the work):
//   (a) 1 -> 1, 64-byte Buffers, receiveSync   (b) the same with poll (views in place)
//   (c) small objects, against process.send with serialization 'advanced'
//   (d) 1 MiB payloads written and read in place (reserve/peek), bytes/s against the socket
//   (e) ping-pong p50 with receiveSync, (f) with receive() against a waitAsync/notify
//       ping-pong on two bare words (bench/children/pingpong.js, both sides async)
//   (g) 4 senders -> 1 receiver, against (a)'s rate.
// The wake-ups the senders and receivers paid are read from the channel's
// sequence words after each run (a bump is one FUTEX_WAKE).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { Channel, SharedMemory } = require('..');
const { stats, owned, forkChild, check } = require('./lib');

// The sequence words' places, from the one description of the layout.
const { I_DATA_SEQ, I_SPACE_SEQ, HEADER_BYTES } = require('../dist/channel-layout');

function wakes(name) {
  const shm = SharedMemory.open(name);
  try {
    const w = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, HEADER_BYTES / 4);
    return Atomics.load(w, I_DATA_SEQ) + Atomics.load(w, I_SPACE_SEQ);
  } finally {
    shm.close();
  }
}

async function started(children) {
  await Promise.all(children.map((c) => c.next('ready')));
  for (const c of children) c.send({ type: 'go' });
}

/** One channel run: `senders` chan-send children and one chan-recv. Returns { rate, ms, wakes }. */
async function channelOnce({ n, size = 64, kind = 'bytes', sendMethod = 'sync', recvMethod = 'sync', senders = 1, capacity = 1 << 20 }) {
  const [ch, release] = owned(() => Channel.create({ capacity }));
  const children = [];
  try {
    const per = Math.floor(n / senders);
    const recv = forkChild('channel.js', ['chan-recv', ch.name, recvMethod, per * senders]);
    children.push(recv);
    for (let i = 0; i < senders; i++) children.push(forkChild('channel.js', ['chan-send', ch.name, sendMethod, per, size, kind]));
    await started(children);
    const done = await recv.next('done');
    await Promise.all(children.slice(1).map((c) => c.next('done')));
    if (done.got !== per * senders) throw new Error(`channel: received ${done.got} of ${per * senders}`);
    return { rate: (per * senders) / (done.ms / 1000), bytesRate: (per * senders * size) / (done.ms / 1000), wakes: wakes(ch.name) };
  } finally {
    for (const c of children) c.kill();
    ch.close();
    release();
  }
}

// process.send from a child to this process: JSON strings, or small objects
// with serialization 'advanced' (V8's serializer, as the Channel uses).
// `how`: 'plain' sends as apps do, without a callback; 'drain' waits for the
// callback of every 1000th message, process.send's best rate.
async function ipcOnce(n, kind, how) {
  const { fork } = require('node:child_process');
  const child = fork(path.join(__dirname, 'children', 'channel.js'), ['ipc-send', String(n), kind, how], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: kind === 'object' ? 'advanced' : 'json',
  });
  let got = 0;
  let t0 = 0;
  try {
    const rate = await new Promise((resolve, reject) => {
      child.on('exit', (code) => reject(new Error(`ipc-send exited ${code}`)));
      child.on('message', (m) => {
        if (m.type === 'ready') child.send({ type: 'go' });
        else if (m.type === 'sent') return;
        else {
          if (got === 0) t0 = performance.now();
          if (++got === n) resolve(n / ((performance.now() - t0) / 1000));
        }
      });
    });
    return { rate };
  } finally {
    child.kill('SIGKILL');
  }
}

async function portOnce(n) {
  const child = forkChild('channel.js', ['port', n, 64]);
  try {
    await started([child]);
    const done = await child.next('done');
    return { rate: n / (done.ms / 1000) };
  } finally {
    child.kill();
  }
}

async function socketOnce(n, size) {
  const sock = path.join(os.tmpdir(), `shmem-bench-${process.pid}-${Date.now()}.sock`);
  const recv = forkChild('channel.js', ['sock-recv', sock, n]);
  const children = [recv];
  try {
    await recv.next('ready');
    const sender = forkChild('channel.js', ['sock-send', sock, n, size]);
    children.push(sender);
    await sender.next('ready');
    for (const c of children) c.send({ type: 'go' });
    const done = await recv.next('done');
    return { rate: n / (done.ms / 1000), bytesRate: (n * size) / (done.ms / 1000) };
  } finally {
    for (const c of children) c.kill();
    fs.rmSync(sock, { force: true });
  }
}

async function pingPongOnce(method, n, warmup) {
  const [a, releaseA] = owned(() => Channel.create({ capacity: 4096 }));
  const [b, releaseB] = owned(() => Channel.create({ capacity: 4096 }));
  const children = [];
  try {
    children.push(forkChild('channel.js', ['pp', a.name, b.name, 'pong', method, n, warmup]));
    children.push(forkChild('channel.js', ['pp', a.name, b.name, 'ping', method, n, warmup]));
    await started(children);
    const [, ping] = await Promise.all(children.map((c) => c.next('done')));
    return ping;
  } finally {
    for (const c of children) c.kill();
    a.close();
    b.close();
    releaseA();
    releaseB();
  }
}

async function waitAsyncPingPongOnce(n, warmup) {
  const [shm, release] = owned(() => SharedMemory.create({ size: 4096 }));
  const children = [];
  try {
    const args = [shm.name, 'async', 0, n, warmup];
    children.push(forkChild('pingpong.js', ['pong', ...args]));
    children.push(forkChild('pingpong.js', ['ping', ...args]));
    await Promise.all(children.map((c) => c.next('ready')));
    for (const c of children) c.send({ type: 'go' });
    const [res] = await Promise.all([children[1].next('result'), children[0].next('done')]);
    return res;
  } finally {
    for (const c of children) c.kill();
    release();
  }
}

const M = (x) => `${(x / 1e6).toFixed(2)}M/s`;

module.exports = {
  name: 'channel',
  async run({ quick, log }) {
    const n = quick ? 100_000 : 2_000_000;
    const nObj = quick ? 20_000 : 200_000;
    const nBig = quick ? 100 : 2_000;
    const nPing = quick ? 2_000 : 20_000;
    const warm = quick ? 200 : 2_000;
    const reps = quick ? 1 : 3;
    const r = { sync: [], poll: [], ipc: [], ipcDrain: [], port: [], sock: [], obj: [], ipcAdv: [], ipcAdvDrain: [], big: [], sockBig: [], ppSync: [], ppAsync: [], ppWaitAsync: [], four: [] };
    const wk = { sync: [], poll: [], four: [] };
    for (let i = 0; i < reps; i++) {
      const s = await channelOnce({ n });
      r.sync.push(s.rate);
      wk.sync.push(s.wakes);
      const p = await channelOnce({ n, recvMethod: 'poll' });
      r.poll.push(p.rate);
      wk.poll.push(p.wakes);
      r.ipc.push((await ipcOnce(Math.min(n, 500_000), 'string', 'plain')).rate);
      r.ipcDrain.push((await ipcOnce(Math.min(n, 500_000), 'string', 'drain')).rate);
      r.port.push((await portOnce(Math.min(n, 1_000_000))).rate);
      r.sock.push((await socketOnce(n, 64)).rate);
      r.obj.push((await channelOnce({ n: nObj, kind: 'object' })).rate);
      r.ipcAdv.push((await ipcOnce(nObj, 'object', 'plain')).rate);
      r.ipcAdvDrain.push((await ipcOnce(nObj, 'object', 'drain')).rate);
      r.big.push((await channelOnce({ n: nBig, size: 1 << 20, sendMethod: 'reserve', recvMethod: 'peek', capacity: 8 << 20 })).bytesRate);
      r.sockBig.push((await socketOnce(nBig, 1 << 20)).bytesRate);
      r.ppSync.push((await pingPongOnce('sync', nPing, warm)).p50);
      r.ppAsync.push((await pingPongOnce('async', nPing, warm)).p50);
      r.ppWaitAsync.push((await waitAsyncPingPongOnce(nPing, warm)).p50);
      const f = await channelOnce({ n, senders: 4 });
      r.four.push(f.rate);
      wk.four.push(f.wakes);
      log(`  rep ${i + 1}/${reps}: sync ${M(s.rate)}, poll ${M(p.rate)}, process.send ${M(r.ipc[i])} (with callbacks ${M(r.ipcDrain[i])}), port ${M(r.port[i])}, socket ${M(r.sock[i])}, ` +
        `objects ${M(r.obj[i])} vs advanced ${M(r.ipcAdv[i])} (with callbacks ${M(r.ipcAdvDrain[i])}), 1 MiB ${(r.big[i] / 2 ** 30).toFixed(2)} vs ${(r.sockBig[i] / 2 ** 30).toFixed(2)} GiB/s, ` +
        `ping-pong p50 sync ${r.ppSync[i].toFixed(2)} µs, async ${r.ppAsync[i].toFixed(2)} vs waitAsync ${r.ppWaitAsync[i].toFixed(2)} µs, 4->1 ${M(f.rate)}`);
    }
    const st = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, stats(v)]));
    const wakesPerM = (k) => `${Math.round((stats(wk[k]).median / n) * 1e6)} wake-ups per million messages`;
    const base = (name, s, unit = 'msg/s') => ({ name, unit, value: s });
    const out = [];
    const row = (metric, unit, value, baselines, ratio, ratioVs, targets, notes = []) => {
      const result = { row: 'channel', metric, unit, value, baselines, ratio, ratioVs, notes };
      result.targets = targets.map((t) => ({ ...check(t, result), ...(t.label ? { label: t.label } : {}) }));
      result.met = result.targets.every((t) => t.met);
      out.push(result);
    };
    // process.send is the target's baseline as apps call it (no callback);
    // its best rate (a callback every 1000 messages) is shown with its ratio.
    const ipcBase = base('process.send (JSON, 64-char string), no callback', st.ipc);
    const ipcDrainBase = base('process.send, a callback every 1000 messages', st.ipcDrain);
    const vsDrain = (v, s) => `${(v / s.median).toFixed(2)}× process.send with a callback every 1000 messages`;
    const sync = st.sync.median;
    // (a)
    row('(a) 1→1 64 B, receiveSync', 'msg/s', st.sync, [ipcBase, ipcDrainBase, base('MessagePort, 64-byte Uint8Array', st.port), base('Unix socket, framed', st.sock)],
      sync / st.ipc.median, 'process.send', [
        { of: 'value', op: '>=', threshold: 5e6 },
        { of: 'ratio', op: '>=', threshold: 15 },
        { of: 'value', op: '>=', threshold: 3 * st.sock.median, label: `≥ 3 × the socket (${(sync / st.sock.median).toFixed(2)}×)` },
      ],
      [`${vsDrain(sync, st.ipcDrain)}, ${(sync / st.port.median).toFixed(2)}× MessagePort, ${(sync / st.sock.median).toFixed(2)}× the socket; ${wakesPerM('sync')}`]);
    // (b)
    row('(b) 1→1 64 B, poll (views in place)', 'msg/s', st.poll, [ipcBase, ipcDrainBase], st.poll.median / st.ipc.median, 'process.send',
      [{ of: 'ratio', op: '>=', threshold: 20 }], [`${vsDrain(st.poll.median, st.ipcDrain)}; ${wakesPerM('poll')}`]);
    // (c)
    row('(c) small objects, receiveSync', 'msg/s', st.obj,
      [base("process.send, serialization 'advanced', no callback", st.ipcAdv), base("process.send 'advanced', a callback every 1000 messages", st.ipcAdvDrain)],
      st.obj.median / st.ipcAdv.median, "process.send 'advanced'", [{ of: 'ratio', op: '>=', threshold: 1.5 }], [vsDrain(st.obj.median, st.ipcAdvDrain)]);
    // (d)
    row('(d) 1 MiB in place (reserve/peek)', 'B/s', st.big, [base('Unix socket, framed', st.sockBig, 'B/s')], st.big.median / st.sockBig.median, 'socket',
      [{ of: 'ratio', op: '>=', threshold: 5 }]);
    // (e)
    row('(e) ping-pong 64 B, receiveSync: p50', 'µs', st.ppSync, [], null, undefined, [{ of: 'value', op: '<=', threshold: 2 }]);
    // (f)
    row('(f) ping-pong 64 B, receive(): p50', 'µs', st.ppAsync, [base('waitAsync/notify ping-pong p50', st.ppWaitAsync, 'µs')],
      st.ppAsync.median / st.ppWaitAsync.median, 'waitAsync', [{ of: 'ratio', op: '<=', threshold: 1.2 }]);
    // (g)
    row('(g) 4→1 64 B, receiveSync', 'msg/s', st.four, [base('(a) 1→1', st.sync)], st.four.median / sync, '1→1', [{ of: 'ratio', op: '>=', threshold: 0.5 }],
      [wakesPerM('four')]);
    return out;
  },
};
