// Mutex: the API in one process and against a second process: errors,
// EPERM, EDEADLK, timeouts, tryLock, withLock/withLockSync, use after close.
import { ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';

import { Mutex, SharedMemory } from '..';
import { cleanupNames, killChildren, PACKAGE_ROOT, uniqueName } from './helpers';
import { command, startAgent } from './mutex-util';

const SIZE = 4096;
const opened: SharedMemory[] = [];

function segment(size = SIZE): SharedMemory {
  const shm = SharedMemory.create({ name: uniqueName(), size });
  opened.push(shm);
  return shm;
}

afterEach(() => {
  killChildren();
  for (const shm of opened.splice(0)) shm.close();
  cleanupNames();
});

async function agent(shm: SharedMemory, offset = 0): Promise<ChildProcess> {
  return (await startAgent('mutex-agent.js', [shm.name, String(offset)])).child;
}

describe('Mutex basics', () => {
  test('BYTES is 16', () => {
    expect(Mutex.BYTES).toBe(16);
  });

  test('tryLock / unlock in one thread; ownerDied stays false', () => {
    const m = Mutex.create(segment(), 0);
    expect(m.ownerDied).toBe(false);
    expect(m.tryLock()).toBe(true);
    expect(m.ownerDied).toBe(false);
    expect(m.tryLock()).toBe(false); // already held by this thread: no recursion
    m.unlock();
    expect(m.tryLock()).toBe(true);
    m.unlock();
    expect(m.lockSync()).toBe(true);
    expect(m.ownerDied).toBe(false);
    m.unlock();
    expect(m.lockSync(0)).toBe(true);
    m.unlock();
  });

  test('lock() resolves true on a free lock', async () => {
    const m = Mutex.create(segment(), 8);
    await expect(m.lock()).resolves.toBe(true);
    expect(m.ownerDied).toBe(false);
    m.unlock();
    await expect(m.lock({ timeout: 0 })).resolves.toBe(true);
    m.unlock();
    await expect(m.lock({})).resolves.toBe(true);
    m.unlock();
  });

  test('two mutexes in one segment are independent', () => {
    const shm = segment();
    const a = Mutex.create(shm, 0);
    const b = Mutex.create(shm, 16);
    expect(a.tryLock()).toBe(true);
    expect(b.tryLock()).toBe(true);
    a.unlock();
    expect(b.tryLock()).toBe(false);
    b.unlock();
  });

  test('attach() sees the lock that create() made, across Mutex objects and SharedMemory objects', () => {
    const shm = segment();
    const m = Mutex.create(shm, 24);
    const again = Mutex.attach(shm, 24);
    const other = SharedMemory.open(shm.name);
    opened.push(other);
    const viaOther = Mutex.attach(other, 24);
    expect(m.tryLock()).toBe(true);
    // The same thread, through another object: held (by this thread).
    expect(again.tryLock()).toBe(false);
    expect(viaOther.tryLock()).toBe(false);
    expect(() => viaOther.lockSync()).toThrow(expect.objectContaining({ code: 'EDEADLK' }));
    viaOther.unlock(); // the holder is the thread, not the object
    expect(again.tryLock()).toBe(true);
    again.unlock();
  });

  test('create() at the last valid offset works', () => {
    const shm = segment(64);
    const m = Mutex.create(shm, 48);
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });
});

describe('Mutex argument errors', () => {
  test('non-SharedMemory → ERR_INVALID_ARG_TYPE', () => {
    for (const bad of [undefined, null, {}, Buffer.alloc(64), new SharedArrayBuffer(64), 'name']) {
      expect(() => Mutex.create(bad as any, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }));
      expect(() => Mutex.attach(bad as any, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
  });

  test('non-number offset → ERR_INVALID_ARG_TYPE', () => {
    const shm = segment();
    for (const bad of ['0', undefined, null, 0n, {}]) {
      expect(() => Mutex.create(shm, bad as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
  });

  test('unaligned, negative, fractional, out of range or overlapping the end → RangeError ERR_OUT_OF_RANGE', () => {
    const shm = segment(64);
    for (const bad of [1, 4, 12, -8, 1.5, NaN, Infinity, -Infinity, 56, 64, 72, 2 ** 53]) {
      expect(() => Mutex.create(shm, bad)).toThrow(RangeError);
      expect(() => Mutex.create(shm, bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => Mutex.attach(shm, bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
    // A segment smaller than a Mutex holds none.
    const tiny = segment(8);
    expect(() => Mutex.create(tiny, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('attach() where no create() happened → ERR_INVALID_ARG_VALUE', () => {
    const shm = segment();
    expect(() => Mutex.attach(shm, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    Mutex.create(shm, 0);
    expect(() => Mutex.attach(shm, 8)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' })); // overlaps, not a Mutex start
    expect(() => Mutex.attach(shm, 16)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(Mutex.attach(shm, 0)).toBeInstanceOf(Mutex);
  });

  test('lockSync() rejects a bad timeout even when the lock is free', () => {
    const m = Mutex.create(segment(), 0);
    expect(() => m.lockSync(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => m.lockSync(NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => m.lockSync('10' as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });

  test('lockSync() rejects a bad timeout when it has to wait', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const child = await agent(shm);
    await command(child, { cmd: 'lockSync' });
    expect(() => m.lockSync(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => m.lockSync(NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => m.lockSync('10' as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    await command(child, { cmd: 'unlock' });
  });

  test('lock() rejects bad timeouts and options, without taking the lock', async () => {
    const m = Mutex.create(segment(), 0);
    await expect(m.lock({ timeout: -5 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(m.lock({ timeout: '5' as any })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(m.lock({ signal: {} as any })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(m.lock(5 as any)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    // None of those took the lock.
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });
});

describe('Mutex ownership errors', () => {
  test('unlock() of a free lock → EPERM', () => {
    const m = Mutex.create(segment(), 0);
    let err: any;
    try {
      m.unlock();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('EPERM');
    expect(err.syscall).toBe('mutex_unlock');
  });

  test('unlock() twice → EPERM the second time', () => {
    const m = Mutex.create(segment(), 0);
    m.lockSync();
    m.unlock();
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EPERM' }));
  });

  test('lockSync() and lock() by the holding thread → EDEADLK; the lock stays held', async () => {
    const m = Mutex.create(segment(), 0);
    m.lockSync();
    expect(() => m.lockSync()).toThrow(expect.objectContaining({ code: 'EDEADLK' }));
    expect(() => m.lockSync(50)).toThrow(expect.objectContaining({ code: 'EDEADLK' }));
    await expect(m.lock()).rejects.toMatchObject({ code: 'EDEADLK' });
    await expect(m.lock({ timeout: 50 })).rejects.toMatchObject({ code: 'EDEADLK' });
    m.unlock();
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EPERM' }));
  });

  test('unlock() of a lock another process holds → EPERM, and it stays held', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const child = await agent(shm);
    expect(await command(child, { cmd: 'lockSync' })).toMatchObject({ result: true, ownerDied: false });
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EPERM' }));
    expect(m.tryLock()).toBe(false);
    // The child's own unlock works, then ours.
    expect(await command(child, { cmd: 'unlock' })).toMatchObject({ result: true });
    expect(m.tryLock()).toBe(true);
    const r = await command(child, { cmd: 'unlock' });
    expect(r.error?.code).toBe('EPERM');
    m.unlock();
  });

  test('unlock() of a lock another process holds while a third sleeps on it → EPERM; the sleeper is not released', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = await agent(shm);
    const sleeper = await agent(shm);
    await command(holder, { cmd: 'lockSync' });
    let got = false;
    const pending = command(sleeper, { cmd: 'lockSync' }).then((r) => ((got = true), r));
    await new Promise((r) => setTimeout(r, 50)); // the sleeper has flagged the lock word
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EPERM' }));
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toBe(false);
    expect(m.tryLock()).toBe(false);
    await command(holder, { cmd: 'unlock' });
    expect(await pending).toMatchObject({ result: true, ownerDied: false });
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EPERM' }));
    await command(sleeper, { cmd: 'unlock' });
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });

  test('unlock() from the main thread of a lock a worker thread holds → EPERM', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { SharedMemory, Mutex } = require(workerData.root);
       const shm = SharedMemory.open(workerData.name);
       const m = Mutex.attach(shm, 0);
       parentPort.on('message', (cmd) => {
         try {
           if (cmd === 'lock') parentPort.postMessage(m.lockSync());
           else if (cmd === 'unlock') { m.unlock(); parentPort.postMessage(true); }
           else if (cmd === 'exit') { shm.close(); parentPort.close(); }
         } catch (err) { parentPort.postMessage({ code: err.code }); }
       });`,
      { eval: true, workerData: { root: PACKAGE_ROOT, name: shm.name } },
    );
    const next = () => new Promise<any>((resolve) => worker.once('message', resolve));
    try {
      worker.postMessage('lock');
      expect(await next()).toBe(true);
      expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EPERM' }));
      expect(m.tryLock()).toBe(false);
      expect(m.lockSync(30)).toBe(false); // held by another thread of this process: a timeout, not EDEADLK
      worker.postMessage('unlock');
      expect(await next()).toBe(true);
      expect(m.tryLock()).toBe(true);
      m.unlock();
    } finally {
      await worker.terminate();
    }
  });
});

describe('Mutex against another process', () => {
  test('tryLock() false, lockSync(t) false, lock({timeout}) false while another process holds it', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const child = await agent(shm);
    expect(await command(child, { cmd: 'lockSync' })).toMatchObject({ result: true });
    expect(m.tryLock()).toBe(false);
    expect(m.lockSync(0)).toBe(false);
    expect(m.lockSync(30)).toBe(false);
    await expect(m.lock({ timeout: 0 })).resolves.toBe(false);
    await expect(m.lock({ timeout: 30 })).resolves.toBe(false);
    expect(m.ownerDied).toBe(false);
    // The other process still holds it; none of the failures took anything.
    expect((await command(child, { cmd: 'tryLock' })).result).toBe(false); // its own: already held
    expect(await command(child, { cmd: 'unlock' })).toMatchObject({ result: true });
    expect(m.tryLock()).toBe(true);
    expect(m.ownerDied).toBe(false);
    m.unlock();
  });

  test('lock() resolves once the other process unlocks; its lock then blocks the other', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const child = await agent(shm);
    expect(await command(child, { cmd: 'lockSync' })).toMatchObject({ result: true });
    let settled = false;
    const p = m.lock().then((v) => {
      settled = true;
      return v;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    await command(child, { cmd: 'unlock' });
    await expect(p).resolves.toBe(true);
    expect(m.ownerDied).toBe(false);
    expect(await command(child, { cmd: 'lockSync', timeout: 20 })).toMatchObject({ result: false });
    expect(await command(child, { cmd: 'tryLock' })).toMatchObject({ result: false });
    m.unlock();
    expect(await command(child, { cmd: 'tryLock' })).toMatchObject({ result: true, ownerDied: false });
    await command(child, { cmd: 'unlock' });
  });

  test('a lockSync() sleeping in another process wakes when this one unlocks', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const child = await agent(shm);
    m.lockSync();
    const pending = command(child, { cmd: 'lockSync' });
    // Let the child go to sleep on the lock.
    await new Promise((r) => setTimeout(r, 100));
    m.unlock();
    expect(await pending).toMatchObject({ result: true, ownerDied: false });
    expect(m.tryLock()).toBe(false);
    await command(child, { cmd: 'unlock' });
    expect(m.lockSync()).toBe(true);
    m.unlock();
  });
});

describe('withLock / withLockSync', () => {
  test('withLockSync returns the value and unlocks', () => {
    const m = Mutex.create(segment(), 0);
    expect(m.withLockSync(() => 42)).toBe(42);
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });

  test('withLockSync unlocks when fn throws, and rethrows', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const boom = new Error('boom');
    expect(() =>
      m.withLockSync(() => {
        expect(m.tryLock()).toBe(false); // held inside
        throw boom;
      }),
    ).toThrow(boom);
    const child = await agent(shm);
    expect(await command(child, { cmd: 'tryLock' })).toMatchObject({ result: true });
    await command(child, { cmd: 'unlock' });
  });

  test('withLock resolves with the value of a sync or async fn and unlocks', async () => {
    const m = Mutex.create(segment(), 0);
    await expect(m.withLock(() => 'sync')).resolves.toBe('sync');
    await expect(
      m.withLock(async () => {
        await new Promise((r) => setTimeout(r, 5));
        expect(m.tryLock()).toBe(false);
        return 'async';
      }),
    ).resolves.toBe('async');
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });

  test('withLock unlocks when fn throws or its promise rejects', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const boom = new Error('boom');
    await expect(
      m.withLock(() => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(m.tryLock()).toBe(true);
    m.unlock();
    await expect(m.withLock(() => Promise.reject(boom))).rejects.toBe(boom);
    const child = await agent(shm);
    expect(await command(child, { cmd: 'tryLock' })).toMatchObject({ result: true });
    await command(child, { cmd: 'unlock' });
  });

  test('withLock waits for a lock another process holds', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const child = await agent(shm);
    await command(child, { cmd: 'lockSync' });
    const order: string[] = [];
    const p = m.withLock(() => {
      order.push('fn');
      return 1;
    });
    await new Promise((r) => setTimeout(r, 30));
    order.push('unlock');
    await command(child, { cmd: 'unlock' });
    await expect(p).resolves.toBe(1);
    expect(order).toEqual(['unlock', 'fn']);
  });
});

describe('use after close', () => {
  test('every method → EBADF, never a crash', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    shm.close();
    const expectEbadf = (fn: () => unknown) => expect(fn).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expectEbadf(() => m.tryLock());
    expectEbadf(() => m.lockSync());
    expectEbadf(() => m.lockSync(10));
    expectEbadf(() => m.unlock());
    expectEbadf(() => m.withLockSync(() => 1));
    await expect(m.lock()).rejects.toMatchObject({ code: 'EBADF' });
    await expect(m.lock({ timeout: 0 })).rejects.toMatchObject({ code: 'EBADF' });
    await expect(m.withLock(() => 1)).rejects.toMatchObject({ code: 'EBADF' });
    expectEbadf(() => Mutex.create(shm, 0));
    expectEbadf(() => Mutex.attach(shm, 0));
    expect(m.ownerDied).toBe(false);
  });

  test('closing while holding: methods → EBADF; the lock stays held for other processes', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const child = await agent(shm);
    m.lockSync();
    shm.close();
    expect(() => m.unlock()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => m.tryLock()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    // This process lives on, so its lock is not up for takeover.
    expect(await command(child, { cmd: 'lockSync', timeout: 50 })).toMatchObject({ result: false });
  });

  test('a mutex attached through another SharedMemory object of the segment keeps working', async () => {
    const shm = segment();
    const other = SharedMemory.open(shm.name);
    opened.push(other);
    const m = Mutex.create(shm, 0);
    const n = Mutex.attach(other, 0);
    shm.close();
    expect(n.tryLock()).toBe(true);
    n.unlock();
    expect(() => m.tryLock()).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });
});
