// Windows smoke suite: the cross-process behaviour on the
// mingw-built prebuild, with Node's own test runner (jest is too heavy under
// wine). Run on Linux through wine by scripts/test-windows.sh (node.exe 20
// and 22); on Windows:
//   set PREBUILDS_ONLY=1 && node test/windows/smoke.test.js
// No assertion depends on timing: a waiter is known to be parked when a
// notify wakes it, and a hang (a lost wake-up) fails through a test timeout.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert');
const { fork, spawn } = require('node:child_process');
const { SharedMemory, Semaphore, Mutex, Channel, wait, waitAsync, notify } = require('../..');

const tag = `w${process.pid.toString(36)}`;
let n = 0;
const unique = () => `${tag}_${++n}`;

if (process.argv[2] === 'child') {
  // Child: attach by name, then do what the parent asks.
  const [, , , role, shmName, semName, k] = process.argv;
  const shm = SharedMemory.open(shmName);
  const K = Number(k);
  process.once('message', async (msg) => {
    const view = new Int32Array(shm.buffer.buffer, 0, 16);
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
    } else if (role === 'mutex-async') {
      const m = Mutex.attach(shm, 64);
      for (let i = 0; i < K; i++) {
        assert.strictEqual(await m.lock(), true);
        shm.buffer.writeUInt32LE(shm.buffer.readUInt32LE(0) + 1, 0);
        m.unlock();
      }
    } else if (role === 'wait') {
      // Only a notify can end this wait: nobody changes word 0.
      process.send({ result: wait(view, 0, 0) });
    } else if (role === 'wait-async') {
      process.send({ result: await waitAsync(view, 0, 0) });
    } else if (role === 'wait-many') {
      // Short waits that time out while the parent notifies: wakes and timeouts race.
      const counts = { ok: 0, 'timed-out': 0 };
      for (let i = 0; i < K; i++) counts[wait(view, 0, 0, 1 + (i % 3))]++;
      process.send(counts);
    } else if (role === 'park') {
      Atomics.store(view, 1, 1); // about to sleep; the parent kills us
      wait(view, 0, 0);
    } else if (role === 'pingpong') {
      // Word 0 counts turns: odd ones are ours. A lost wake-up hangs.
      for (let i = 0; i < K; i++) {
        while (Atomics.load(view, 0) === 2 * i) wait(view, 0, 2 * i);
        Atomics.store(view, 0, 2 * i + 2);
        notify(view, 0);
      }
    } else if (role === 'hold') {
      // Had the segment open until now.
    } else if (role === 'holder') {
      Mutex.attach(shm, 64).lockSync(); // and never unlocks: the parent kills us
      process.send({ holding: true });
      setInterval(() => {}, 1000);
      return;
    } else if (role === 'atomic') {
      const v = new Int32Array(shm.buffer.buffer, 0, 1);
      for (let i = 0; i < K; i++) Atomics.add(v, 0, 1);
    } else if (role === 'handles') {
      // The message holds a Struct view and a ShareableList, sent as JSON.
      const { attach, Struct } = require('../..');
      const h = attach(msg);
      for (let i = 0; i < K; i++) h.stats.lock.withLockSync(() => { h.stats.count += 1n; });
      Struct.layoutOf(h.stats).add(h.stats, 'hits', K);
      h.list.set(0, 'child');
      h.list.close();
      Struct.segmentOf(h.stats).close();
    }
    shm.close();
    process.send({ done: true }, () => process.disconnect());
  });
  process.send({ ready: true });
  return;
}

// Children still running when a test ends (it failed) are killed.
const running = new Set();
function killAll() {
  for (const c of running) c.kill();
  running.clear();
}

// fork() under wine failed once in about 25 runs here ('spawn UNKNOWN' with
// node.exe 22, in the parent, before the child ran anything): retried, and
// reported in the output.
function forkRetried(args) {
  for (let attempt = 1; ; attempt++) {
    try {
      return fork(__filename, args);
    } catch (err) {
      if (err.code !== 'UNKNOWN' || attempt === 5) throw err;
      console.log(`# fork failed with spawn UNKNOWN (attempt ${attempt}), retrying`);
    }
  }
}

function child(...args) {
  const c = forkRetried(['child', ...args]);
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
  running.add(c);
  c.on('exit', () => running.delete(c));
  return c;
}

async function started(...args) {
  const c = child(...args);
  assert.deepStrictEqual(await c.next(), { ready: true });
  return c;
}

async function finished(c) {
  assert.deepStrictEqual(await c.next(), { done: true });
  assert.strictEqual(await c.exited, 0);
}

const tick = () => new Promise((r) => setTimeout(r, 5));

// Notifies until someone is woken: the waiter is then surely parked, and a
// notify that returns 1 woke exactly one.
async function notifyUntilWoken(view, index, count) {
  for (;;) {
    const n = notify(view, index, count);
    if (n !== 0) return n;
    await tick();
  }
}

async function race(role, procs, k) {
  const shm = SharedMemory.create({ name: unique(), size: 4096 });
  let sem;
  try {
    if (role === 'semaphore') sem = Semaphore.create({ name: unique() });
    if (role === 'mutex' || role === 'mutex-async') Mutex.create(shm, 64);
    const kids = Array.from({ length: procs }, () => child(role, shm.name, sem ? sem.name : '-', String(k)));
    for (const c of kids) assert.deepStrictEqual(await c.next(), { ready: true });
    for (const c of kids) c.send('go');
    for (const c of kids) assert.deepStrictEqual(await c.next(), { done: true });
    for (const c of kids) assert.strictEqual(await c.exited, 0);
    return shm.buffer.readUInt32LE(0);
  } finally {
    killAll();
    shm.close();
    if (sem) sem.close();
  }
}

// A segment for one test, closed (and its children killed) even on failure.
async function withSegment(size, fn) {
  const shm = SharedMemory.create({ name: unique(), size });
  try {
    return await fn(shm, new Int32Array(shm.buffer.buffer, 0, 16));
  } finally {
    killAll();
    shm.close();
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

test('a contended Mutex stays exact across 3 processes, with lockSync and with await lock()', async () => {
  assert.strictEqual(await race('mutex', 3, 1000), 3000);
  assert.strictEqual(await race('mutex-async', 3, 300), 900);
});

test('wait/notify across processes: a parked child is woken, and notify returns 1', { timeout: 60000 }, async () => {
  for (const role of ['wait', 'wait-async']) {
    await withSegment(4096, async (shm, view) => {
      const c = await started(role, shm.name, '-', '0');
      c.send('go');
      assert.strictEqual(await notifyUntilWoken(view, 0, 1), 1);
      assert.deepStrictEqual(await c.next(), { result: 'ok' });
      await finished(c);
      assert.strictEqual(notify(view, 0), 0); // nobody left
    });
  }
});

test('notify counts exactly: two parked children, one at a time and then all at once', { timeout: 60000 }, async () => {
  await withSegment(4096, async (shm, view) => {
    const kids = [await started('wait', shm.name, '-', '0'), await started('wait-async', shm.name, '-', '0')];
    for (const c of kids) c.send('go');
    assert.strictEqual(await notifyUntilWoken(view, 0, 1), 1);
    assert.strictEqual(await notifyUntilWoken(view, 0, 1), 1);
    for (const c of kids) assert.deepStrictEqual(await c.next(), { result: 'ok' });
    for (const c of kids) await finished(c);

    const again = [await started('wait', shm.name, '-', '0'), await started('wait', shm.name, '-', '0')];
    for (const c of again) c.send('go');
    let total = 0;
    while (total < 2) {
      total += notify(view, 0); // all: whoever is parked by now
      if (total < 2) await tick();
    }
    assert.strictEqual(total, 2); // never a waiter counted twice or one not woken
    for (const c of again) assert.deepStrictEqual(await c.next(), { result: 'ok' });
    for (const c of again) await finished(c);
    assert.strictEqual(notify(view, 0), 0);
  });
});

test('notify\'s count stays exact while waits time out: each wake it counts is an \'ok\'', { timeout: 120000 }, async () => {
  await withSegment(4096, async (shm, view) => {
    const kids = [await started('wait-many', shm.name, '-', '300'), await started('wait-many', shm.name, '-', '300')];
    for (const c of kids) c.send('go');
    const reports = kids.map((c) => c.next());
    let done = 0;
    reports.forEach((r) => r.then(() => done++));
    let counted = 0;
    for (let round = 0; done < kids.length; round++) {
      counted += notify(view, 0, 1);
      // Every other round a pause, so that more waits time out and race with a wake.
      await new Promise((r) => (round % 2 ? setTimeout(r, 1) : setImmediate(r)));
    }
    const counts = await Promise.all(reports);
    for (const c of kids) await finished(c);
    assert.strictEqual(counted, counts[0].ok + counts[1].ok);
    assert.strictEqual(counts[0].ok + counts[0]['timed-out'], 300);
  });
});

test('no wake-up is lost: 500 round trips of store + notify between two processes', { timeout: 120000 }, async () => {
  await withSegment(4096, async (shm, view) => {
    const rounds = 500;
    const c = await started('pingpong', shm.name, '-', String(rounds));
    c.send('go');
    for (let i = 0; i < rounds; i++) {
      Atomics.store(view, 0, 2 * i + 1);
      notify(view, 0);
      while (Atomics.load(view, 0) === 2 * i + 1) await waitAsync(view, 0, 2 * i + 1);
    }
    assert.strictEqual(Atomics.load(view, 0), 2 * rounds);
    await finished(c);
  });
});

test('notify without waiters returns 0; wait gives not-equal and timed-out', async () => {
  await withSegment(4096, async (shm, view) => {
    assert.strictEqual(notify(view, 0), 0);
    assert.strictEqual(notify(view, 3, 1), 0);
    Atomics.store(view, 2, 7);
    assert.strictEqual(wait(view, 2, 6), 'not-equal');
    assert.strictEqual(await waitAsync(view, 2, 6), 'not-equal');
    assert.strictEqual(wait(view, 2, 7, 30), 'timed-out');
    assert.strictEqual(await waitAsync(view, 2, 7, 30), 'timed-out');
    assert.strictEqual(notify(view, 2), 0); // the timed-out waits left nothing behind
  });
});

test('a word\'s key is (segment name, offset): another mapping in this process wakes it', { timeout: 60000 }, async () => {
  await withSegment(4096, async (shm, view) => {
    const other = SharedMemory.open(shm.name); // mapped at another address
    try {
      const otherView = new Int32Array(other.buffer.buffer, 0, 16);
      const woken = waitAsync(view, 5, 0);
      assert.strictEqual(await notifyUntilWoken(otherView, 5, 1), 1);
      assert.strictEqual(await woken, 'ok');
      // Closing a segment settles its pending wait, and the wait leaves the table.
      const pending = waitAsync(view, 5, 0);
      shm.close();
      await assert.rejects(pending, { code: 'EBADF' });
      assert.strictEqual(notify(otherView, 5), 0);
    } finally {
      other.close();
    }
  });
});

test('a waiter in a killed process is not counted, and others are still woken', { timeout: 60000 }, async () => {
  await withSegment(4096, async (shm, view) => {
    // This process opens the segment's wait table first, so that the table
    // outlives the child and still holds its slot after the kill.
    assert.strictEqual(notify(view, 0), 0);
    const c = await started('park', shm.name, '-', '0');
    c.send('go');
    while (Atomics.load(view, 1) === 0) await tick();
    for (let i = 0; i < 20; i++) await tick(); // most likely asleep now; asleep or not, it is not counted
    c.kill('SIGKILL');
    await c.exited;
    assert.strictEqual(notify(view, 0), 0);
    const w = await started('wait', shm.name, '-', '0');
    w.send('go');
    assert.strictEqual(await notifyUntilWoken(view, 0, 1), 1);
    assert.deepStrictEqual(await w.next(), { result: 'ok' });
    await finished(w);
  });
});

test('unlink on Windows: the name lives until the last handle closes', async () => {
  const name = unique();
  const shm = SharedMemory.create({ name, size: 4096 });
  try {
    shm.buffer.write('kept');
    const c = await started('hold', name, '-', '0');
    shm.unlink(); // only checks that the name exists
    shm.close();
    // The child still has it open: the name still opens the same memory, and is still taken.
    const again = SharedMemory.open(name);
    assert.strictEqual(again.buffer.toString('utf8', 0, 4), 'kept');
    again.close();
    assert.throws(() => SharedMemory.create({ name, size: 4096 }), { code: 'EEXIST' });
    c.send('go');
    await finished(c);
    // Every handle is closed: the section is gone.
    assert.throws(() => SharedMemory.open(name), { code: 'ENOENT' });
    assert.throws(() => SharedMemory.unlink(name), { code: 'ENOENT' });
  } finally {
    killAll();
    shm.close();
  }
});

test('open() reports the size rounded up to a page, as Python does; the creator keeps its own', () => {
  for (const [size, seen] of [[100, 4096], [4096, 4096], [4097, 8192]]) {
    const shm = SharedMemory.create({ name: unique(), size });
    const other = SharedMemory.open(shm.name);
    try {
      assert.strictEqual(shm.size, size);
      assert.strictEqual(other.size, seen);
      shm.buffer[size - 1] = 42;
      assert.strictEqual(other.buffer[size - 1], 42);
    } finally {
      other.close();
      shm.close();
    }
  }
});

// Python interop on Windows, through test/windows/python-like.cc, which makes
// CPython's SharedMemory calls one for one (scripts/test-windows.sh builds it).
const PYTHON_LIKE = process.env.SHMEM_PYTHON_LIKE_EXE;
const noPythonLike = PYTHON_LIKE ? false : 'SHMEM_PYTHON_LIKE_EXE not set (scripts/test-windows.sh builds python-like.exe)';

function pythonLike(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON_LIKE, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      if (p.onOutput) p.onOutput(out);
    });
    p.on('error', reject);
    // 'close', not 'exit': the output may still be in the pipe when the process exits.
    p.done = new Promise((r) => p.on('close', (code) => r({ code, out })));
    resolve(p);
  });
}

test('Python\'s SharedMemory(name=..., create=True) block opens by name in Node, and the other way round', { skip: noPythonLike, timeout: 60000 }, async () => {
  // Python creates (100 bytes) and writes; Node attaches by the same name.
  const name = unique();
  const py = await pythonLike(['create', name, '100', 'hello from python']);
  await new Promise((r) => (py.onOutput = (out) => out.includes('ready') && r()));
  try {
    const shm = SharedMemory.open(name);
    try {
      assert.strictEqual(shm.buffer.toString('utf8', 0, 17), 'hello from python');
      assert.strictEqual(shm.size, 4096); // the section's pages, as Python's VirtualQuery gives
      assert.throws(() => SharedMemory.create({ name, size: 100 }), { code: 'EEXIST' });
    } finally {
      shm.close();
    }
  } finally {
    py.stdin.end();
  }
  assert.strictEqual((await py.done).code, 0);

  // Node creates and writes; Python attaches by name and reads.
  const mine = SharedMemory.create({ name: unique(), size: 5000 });
  try {
    mine.buffer.write('hello from node');
    const r = await (await pythonLike(['read', mine.name, '15'])).done;
    assert.deepStrictEqual(r, { code: 0, out: '8192 hello from node\n' });
    // And Python's create refuses the name, as FileExistsError.
    assert.strictEqual((await (await pythonLike(['create', mine.name, '10', 'x'])).done).code, 3);
  } finally {
    mine.close();
  }
  assert.strictEqual((await (await pythonLike(['read', mine.name, '1'])).done).code, 4); // gone with the last handle
});

test('Struct, ShareableList and attach across processes: handles sent as JSON, a counter exact under a mutex field', async () => {
  const { Struct, ShareableList } = require('../..');
  const Stats = Struct.define({ lock: 'mutex', count: 'u64', hits: 'u32' });
  await withSegment(4096, async (shm) => {
    const stats = Stats.create(shm, 64);
    const list = ShareableList.create(['parent', 1], { name: unique() });
    try {
      const kids = [await started('handles', shm.name, '-', '300'), await started('handles', shm.name, '-', '300')];
      for (const c of kids) c.send({ stats, list });
      for (const c of kids) await finished(c);
      assert.strictEqual(stats.count, 600n);
      assert.strictEqual(stats.hits, 600);
      assert.deepStrictEqual(list.toArray(), ['child', 1]);
    } finally {
      list.close();
    }
  });
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

// Channel agents (test/fixtures/channel-agent.js) keep their book in a
// second segment: ACKED + sender = last seq whose send returned, SEEN + ... =
// how often each message was received.
const CH_ACKED = 16;
const CH_SEEN = 1024;
function channelAgent(args) {
  let c;
  for (let attempt = 1; ; attempt++) {
    try {
      c = fork(require.resolve('../fixtures/channel-agent.js'), [JSON.stringify(args)]);
      break;
    } catch (err) {
      if (err.code !== 'UNKNOWN' || attempt === 5) throw err;
    }
  }
  running.add(c);
  c.on('exit', () => running.delete(c));
  c.result = new Promise((resolve, reject) => {
    c.on('message', (m) => (m.done || m.error ? resolve(m) : undefined));
    c.on('exit', (code) => reject(new Error(`channel agent exited ${code} without a result`)));
  });
  c.result.catch(() => {});
  c.exited = new Promise((r) => c.on('exit', r));
  return c;
}

async function withChannel(capacity, perSender, fn) {
  const ch = Channel.create({ name: unique(), capacity });
  const book = SharedMemory.create({ name: unique(), size: (CH_SEEN + 64 * perSender) * 4 });
  const words = new Int32Array(book.buffer.buffer, 0, book.size >> 2);
  for (let i = 0; i < 64; i++) words[CH_ACKED + i] = -1;
  try {
    return await fn(ch, words, { name: ch.name, book: book.name, perSender, minSize: 8, maxSize: 120 });
  } finally {
    killAll();
    ch.close();
    book.close();
  }
}

test('Channel across processes: 2 senders and 2 receivers, every message exactly once and in order per sender', { timeout: 300000 }, async () => {
  await withChannel(1024, 1500, async (ch, words, base) => {
    const receivers = ['sync', 'async'].map((method, id) => channelAgent({ ...base, role: 'receive', id, method }));
    const senders = ['sync', 'reserve'].map((method, id) => channelAgent({ ...base, role: 'send', id, method, count: 1500 }));
    for (const s of senders) assert.strictEqual((await s.result).sent, 1500);
    ch.end();
    let total = 0;
    for (const r of receivers) {
      const res = await r.result;
      assert.strictEqual(res.error, undefined);
      assert.strictEqual(res.corrupt, 0);
      assert.strictEqual(res.outOfOrder, 0);
      total += res.received;
    }
    assert.strictEqual(total, 3000);
    for (let i = 0; i < 2 * 1500; i++) assert.strictEqual(words[CH_SEEN + i], 1);
  });
});

test('Channel: a sender killed while sending costs at most that message; every acknowledged one arrives once', { timeout: 300000 }, async () => {
  await withChannel(512, 20000, async (ch, words, base) => {
    const receiver = channelAgent({ ...base, role: 'receive', id: 0, method: 'sync' });
    const victim = channelAgent({ ...base, role: 'send', id: 0, method: 'reserve', count: 20000 });
    while (Atomics.load(words, CH_ACKED) < 200) await tick();
    victim.kill('SIGKILL'); // TerminateProcess, mid-stream
    await victim.exited;
    const acked = Atomics.load(words, CH_ACKED);
    const next = channelAgent({ ...base, role: 'send', id: 1, method: 'sync', count: 300 });
    assert.strictEqual((await next.result).sent, 300);
    ch.end();
    const res = await receiver.result;
    assert.strictEqual(res.corrupt, 0);
    assert.strictEqual(res.outOfOrder, 0);
    for (let i = 0; i <= acked; i++) assert.strictEqual(words[CH_SEEN + i], 1);
    for (let i = acked + 2; i < 20000; i++) assert.strictEqual(words[CH_SEEN + i], 0);
    for (let i = 0; i < 300; i++) assert.strictEqual(words[CH_SEEN + 20000 + i], 1);
  });
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

// A worker terminated at about the moment its pending wait completes: the
// completion must be dropped (and what it took given back), never end the
// process. The jest suite's fixture runs in a child, which must exit 0.
for (const kind of ['sem', 'lock', 'waitAsync']) {
  test(`terminate() while a ${kind} wait completes (40 rounds): the process lives`, { timeout: 300000 }, async () => {
    const host = fork(require.resolve('../fixtures/worker-host.js'), [`terminate-completing-${kind}`, unique(), unique()]);
    running.add(host);
    const reports = [];
    host.on('message', (m) => reports.push(m));
    const code = await new Promise((r) => host.on('exit', (c, signal) => r(signal || c)));
    running.delete(host);
    assert.strictEqual(code, 0);
    assert.strictEqual(reports.length, 1);
    assert.strictEqual(reports[0].ok, true, reports[0].error);
    assert.strictEqual(reports[0].rounds, 40);
  });
}

test('import() of the package gives the same classes as require()', async () => {
  const esm = await import('../../dist/index.mjs');
  const cjs = require('../..');
  assert.strictEqual(esm.SharedMemory, cjs.SharedMemory);
  assert.strictEqual(esm.Mutex, cjs.Mutex);
  assert.deepStrictEqual(Object.keys(esm).filter((k) => k !== 'default').sort(), Object.keys(cjs).sort());
});

test('unlinkOnExit is accepted, and unlinking by hand afterwards still works', () => {
  // On Windows the name goes with the last handle anyway; the option must not get in the way.
  const shm = SharedMemory.create({ name: unique(), size: 64, unlinkOnExit: true });
  const sem = Semaphore.create({ name: unique(), unlinkOnExit: true });
  shm.unlink();
  sem.unlink();
  shm.close();
  sem.close();
  assert.throws(() => SharedMemory.create({ size: 1, unlinkOnExit: 'yes' }), { code: 'ERR_INVALID_ARG_TYPE' });
});

test('a segment and a semaphore cannot share a name on Windows: EEXIST to create, ENOENT to open', () => {
  const shm = SharedMemory.create({ name: unique(), size: 64 });
  const sem = Semaphore.create({ name: unique() });
  try {
    assert.throws(() => Semaphore.create({ name: shm.name }), { code: 'EEXIST', syscall: 'CreateSemaphoreW' });
    assert.throws(() => Semaphore.open(shm.name), { code: 'ENOENT' });
    assert.throws(() => SharedMemory.create({ name: sem.name, size: 64 }), { code: 'EEXIST', syscall: 'CreateFileMappingW' });
    assert.throws(() => SharedMemory.open(sem.name), { code: 'ENOENT' });
    assert.throws(() => SharedMemory.unlink(sem.name), { code: 'ENOENT' });
  } finally {
    shm.close();
    sem.close();
  }
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
