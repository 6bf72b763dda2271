// Windows smoke suite (issue 5, in progress): the cross-process basics on the
// mingw-built prebuild, with Node's own test runner (jest is too heavy under
// wine). Run on Linux through wine by scripts/test-windows.sh; on Windows:
//   set PREBUILDS_ONLY=1 && node test/windows/smoke.test.js
'use strict';
const { test } = require('node:test');
const assert = require('node:assert');
const { fork } = require('node:child_process');
const { SharedMemory, Semaphore, Mutex, wait, waitAsync, notify } = require('../..');

const tag = `w${process.pid.toString(36)}`;
let n = 0;
const unique = () => `${tag}_${++n}`;

if (process.argv[2] === 'child') {
  // Child: attach by name, then do what the parent asks.
  const [, , , role, shmName, semName, k] = process.argv;
  const shm = SharedMemory.open(shmName);
  const K = Number(k);
  process.once('message', () => {
    if (role === 'echo') {
      process.send({ saw: shm.buffer.toString('utf8', 0, 5) });
      shm.buffer.write('child', 8);
    } else if (role === 'semaphore') {
      const sem = Semaphore.open(semName);
      for (let i = 0; i < K; i++) {
        sem.waitSync();
        shm.buffer.writeUInt32LE(shm.buffer.readUInt32LE(0) + 1, 0);
        sem.post();
      }
      sem.close();
    } else if (role === 'mutex') {
      const m = Mutex.attach(shm, 64);
      for (let i = 0; i < K; i++) m.withLockSync(() => shm.buffer.writeUInt32LE(shm.buffer.readUInt32LE(0) + 1, 0));
    } else if (role === 'holder') {
      Mutex.attach(shm, 64).lockSync(); // and never unlocks: the parent kills us
      process.send({ holding: true });
      setInterval(() => {}, 1000);
      return;
    } else if (role === 'atomic') {
      const v = new Int32Array(shm.buffer.buffer, 0, 1);
      for (let i = 0; i < K; i++) Atomics.add(v, 0, 1);
    }
    shm.close();
    process.send({ done: true }, () => process.disconnect());
  });
  process.send({ ready: true });
  return;
}

function child(...args) {
  const c = fork(__filename, ['child', ...args]);
  const messages = [];
  const waiters = [];
  c.on('message', (m) => {
    messages.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  c.next = async () => {
    while (messages.length === 0) await new Promise((r) => waiters.push(r));
    return messages.shift();
  };
  c.exited = new Promise((r) => c.on('exit', (code) => r(code)));
  return c;
}

async function race(role, procs, k) {
  const shm = SharedMemory.create({ name: unique(), size: 4096 });
  let sem;
  try {
    if (role === 'semaphore') sem = Semaphore.create({ name: unique() });
    if (role === 'mutex') Mutex.create(shm, 64);
    const kids = Array.from({ length: procs }, () => child(role, shm.name, sem ? sem.name : '-', String(k)));
    for (const c of kids) assert.deepStrictEqual(await c.next(), { ready: true });
    for (const c of kids) c.send('go');
    for (const c of kids) assert.deepStrictEqual(await c.next(), { done: true });
    for (const c of kids) assert.strictEqual(await c.exited, 0);
    return shm.buffer.readUInt32LE(0);
  } finally {
    shm.close();
    if (sem) sem.close();
  }
}

test('a forked child attaches by name; each sees the other\'s writes', async () => {
  const shm = SharedMemory.create({ name: unique(), size: 4096 });
  shm.buffer.write('hello');
  const c = child('echo', shm.name, '-', '0');
  assert.deepStrictEqual(await c.next(), { ready: true });
  c.send('go');
  assert.deepStrictEqual(await c.next(), { saw: 'hello' });
  assert.deepStrictEqual(await c.next(), { done: true });
  assert.strictEqual(shm.buffer.toString('utf8', 8, 13), 'child');
  assert.strictEqual(await c.exited, 0);
  shm.close();
});

test('counter races are exact: Semaphore, Mutex, Atomics', async () => {
  assert.strictEqual(await race('semaphore', 2, 300), 600);
  assert.strictEqual(await race('mutex', 2, 2000), 4000);
  assert.strictEqual(await race('atomic', 2, 20000), 40000);
});

test('a killed holder\'s Mutex is taken over, with ownerDied', async () => {
  const shm = SharedMemory.create({ name: unique(), size: 4096 });
  const m = Mutex.create(shm, 64);
  const c = child('holder', shm.name, '-', '0');
  assert.deepStrictEqual(await c.next(), { ready: true });
  c.send('go');
  assert.deepStrictEqual(await c.next(), { holding: true });
  assert.strictEqual(m.tryLock(), false);
  assert.strictEqual(m.lockSync(100), false); // a live holder is never robbed
  c.kill('SIGKILL'); // TerminateProcess
  await c.exited;
  assert.strictEqual(m.lockSync(10000), true);
  assert.strictEqual(m.ownerDied, true);
  m.unlock();
  assert.strictEqual(m.ownerDied, false);
  shm.close();
});

test('async waits settle without blocking the event loop: Semaphore.wait, Mutex.lock, waitAsync', async () => {
  const sem = Semaphore.create({ name: unique(), value: 0 });
  const pending = sem.wait({ timeout: 10000 });
  let ticked = false;
  await new Promise((r) => setTimeout(() => { ticked = true; r(); }, 20));
  assert.strictEqual(ticked, true);
  sem.post();
  assert.strictEqual(await pending, true);
  assert.strictEqual(await sem.wait({ timeout: 30 }), false);
  const ac = new AbortController();
  const aborted = sem.wait({ signal: ac.signal });
  ac.abort();
  await assert.rejects(aborted, { code: 'ABORT_ERR' });
  sem.post();
  assert.strictEqual(sem.tryWait(), true); // the aborted wait took nothing
  sem.close();

  const shm = SharedMemory.create({ name: unique(), size: 4096 });
  const view = new Int32Array(shm.buffer.buffer, 0, 4);
  assert.strictEqual(wait(view, 0, 1), 'not-equal');
  assert.strictEqual(wait(view, 0, 0, 20), 'timed-out');
  const woken = waitAsync(view, 0, 0, 10000);
  setTimeout(() => { Atomics.store(view, 0, 1); notify(view, 0); }, 20);
  assert.strictEqual(await woken, 'ok');
  const m = Mutex.create(shm, 64);
  assert.strictEqual(await m.lock(), true);
  m.unlock();
  shm.close();
});

test('errors have the codes of Linux', () => {
  const name = unique();
  const shm = SharedMemory.create({ name, size: 10 });
  assert.throws(() => SharedMemory.create({ name, size: 10 }), { code: 'EEXIST', path: name });
  assert.throws(() => SharedMemory.open(unique()), { code: 'ENOENT' });
  assert.throws(() => Semaphore.open(unique()), { code: 'ENOENT' });
  assert.throws(() => SharedMemory.create({ size: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  shm.close();
});

test('after close every view is empty, and semaphores say EBADF', () => {
  const shm = SharedMemory.create({ name: unique(), size: 4096 });
  const views = [shm.buffer, shm.buffer.subarray(1, 9), new Int32Array(shm.buffer.buffer, 0, 4)];
  shm.close();
  for (const v of views) assert.strictEqual(v.length, 0);
  assert.strictEqual(views[2][0], undefined);
  const sem = Semaphore.create({ name: unique() });
  sem.close();
  assert.throws(() => sem.post(), { code: 'EBADF' });
});
