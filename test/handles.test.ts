// Handles travel: every kind, put in a message by every transport, arrives as
// a description that attach() opens again.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { attach, Channel, Mutex, Semaphore, ShareableList, SharedMemory, Struct } from '..';
import { cleanupNames, FIXTURES, forkFixture, killChildren, onceMessage, openFds, uniqueName } from './helpers';

const Stats = Struct.define({ hits: 'u64', tag: 'char[16]' });

let toClose: Array<{ close(): void; closed: boolean }> = [];
const workers: Worker[] = [];
afterEach(async () => {
  killChildren();
  await Promise.all(workers.splice(0).map((w) => w.terminate()));
  for (const h of toClose.splice(0).reverse()) if (!h.closed) h.close();
  cleanupNames();
});

function handles() {
  const shm = SharedMemory.create({ name: uniqueName(), size: 4096 });
  const lock = Mutex.create(shm, 0);
  const stats = Stats.create(shm, 64);
  const sem = Semaphore.create({ name: uniqueName('sem'), value: 0 });
  const ch = Channel.create({ name: uniqueName(), capacity: 4096 });
  const list = ShareableList.create(['parent', 2], { name: uniqueName() });
  toClose = [shm, sem, ch, list];
  const value = { note: 'plain data stays', shm, sem, lock, ch, list, stats, more: [{ again: shm }] };
  return { shm, lock, stats, sem, ch, list, value };
}

async function check(h: ReturnType<typeof handles>, result: any) {
  expect(result.error).toBeUndefined();
  expect(result).toEqual({
    kinds: { shm: 'SharedMemory', sem: 'Semaphore', lock: 'Mutex', ch: 'Channel', list: 'ShareableList', stats: true, note: 'plain data stays', nested: 'SharedMemory' },
    sameSegment: true,
    closedTogether: true,
  });
  expect(h.shm.buffer.toString('utf8', 1000, 1011)).toBe('child wrote');
  expect([h.stats.hits, h.stats.tag]).toEqual([1n, 'from child']);
  expect(h.list.get(0)).toBe('child');
  expect(h.ch.tryReceive()).toEqual({ from: 'child' });
  expect(h.sem.tryWait()).toBe(true);
  // Nothing was unlinked by the other side's attach and close.
  expect(() => SharedMemory.open(h.shm.name).close()).not.toThrow();
}

describe('handles travel', () => {
  test('every handle has $shmem as its only way to travel, and toJSON gives { $shmem }', () => {
    const h = handles();
    expect(h.shm.$shmem).toEqual({ kind: 'shared-memory', name: h.shm.name });
    expect(h.sem.$shmem).toEqual({ kind: 'semaphore', name: h.sem.name });
    expect(h.lock.$shmem).toEqual({ kind: 'mutex', name: h.shm.name, offset: 0 });
    expect(h.ch.$shmem).toEqual({ kind: 'channel', name: h.ch.name });
    expect(h.list.$shmem).toEqual({ kind: 'shareable-list', name: h.list.shm.name });
    expect(h.stats.$shmem).toMatchObject({ kind: 'struct', name: h.shm.name, offset: 64 });
    for (const x of [h.shm, h.sem, h.lock, h.ch, h.list, h.stats]) {
      expect(JSON.parse(JSON.stringify(x))).toEqual({ $shmem: x.$shmem });
      expect(structuredClone(x)).toMatchObject({ $shmem: x.$shmem });
      expect(Object.getOwnPropertyDescriptor(x, '$shmem')).toMatchObject({ enumerable: true, writable: false });
    }
  });

  for (const how of ['json', 'advanced', 'argv', 'env'] as const) {
    test(`to a forked process: ${how}`, async () => {
      const h = handles();
      const text = JSON.stringify(h.value);
      const child = forkFixture('handles-agent.js', how === 'argv' ? [how, text] : [how], {
        serialization: how === 'advanced' ? 'advanced' : 'json',
        env: how === 'env' ? { ...process.env, SHMEM_TEST_HANDLES: text } : process.env,
      });
      const result = onceMessage(child);
      if (how === 'json' || how === 'advanced') child.send(h.value as never);
      await check(h, await result);
    });
  }

  for (const how of ['worker-data', 'post-message'] as const) {
    test(`to a worker thread: ${how}`, async () => {
      const h = handles();
      const w = new Worker(path.join(FIXTURES, 'handles-agent.js'), { workerData: { how, value: how === 'worker-data' ? h.value : undefined } });
      workers.push(w);
      const result = new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      if (how === 'post-message') w.postMessage(h.value);
      await check(h, await result);
    });
  }

  test('attach: other values stay, cycles survive, live handles are left as they are', () => {
    const h = handles();
    const data: any = { n: 1, d: new Date(0), buf: Buffer.from('x'), nested: { arr: [1, JSON.parse(JSON.stringify(h.sem))] }, live: h.shm };
    data.self = data;
    const got = attach(data);
    toClose.push(got.nested.arr[1]);
    expect(got.n).toBe(1);
    expect(got.d).toBe(data.d);
    expect(got.buf).toBe(data.buf);
    expect(got.self).toBe(got);
    expect(got.live).toBe(h.shm);
    expect(got.nested.arr[1]).toBeInstanceOf(Semaphore);
    expect(got.nested.arr[1]).not.toBe(h.sem);
    expect(attach(5)).toBe(5);
  });

  test('an unknown kind, bad fields, or a name that is gone: an error, and what was opened is closed', () => {
    const h = handles();
    const good = JSON.parse(JSON.stringify({ a: h.shm, b: h.list, c: h.ch, d: h.sem }));
    const fds = openFds();
    expect(() => attach({ ...good, c: { $shmem: { kind: 'pipe', name: 'x' } } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => attach({ ...good, c: { $shmem: { kind: 'mutex', name: h.shm.name, offset: -1 } } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => attach({ ...good, c: { $shmem: { kind: 'semaphore', name: uniqueName('sem') } } })).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => attach({ ...good, e: { $shmem: { kind: 'struct', name: h.shm.name, offset: 64, layout: { fields: 'no' } } } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(openFds()).toBe(fds);
  });
});
