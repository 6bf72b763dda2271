'use strict';
// channel child: one side of a Channel benchmark, or of a baseline.
// Every role sends { type: 'ready' }, waits for { type: 'go' }, works, and
// sends { type: 'done', ... }. Receivers time from their first message to
// their last (ms), and check that every message arrived.
//   chan-send NAME METHOD N SIZE KIND   METHOD sync|reserve; KIND bytes|object
//   chan-recv NAME METHOD N             METHOD sync|poll|peek|async
//   ipc-send N KIND HOW                 process.send to the parent (KIND string|object, HOW plain|drain)
//   port N SIZE                         a MessagePort to a worker thread in this process
//   sock-recv PATH N / sock-send PATH N SIZE   a Unix-domain socket, 4-byte length-prefixed frames
//   pp NAME_A NAME_B ROLE METHOD N WARMUP      ping-pong over two channels (ROLE ping|pong; METHOD sync|async)
const net = require('node:net');
const { Worker } = require('node:worker_threads');
const { nextMessage, send, fail } = require('./common');

const [role, ...args] = process.argv.slice(2);

function smallObject(i) {
  return { id: i, name: 'job-name-0001', tags: ['alpha', 'beta', 'gamma'], at: new Date(1733300000000 + i) };
}

function percentiles(samples) {
  const s = Float64Array.from(samples).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(s.length * q))];
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

async function chanSend(name, method, n, size, kind) {
  const { Channel } = require('../..');
  const ch = Channel.open(name);
  const msg = Buffer.alloc(size, 7);
  await send({ type: 'ready' });
  await nextMessage('go');
  const t0 = performance.now();
  if (method === 'reserve') {
    // The payload is produced straight into the channel: one copy, as the
    // socket's sender makes into the kernel.
    for (let i = 0; i < n; i++) {
      const view = ch.reserveSync(size);
      view.set(msg);
      ch.commit();
    }
  } else if (kind === 'object') {
    for (let i = 0; i < n; i++) ch.sendSync(smallObject(i));
  } else {
    for (let i = 0; i < n; i++) ch.sendSync(msg);
  }
  const ms = performance.now() - t0;
  ch.close();
  await send({ type: 'done', ms });
}

async function chanRecv(name, method, n) {
  const { Channel } = require('../..');
  const ch = Channel.open(name);
  await send({ type: 'ready' });
  await nextMessage('go');
  let got = 0;
  let bytes = 0;
  let t0 = 0;
  const first = () => {
    if (got === 0) t0 = performance.now();
  };
  if (method === 'poll') {
    const fn = (m) => {
      bytes += m.length;
    };
    while (got < n) {
      const k = ch.poll(fn);
      if (k === 0) {
        const view = ch.peekSync(); // sleeps until something comes (in place, no copy)
        first();
        bytes += view.length;
        ch.release();
        got++;
      } else {
        first();
        got += k;
      }
    }
  } else if (method === 'peek') {
    // Every byte is read in place (compared with what was sent): the same
    // pass over the payload that the socket's receiver makes copying it out.
    let expected;
    while (got < n) {
      const view = ch.peekSync();
      first();
      expected ??= Buffer.alloc(view.length, 7);
      if (!view.equals(expected)) throw new Error('payload changed');
      bytes += view.length;
      ch.release();
      got++;
    }
  } else if (method === 'async') {
    while (got < n) {
      const m = await ch.receive();
      first();
      bytes += m.length ?? 1;
      got++;
    }
  } else {
    while (got < n) {
      const m = ch.receiveSync();
      first();
      bytes += m.length ?? 1;
      got++;
    }
  }
  const ms = performance.now() - t0;
  ch.close();
  await send({ type: 'done', ms, got, bytes });
}

// HOW 'plain': process.send(m) as apps call it, without a callback (the
// messages queue up in this process while the pipe drains them); 'drain':
// every 1000th send waits for its callback, so the backlog stays bounded,
// which is process.send at its fastest.
async function ipcSend(n, kind, how) {
  const s = 'x'.repeat(64);
  await send({ type: 'ready' });
  await nextMessage('go');
  for (let i = 0; i < n; i++) {
    const m = kind === 'object' ? smallObject(i) : s;
    if (how === 'drain' && i % 1000 === 999) await new Promise((resolve) => process.send(m, resolve));
    else process.send(m);
  }
  await send({ type: 'sent' });
}

async function port(n, size) {
  const w = new Worker(
    `const { parentPort } = require('node:worker_threads');
     let got = 0; const n = ${n};
     parentPort.on('message', (m) => { if (++got === n) parentPort.postMessage('done'); });`,
    { eval: true },
  );
  await new Promise((r) => w.once('online', r));
  await send({ type: 'ready' });
  await nextMessage('go');
  const t0 = performance.now();
  const done = new Promise((r) => w.once('message', r));
  for (let i = 0; i < n; i++) {
    const m = new Uint8Array(size);
    m[0] = i & 255;
    w.postMessage(m);
    if (i % 10000 === 9999) await new Promise((r) => setImmediate(r));
  }
  await done;
  const ms = performance.now() - t0;
  await w.terminate();
  await send({ type: 'done', ms, got: n });
}

async function sockRecv(path, n) {
  let got = 0;
  let t0 = 0;
  let pending = Buffer.alloc(0);
  let finish;
  const finished = new Promise((r) => (finish = r));
  const server = net.createServer((sock) => {
    sock.on('data', (chunk) => {
      if (got === 0) t0 = performance.now();
      let buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let off = 0;
      while (buf.length - off >= 4) {
        const len = buf.readUInt32LE(off);
        if (buf.length - off - 4 < len) break;
        const m = Buffer.from(buf.subarray(off + 4, off + 4 + len)); // one Buffer per message, owned
        if (m.length !== len) throw new Error('short frame');
        off += 4 + len;
        got++;
      }
      pending = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
      if (got >= n) finish();
    });
  });
  await new Promise((r) => server.listen(path, r));
  await send({ type: 'ready' });
  await nextMessage('go');
  await finished;
  const ms = performance.now() - t0;
  server.close();
  await send({ type: 'done', ms, got });
  process.exit(0);
}

async function sockSend(path, n, size) {
  const sock = net.createConnection(path);
  await new Promise((r) => sock.once('connect', r));
  const frame = Buffer.alloc(4 + size, 7);
  frame.writeUInt32LE(size, 0);
  await send({ type: 'ready' });
  await nextMessage('go');
  for (let i = 0; i < n; i++) {
    // One write() per message; wait for the kernel to take more when it is full.
    if (!sock.write(frame)) await new Promise((r) => sock.once('drain', r));
  }
  await new Promise((r) => sock.end(r));
  await send({ type: 'sent' });
}

async function pingPong(nameA, nameB, side, method, n, warmup) {
  const { Channel } = require('../..');
  const out = Channel.open(side === 'ping' ? nameA : nameB);
  const inn = Channel.open(side === 'ping' ? nameB : nameA);
  const msg = Buffer.alloc(64, 1);
  const total = n + warmup;
  await send({ type: 'ready' });
  await nextMessage('go');
  const samples = new Float64Array(n);
  for (let i = 0; i < total; i++) {
    if (side === 'ping') {
      const t0 = process.hrtime.bigint();
      if (method === 'async') {
        await out.send(msg);
        await inn.receive();
      } else {
        out.sendSync(msg);
        inn.receiveSync();
      }
      if (i >= warmup) samples[i - warmup] = Number(process.hrtime.bigint() - t0) / 1000;
    } else if (method === 'async') {
      await out.send(await inn.receive());
    } else {
      out.sendSync(inn.receiveSync());
    }
  }
  out.close();
  inn.close();
  await send({ type: 'done', ...(side === 'ping' ? percentiles(samples) : {}) });
}

const roles = {
  'chan-send': () => chanSend(args[0], args[1], Number(args[2]), Number(args[3]), args[4]),
  'chan-recv': () => chanRecv(args[0], args[1], Number(args[2])),
  'ipc-send': () => ipcSend(Number(args[0]), args[1], args[2]),
  port: () => port(Number(args[0]), Number(args[1])),
  'sock-recv': () => sockRecv(args[0], Number(args[1])),
  'sock-send': () => sockSend(args[0], Number(args[1]), Number(args[2])),
  pp: () => pingPong(args[0], args[1], args[2], args[3], Number(args[4]), Number(args[5])),
};

roles[role]().catch(fail);
