// Pending wait()s must not occupy the event loop or the libuv threadpool
// (default size 4): with 8 of them pending, fs and timers still work.
import * as fs from 'node:fs';

import { Semaphore } from '..';
import { cleanupNames, killChildren, uniqueName } from './helpers';
import { track } from './race-helpers';

const open: Semaphore[] = [];

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  killChildren();
  cleanupNames();
});

test('threadpool size is the default for this test to mean something', () => {
  const size = process.env.UV_THREADPOOL_SIZE;
  expect(size === undefined || Number(size) < 8).toBe(true);
});

test('with 8 wait()s pending (value 0, no timeout), fs.promises.readFile and setTimeout still complete; then 8 posts resolve all 8', async () => {
  const sem = Semaphore.create({ name: uniqueName('sem'), value: 0 });
  open.push(sem);
  const waits = Array.from({ length: 8 }, () => track(sem.wait()));
  const noneSettled = () => waits.every((w) => !w.settled());

  // Threadpool work: several reads at once, more than the pool has threads.
  const contents = await Promise.all(Array.from({ length: 6 }, () => fs.promises.readFile(__filename, 'utf8')));
  for (const c of contents) expect(c).toContain('threadpool');
  expect(noneSettled()).toBe(true);

  // Another threadpool user.
  const entries = await fs.promises.readdir(__dirname);
  expect(entries).toContain('event-loop.test.ts');
  expect(noneSettled()).toBe(true);

  // Timers.
  const fired = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 10));
  expect(fired).toBe(true);
  expect(noneSettled()).toBe(true);

  for (let i = 0; i < 8; i++) sem.post();
  const results = await Promise.all(waits.map((w) => w.promise));
  expect(results).toEqual(Array.from({ length: 8 }, () => ({ ok: true, value: true })));
  expect(sem.tryWait()).toBe(false);
});

test('with 8 wait()s pending on each of two semaphores, the callback fs API works too', async () => {
  const a = Semaphore.create({ name: uniqueName('sem'), value: 0 });
  const b = Semaphore.create({ name: uniqueName('sem'), value: 0 });
  open.push(a, b);
  const waits = [...Array.from({ length: 8 }, () => track(a.wait())), ...Array.from({ length: 8 }, () => track(b.wait()))];

  const text = await new Promise<string>((resolve, reject) =>
    fs.readFile(__filename, 'utf8', (err, data) => (err ? reject(err) : resolve(data))),
  );
  expect(text.length).toBeGreaterThan(0);
  await new Promise((r) => setTimeout(r, 10));
  expect(waits.every((w) => !w.settled())).toBe(true);

  for (let i = 0; i < 8; i++) {
    a.post();
    b.post();
  }
  const results = await Promise.all(waits.map((w) => w.promise));
  expect(results.every((r) => r.ok && r.value === true)).toBe(true);
});
