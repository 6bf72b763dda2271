// Mutex.lock(): AbortSignal, close() while pending, and waits that leave the
// event loop and the libuv threadpool free.
import * as fs from 'node:fs';

import { Mutex, SharedMemory } from '..';
import { cleanupNames, killChildren, uniqueName } from './helpers';
import { command, sleep, startAgent } from './mutex-util';

const opened: SharedMemory[] = [];
function segment(): SharedMemory {
  const shm = SharedMemory.create({ name: uniqueName(), size: 4096 });
  opened.push(shm);
  return shm;
}

afterEach(() => {
  killChildren();
  for (const shm of opened.splice(0)) shm.close();
  cleanupNames();
});

async function heldByAgent(shm: SharedMemory) {
  const holder = await startAgent('mutex-agent.js', [shm.name, '0']);
  expect(await command(holder.child, { cmd: 'lockSync' })).toMatchObject({ result: true });
  return holder.child;
}

describe('AbortSignal', () => {
  test('a pre-aborted signal rejects with AbortError at once, without taking a free lock', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const ac = new AbortController();
    const reason = new Error('stop');
    ac.abort(reason);
    const err: any = await m.lock({ signal: ac.signal }).catch((e) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('AbortError');
    expect(err.code).toBe('ABORT_ERR');
    expect(err.cause).toBe(reason);
    // Not taken: another process gets it at once.
    const other = await startAgent('mutex-agent.js', [shm.name, '0']);
    expect(await command(other.child, { cmd: 'tryLock' })).toMatchObject({ result: true });
    await command(other.child, { cmd: 'unlock' });
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });

  test('AbortSignal.abort() and AbortSignal.timeout() work as signals', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    await expect(m.lock({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    const holder = await heldByAgent(shm);
    await expect(m.lock({ signal: AbortSignal.timeout(30) })).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await command(holder, { cmd: 'unlock' });
  });

  test('a signal that never aborts does not disturb a lock that succeeds', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const ac = new AbortController();
    const holder = await heldByAgent(shm);
    const p = m.lock({ signal: ac.signal });
    await sleep(30);
    await command(holder, { cmd: 'unlock' });
    await expect(p).resolves.toBe(true);
    ac.abort(); // after the fact: nothing happens
    expect(m.tryLock()).toBe(false); // still ours
    m.unlock();
  });

  test('abort while pending rejects, and leaves the lock untaken', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = await heldByAgent(shm);
    const ac = new AbortController();
    const p = m.lock({ signal: ac.signal });
    const p2 = m.lock({ signal: ac.signal, timeout: 60000 });
    await sleep(50); // the waits are asleep in the kernel
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await expect(p2).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    // The holder releases; a third process can take it (a cancelled wait may
    // grab it for an instant before it gives it back, so poll, bounded).
    await command(holder, { cmd: 'unlock' });
    const third = await startAgent('mutex-agent.js', [shm.name, '0']);
    expect(await command(third.child, { cmd: 'tryLockPoll', attempts: 1000 })).toMatchObject({ result: true, ownerDied: false });
    // Nobody in this process holds it.
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EPERM' }));
    await command(third.child, { cmd: 'unlock' });
    // And this process can lock it normally afterwards.
    await expect(m.lock()).resolves.toBe(true);
    expect(m.ownerDied).toBe(false);
    m.unlock();
  });

  test('abort racing with the release: either the lock is ours or it is free afterwards', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = (await startAgent('mutex-agent.js', [shm.name, '0'])).child;
    const third = (await startAgent('mutex-agent.js', [shm.name, '0'])).child;
    for (let round = 0; round < 20; round++) {
      expect(await command(holder, { cmd: 'lockSync' })).toMatchObject({ result: true });
      const ac = new AbortController();
      const p = m.lock({ signal: ac.signal }).then(
        (v) => ({ ok: v }),
        (e) => ({ err: e }),
      );
      await sleep(round % 5);
      const unlocked = command(holder, { cmd: 'unlock' });
      await sleep(round % 3);
      ac.abort();
      const outcome: any = await p;
      await unlocked;
      if ('ok' in outcome) {
        expect(outcome.ok).toBe(true);
        m.unlock();
      } else {
        expect(outcome.err).toMatchObject({ code: 'ABORT_ERR' });
      }
      // Either way, free for someone else now.
      expect(await command(third, { cmd: 'tryLockPoll', attempts: 1000 })).toMatchObject({ result: true });
      await command(third, { cmd: 'unlock' });
    }
  });
});

describe('close() with lock() pending', () => {
  test('rejects with EBADF, and leaves the lock untaken', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = await heldByAgent(shm);
    const p = m.lock();
    const p2 = m.lock({ timeout: 60000, signal: new AbortController().signal });
    await sleep(50);
    shm.close();
    await expect(p).rejects.toMatchObject({ code: 'EBADF' });
    await expect(p2).rejects.toMatchObject({ code: 'EBADF' });
    await command(holder, { cmd: 'unlock' });
    const third = await startAgent('mutex-agent.js', [shm.name, '0']);
    expect(await command(third.child, { cmd: 'tryLockPoll', attempts: 1000 })).toMatchObject({ result: true, ownerDied: false });
    await command(third.child, { cmd: 'unlock' });
  });

  test('close() right after lock() (before its thread sleeps) rejects with EBADF', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = await heldByAgent(shm);
    const p = m.lock();
    shm.close();
    await expect(p).rejects.toMatchObject({ code: 'EBADF' });
    await command(holder, { cmd: 'unlock' });
  });
});

describe('pending lock() calls leave the event loop and the threadpool free', () => {
  test('8 pending lock() calls: readFile and a timer complete meanwhile; then all get the lock in turn', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = await heldByAgent(shm);
    const settled: number[] = [];
    const results: Array<Promise<boolean>> = [];
    for (let i = 0; i < 8; i++) {
      const p = m.lock();
      results.push(p);
      p.then(
        () => settled.push(i),
        () => settled.push(i),
      );
    }
    await sleep(20);
    // The default libuv threadpool has 4 threads: 8 waits there would starve it.
    const text = await fs.promises.readFile(__filename, 'utf8');
    expect(text.length).toBeGreaterThan(0);
    await Promise.all([
      fs.promises.readFile(__filename),
      fs.promises.readFile(__filename),
      fs.promises.readFile(__filename),
      fs.promises.readFile(__filename),
      fs.promises.stat(__filename),
    ]);
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toEqual([]);
    await command(holder, { cmd: 'unlock' });
    // They get it one at a time: each holds it until this test unlocks.
    const outcomes = results.map((p) => p.then((v) => ({ v }), (e) => ({ e })));
    let got = 0;
    const seen = new Set<number>();
    while (got < 8) {
      // The next one to get the lock (the first may have settled already,
      // while the holder was still answering the unlock command).
      const ok = await waitForCount(settled, got + 1);
      expect(ok).toBe(true);
      const i = settled[got];
      const o: any = await outcomes[i];
      expect(o.e).toBeUndefined();
      expect(o.v).toBe(true);
      expect(seen.has(i)).toBe(false);
      seen.add(i);
      // Only one holds it: nobody else settled meanwhile.
      expect(settled.length).toBe(got + 1);
      got++;
      m.unlock();
    }
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EPERM' }));
  });

  test('a pending lock() leaves the event loop free (timers and I/O complete meanwhile)', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = await heldByAgent(shm);
    let settled = false;
    const p = m.lock().finally(() => {
      settled = true;
    });
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 5));
      await fs.promises.readFile(__filename);
    }
    expect(settled).toBe(false);
    await command(holder, { cmd: 'unlock' });
    await expect(p).resolves.toBe(true);
    m.unlock();
  });
});

async function waitForCount(list: unknown[], n: number): Promise<boolean> {
  for (let i = 0; i < 2000 && list.length < n; i++) await sleep(5);
  return list.length >= n;
}
