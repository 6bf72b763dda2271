// close() while wait()s are pending: every pending promise settles with EBADF,
// nothing crashes, the process can still exit by itself, and no posted unit is lost.
import { getEventListeners } from 'node:events';

import { Semaphore } from '..';
import { cleanupNames, forkFixture, killChildren, onceMessage, uniqueName } from './helpers';
import { drain, expectCleanExit, settle, track, turn } from './race-helpers';

const open: Semaphore[] = [];
function keep(sem: Semaphore): Semaphore {
  open.push(sem);
  return sem;
}

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  killChildren();
  cleanupNames();
});

function expectEbadf(r: { ok: boolean; error?: any }): void {
  expect(r.ok).toBe(false);
  expect(r.error).toBeInstanceOf(Error);
  expect(r.error.code).toBe('EBADF');
  expect(r.error.syscall).toBe('sem_wait');
}

describe('in this process', () => {
  test('close() with several pending wait()s: each rejects with EBADF', async () => {
    const name = uniqueName('sem');
    const sem = Semaphore.create({ name, value: 0 });
    const waits = Array.from({ length: 6 }, (_, i) => track(sem.wait(i % 2 ? { timeout: 60000 } : undefined)));
    await turn();
    expect(waits.some((w) => w.settled())).toBe(false);
    sem.close();
    expect(sem.closed).toBe(true);
    for (const w of waits) expectEbadf(await w.promise as any);
    sem.close(); // idempotent, also after the waits settled
    // The name is still there and nothing was taken.
    const again = keep(Semaphore.open(name));
    expect(again.tryWait()).toBe(false);
    again.post();
    expect(again.tryWait()).toBe(true);
  });

  test('pending waits with signals: close rejects with EBADF, removes the listeners, a later abort changes nothing', async () => {
    const sem = Semaphore.create({ name: uniqueName('sem'), value: 0 });
    const ac = new AbortController();
    const waits = Array.from({ length: 3 }, () => settle(sem.wait({ signal: ac.signal })));
    await turn();
    expect(getEventListeners(ac.signal, 'abort').length).toBe(3);
    sem.close();
    for (const r of await Promise.all(waits)) expectEbadf(r as any);
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
    ac.abort();
    await turn();
  });

  test('post() then close() in the same tick: the waits reject with EBADF and the unit is given back', async () => {
    for (let round = 0; round < 30; round++) {
      const name = uniqueName('sem');
      const sem = Semaphore.create({ name, value: 0 });
      const waits = Array.from({ length: 4 }, () => settle(sem.wait()));
      if (round % 2) await turn();
      sem.post();
      sem.post();
      sem.close();
      const results = await Promise.all(waits);
      for (const r of results) expectEbadf(r as any);
      const again = Semaphore.open(name);
      try {
        expect({ round, left: drain(again) }).toEqual({ round, left: 2 });
      } finally {
        again.close();
      }
    }
  });

  test('close() from inside a settling wait’s continuation, with others still pending', async () => {
    const sem = Semaphore.create({ name: uniqueName('sem'), value: 0 });
    const rest = Array.from({ length: 3 }, () => settle(sem.wait()));
    const first = sem.wait({ timeout: 10 }).then((v) => {
      sem.close();
      return v;
    });
    await expect(first).resolves.toBe(false);
    for (const r of await Promise.all(rest)) expectEbadf(r as any);
  });

  test('a unit taken by the thread of a wait that was closed meanwhile is given back (many rounds)', async () => {
    // Posts from a second handle race with close() on the first: whichever way
    // each round goes, units resolved to a wait + units left === units posted.
    const name = uniqueName('sem');
    const poster = keep(Semaphore.create({ name, value: 0 }));
    let posted = 0;
    let taken = 0;
    for (let round = 0; round < 30; round++) {
      const sem = Semaphore.open(name);
      const waits = Array.from({ length: 3 }, () => settle(sem.wait()));
      for (let i = 0; i < round % 4; i++) {
        poster.post();
        posted++;
      }
      if (round % 3 === 0) await turn();
      sem.close();
      for (const r of await Promise.all(waits)) {
        if (r.ok) {
          expect(r.value).toBe(true);
          taken++;
        } else {
          expectEbadf(r as any);
        }
      }
    }
    expect(taken + drain(poster)).toBe(posted);
  });
});

describe('in a forked process', () => {
  test('close() with pending waits: all reject with EBADF and the process exits 0 by itself', async () => {
    const name = uniqueName('sem');
    keep(Semaphore.create({ name, value: 0 }));
    const child = forkFixture('sem-close-child.js', [name, '8', 'once']);
    await onceMessage(child, (m) => m.type === 'pending');
    const report = onceMessage(child, (m) => m.type === 'closed');
    child.send({ type: 'close' });
    const r = await report;
    expect(r.closed).toBe(true);
    expect(r.outcomes).toHaveLength(8);
    for (const o of r.outcomes) expect(o).toMatchObject({ ok: false, code: 'EBADF' });
    await expectCleanExit(child);
  });

  test('units posted by another process while the waits are closed are not lost', async () => {
    const name = uniqueName('sem');
    const sem = keep(Semaphore.create({ name, value: 0 }));
    const total = 400;
    const closer = forkFixture('sem-close-child.js', [name, '4', 'loop']);
    const poster = forkFixture('sem-post-child.js', [name]);
    await Promise.all([
      onceMessage(closer, (m) => m.type === 'pending'),
      onceMessage(poster, (m) => m.type === 'ready'),
    ]);
    const posted = onceMessage(poster, (m) => m.type === 'posted');
    const closed = onceMessage(closer, (m) => m.type === 'closed');
    // The poster posts one unit per event-loop turn; the closer's four
    // loops take them with wait() until close() lands somewhere in the middle.
    poster.send({ type: 'post', count: total, spread: true });
    await new Promise((r) => setTimeout(r, 5));
    closer.send({ type: 'close' });
    const report = await closed;
    await posted;
    poster.send({ type: 'exit' });
    await Promise.all([expectCleanExit(closer), expectCleanExit(poster)]);

    expect(report.outcomes).toHaveLength(4);
    for (const o of report.outcomes) expect(o).toMatchObject({ ok: false, code: 'EBADF' });
    // Conservation, seen through a fresh handle opened by name: what the
    // closer took plus what is left is what was posted.
    const again = keep(Semaphore.open(name));
    const left = drain(again);
    expect(report.acquired + left).toBe(total);
    expect(sem.tryWait()).toBe(false);
  });

  test('repeated: close races with a burst of posts from another process', async () => {
    const name = uniqueName('sem');
    const sem = keep(Semaphore.create({ name, value: 0 }));
    const poster = forkFixture('sem-post-child.js', [name]);
    await onceMessage(poster, (m) => m.type === 'ready');
    let posted = 0;
    let acquired = 0;
    for (let round = 0; round < 4; round++) {
      const closer = forkFixture('sem-close-child.js', [name, '3', 'loop']);
      await onceMessage(closer, (m) => m.type === 'pending');
      const closed = onceMessage(closer, (m) => m.type === 'closed');
      const done = onceMessage(poster, (m) => m.type === 'posted');
      const count = 50 + round * 50;
      poster.send({ type: 'post', count, spread: false });
      closer.send({ type: 'close' });
      const report = await closed;
      await done;
      posted += count;
      acquired += report.acquired;
      for (const o of report.outcomes) expect(o).toMatchObject({ ok: false, code: 'EBADF' });
      await expectCleanExit(closer);
    }
    poster.send({ type: 'exit' });
    await expectCleanExit(poster);
    expect(acquired + drain(sem)).toBe(posted);
  });
});

describe('teardown with waiting threads still alive', () => {
  test('close() with 40 staggered pending waits, then the process exits by itself: exit code 0, no crash', async () => {
    const name = uniqueName('sem');
    keep(Semaphore.create({ name, value: 0 }));
    for (let i = 0; i < 3; i++) {
      const child = forkFixture('sem-teardown-child.js', [name, '40', 'close-exit']);
      await expectCleanExit(child);
    }
  });

  test('40 staggered pending waits aborted by a signal, then the process exits by itself: exit code 0, no crash', async () => {
    const name = uniqueName('sem');
    keep(Semaphore.create({ name, value: 0 }));
    for (let i = 0; i < 3; i++) {
      const child = forkFixture('sem-teardown-child.js', [name, '40', 'abort-exit']);
      await expectCleanExit(child);
    }
  });

  test('a Worker terminated with wait()s pending does not crash the process', async () => {
    const name = uniqueName('sem');
    const sem = keep(Semaphore.create({ name, value: 0 }));
    const child = forkFixture('sem-teardown-child.js', [name, '4', 'worker']);
    await expectCleanExit(child);
    // The dead worker's waits took nothing.
    sem.post();
    expect(sem.tryWait()).toBe(true);
    expect(sem.tryWait()).toBe(false);
  });
});
