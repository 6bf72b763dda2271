// Channel between real processes and worker threads: order per sender, every
// message exactly once with 4 senders and 4 receivers, the kill rule under
// random SIGKILLs, and workers terminated while their waits complete.
import { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { Channel, Mutex, SharedMemory, notify } from '..';
import * as L from '../dist/channel-layout';
import { cleanupNames, FIXTURES, forkFixture, killChildren, onceExit, onceMessage, uniqueName } from './helpers';

const ACKED = 16;
const SEEN = 1024;
const GATE = 0;
const READY = 1;

const opened: Array<{ close(): void }> = [];
const workers: Worker[] = [];

afterEach(async () => {
  killChildren();
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
  for (const h of opened.splice(0)) h.close();
  cleanupNames();
});

interface Setup {
  ch: Channel<any>;
  book: Int32Array;
  base: object;
}

function setup(capacity: number, perSender: number, minSize = 8, maxSize = 64): Setup {
  const ch = Channel.create({ name: uniqueName(), capacity });
  const bookShm = SharedMemory.create({ name: uniqueName(), size: (SEEN + 64 * perSender) * 4 });
  opened.push(ch, bookShm);
  const book = new Int32Array(bookShm.buffer.buffer, bookShm.buffer.byteOffset, bookShm.size >> 2);
  for (let i = 0; i < 64; i++) book[ACKED + i] = -1;
  return { ch, book, base: { name: ch.name, book: bookShm.name, perSender, minSize, maxSize } };
}

interface Agent {
  result: Promise<any>;
  kill(): void;
  exited: Promise<unknown>;
}

function processAgent(args: object): Agent {
  const child: ChildProcess = forkFixture('channel-agent.js', [JSON.stringify(args)]);
  const result = onceMessage(child, (m) => m.done || m.error);
  result.catch(() => {});
  return { result, kill: () => child.kill('SIGKILL'), exited: onceExit(child) };
}

function workerAgent(args: object): Agent {
  const w = new Worker(path.join(FIXTURES, 'channel-agent.js'), { workerData: args });
  workers.push(w);
  const result = new Promise<any>((resolve, reject) => {
    w.once('message', resolve);
    w.once('error', reject);
  });
  result.catch(() => {});
  return { result, kill: () => void w.terminate(), exited: new Promise((r) => w.once('exit', r)) };
}

async function openGate(book: Int32Array, n: number): Promise<void> {
  while (Atomics.load(book, READY) < n) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(book, GATE, 1);
  notify(book, GATE);
}

function seenCounts(book: Int32Array, sender: number, perSender: number): Int32Array {
  return book.subarray(SEEN + sender * perSender, SEEN + (sender + 1) * perSender);
}

function checkResults(results: any[]): void {
  for (const r of results) {
    expect(r.error).toBeUndefined();
    expect(r.corrupt).toBe(0);
    expect(r.outOfOrder).toBe(0);
  }
}

test('one sender process to one receiver process: every message, in order, intact', async () => {
  const perSender = 20000;
  const { ch, book, base } = setup(4096, perSender, 8, 300);
  const receiver = processAgent({ ...base, role: 'receive', id: 0, method: 'sync', gate: true });
  const sender = processAgent({ ...base, role: 'send', id: 0, method: 'sync', count: perSender, gate: true });
  await openGate(book, 2);
  expect((await sender.result).sent).toBe(perSender);
  ch.end();
  const r = await receiver.result;
  checkResults([r]);
  expect(r.received).toBe(perSender);
  expect([...seenCounts(book, 0, perSender)].every((c) => c === 1)).toBe(true);
});

test.each([
  ['processes', processAgent, processAgent],
  ['worker threads', workerAgent, workerAgent],
  ['sending processes, receiving worker threads', processAgent, workerAgent],
])('4 senders x 4 receivers (%s), every send form and every receive form: each message exactly once, in order per sender', async (_label, sendAgent, recvAgent) => {
  const perSender = 3000;
  const { ch, book, base } = setup(2048, perSender, 8, 200);
  const sendMethods = ['sync', 'async', 'reserve', 'try'];
  const recvMethods = ['sync', 'async', 'poll', 'peek'];
  const receivers = recvMethods.map((method, id) => recvAgent({ ...base, role: 'receive', id, method, gate: true }));
  const senders = sendMethods.map((method, id) => sendAgent({ ...base, role: 'send', id, method, count: perSender, gate: true }));
  await openGate(book, 8);
  for (const s of senders) expect(await s.result).toMatchObject({ sent: perSender });
  ch.end();
  const results = await Promise.all(receivers.map((r) => r.result));
  checkResults(results);
  expect(results.reduce((a, r) => a + r.received, 0)).toBe(4 * perSender);
  for (let s = 0; s < 4; s++) expect([...seenCounts(book, s, perSender)].every((c) => c === 1)).toBe(true);
});

test('the kill rule: random SIGKILLs of senders and receivers during 20,000+ messages lose at most what was in flight, and deliver nothing twice', async () => {
  // At most 64 sender ids (the book's ACKED words): 3, one per sender kill,
  // and one per sender that finished its 4,000 messages.
  const perSender = 4000;
  const { ch, book, base } = setup(1024, perSender, 8, 120);
  const sendMethods = ['sync', 'async', 'reserve'];
  const recvMethods = ['sync', 'async', 'poll', 'peek', 'iterate'];
  let nextSender = 0;
  let nextReceiver = 0;
  const senders = new Map<number, Agent>();
  const receivers = new Map<number, Agent>();
  const finished = new Set<number>();
  const startSender = () => {
    const id = nextSender++;
    const agent = processAgent({ ...base, role: 'send', id, method: sendMethods[id % 3], count: perSender });
    agent.result.then(() => finished.add(id), () => {});
    senders.set(id, agent);
  };
  const startReceiver = () => {
    const id = nextReceiver++;
    receivers.set(id, processAgent({ ...base, role: 'receive', id, method: recvMethods[id % 5] }));
  };
  for (let i = 0; i < 3; i++) startSender();
  for (let i = 0; i < 3; i++) startReceiver();
  const ackedTotal = () => {
    let total = 0;
    for (let s = 0; s < nextSender; s++) total += book[ACKED + s] + 1;
    return total;
  };
  let senderKills = 0;
  let receiverKills = 0;
  const killedSenders = new Set<number>();
  // Kill one agent (at a random moment) after every 300 to 700 messages
  // acknowledged, 24 times, and start another in its place: progress, not
  // time, paces the kills, so that slow machines and CPU emulation see as
  // many. Then go on without kills until 20,000 sends have returned. A sender
  // that has sent all its messages is replaced too, so progress never stops.
  const replaceFinished = () => {
    for (const id of [...senders.keys()]) {
      if (finished.has(id)) {
        senders.delete(id);
        startSender();
      }
    }
  };
  let mark = 0;
  let kills = 0;
  while (kills < 24 || ackedTotal() < 20000) {
    await new Promise((r) => setTimeout(r, 2));
    replaceFinished();
    if (kills >= 24 || ackedTotal() < mark + 300 + Math.random() * 400) continue;
    mark = ackedTotal();
    kills++;
    if (Math.random() < 0.5) {
      const [id, agent] = [...senders][Math.floor(Math.random() * senders.size)];
      agent.kill();
      await agent.exited;
      senders.delete(id);
      killedSenders.add(id);
      senderKills++;
      startSender();
    } else {
      const [id, agent] = [...receivers][Math.floor(Math.random() * receivers.size)];
      agent.kill();
      await agent.exited;
      receivers.delete(id);
      receiverKills++;
      startReceiver();
    }
  }
  expect(ackedTotal()).toBeGreaterThanOrEqual(20000);
  // Let the survivors finish, then end: the receivers drain and report.
  for (const s of senders.values()) expect(await s.result).toMatchObject({ sent: perSender });
  ch.end();
  const results = await Promise.all([...receivers.values()].map((r) => r.result));
  checkResults(results);

  let lost = 0;
  let inFlightReceived = 0;
  for (let s = 0; s < nextSender; s++) {
    const acked = book[ACKED + s];
    const seen = seenCounts(book, s, perSender);
    for (let i = 0; i < perSender; i++) {
      expect(seen[i]).toBeLessThanOrEqual(1); // never twice
      if (i <= acked && seen[i] === 0) lost++;
      if (i > acked) {
        // Only the one message a killed sender was in the middle of may have gone through.
        if (seen[i] === 1) {
          expect(killedSenders.has(s)).toBe(true);
          expect(i).toBe(acked + 1);
          inFlightReceived++;
        }
      }
    }
  }
  // A killed receiver costs at most the message it was taking (or, inside
  // poll, the one its callback held).
  expect(lost).toBeLessThanOrEqual(receiverKills);
  expect(senderKills + receiverKills).toBe(24);
  expect(inFlightReceived).toBeLessThanOrEqual(senderKills);
});

test('worker threads terminated while their send or receive completes never take the process down (40 rounds)', async () => {
  const ch = Channel.create({ name: uniqueName(), capacity: 256 });
  opened.push(ch);
  const child = forkFixture('channel-terminate.js', [ch.name, '40']);
  const report = await onceMessage(child);
  expect(report).toMatchObject({ ok: true, rounds: 40 });
  expect(await onceExit(child)).toEqual({ code: 0, signal: null });
});

test('an open() that races create() waits until the channel is ready, then works', async () => {
  // The state create() leaves for a moment: header and locks written, the magic word not yet.
  const name = uniqueName();
  const capacity = 256;
  const shm = SharedMemory.create({ name, size: L.HEADER_BYTES + capacity });
  opened.push(shm);
  const words = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, L.HEADER_BYTES / 4);
  Atomics.store(words, L.I_VERSION, L.LAYOUT_VERSION);
  Atomics.store(words, L.I_CAPACITY, capacity);
  Atomics.store(words, L.I_REQUESTED, capacity);
  Atomics.store(words, L.I_CHECK, L.checkWord(capacity));
  Mutex.create(shm, L.SEND_LOCK_OFFSET);
  Mutex.create(shm, L.RECV_LOCK_OFFSET);
  const bookName = uniqueName();
  const bookShm = SharedMemory.create({ name: bookName, size: (SEEN + 64 * 10) * 4 });
  opened.push(bookShm);
  const receiver = processAgent({ name, book: bookName, perSender: 10, minSize: 8, maxSize: 8, role: 'receive', id: 0, method: 'sync' });
  await new Promise((r) => setTimeout(r, 100));
  Atomics.store(words, L.I_MAGIC, L.MAGIC); // create() finishes
  const ch = Channel.open(name);
  opened.push(ch);
  const m = Buffer.alloc(8);
  m.writeUInt32LE(0, 0);
  m.writeUInt32LE(3, 4);
  ch.sendSync(m);
  ch.end();
  expect(await receiver.result).toMatchObject({ received: 1, corrupt: 0 });
});
