// wait({ signal }): an abort rejects with an AbortError and never consumes a unit.
import { getEventListeners } from 'node:events';

import { AbortError, Semaphore } from '..';
import { cleanupNames, killChildren, uniqueName } from './helpers';
import { drain, settle, track, turn } from './race-helpers';

const open: Semaphore[] = [];
function make(value: number): Semaphore {
  const sem = Semaphore.create({ name: uniqueName('sem'), value });
  open.push(sem);
  return sem;
}

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  killChildren();
  cleanupNames();
});

function expectAbortError(err: any, reason?: unknown): void {
  expect(err).toBeInstanceOf(Error);
  expect(err).toBeInstanceOf(AbortError);
  expect(err.name).toBe('AbortError');
  expect(err.code).toBe('ABORT_ERR');
  if (reason !== undefined) expect(err.cause).toBe(reason);
}

describe('already-aborted signal', () => {
  test('rejects at once with AbortError, even though a unit is free, and takes nothing', async () => {
    const sem = make(1);
    const ac = new AbortController();
    const reason = new Error('stop');
    ac.abort(reason);
    const r = await settle(sem.wait({ signal: ac.signal }));
    expect(r.ok).toBe(false);
    if (!r.ok) expectAbortError(r.error, reason);
    expect(sem.tryWait()).toBe(true);
    expect(sem.tryWait()).toBe(false);
  });

  test('also with a timeout, and with AbortSignal.abort()', async () => {
    const sem = make(0);
    const r = await settle(sem.wait({ timeout: 0, signal: AbortSignal.abort() }));
    expect(r.ok).toBe(false);
    if (!r.ok) expectAbortError(r.error);
    const r2 = await settle(sem.wait({ timeout: 100000, signal: AbortSignal.abort('why') }));
    expect(r2.ok).toBe(false);
    if (!r2.ok) expectAbortError(r2.error, 'why');
  });
});

describe('aborting a pending wait', () => {
  test('rejects with AbortError carrying the reason', async () => {
    const sem = make(0);
    const ac = new AbortController();
    const w = track(sem.wait({ signal: ac.signal }));
    await turn();
    expect(w.settled()).toBe(false);
    const reason = new Error('enough');
    ac.abort(reason);
    const r = await w.promise;
    expect(r.ok).toBe(false);
    if (!r.ok) expectAbortError(r.error, reason);
  });

  test('does not consume a unit: value 0, wait aborted, post() once → tryWait() true exactly once', async () => {
    const sem = make(0);
    const ac = new AbortController();
    const w = sem.wait({ signal: ac.signal });
    await turn();
    ac.abort();
    await expect(w).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    sem.post();
    expect(sem.tryWait()).toBe(true);
    expect(sem.tryWait()).toBe(false);
  });

  test('does not consume a unit even when aborted after waiting a while (the waiter has slept in the kernel)', async () => {
    const sem = make(0);
    const ac = new AbortController();
    const w = sem.wait({ signal: ac.signal });
    await new Promise((r) => setTimeout(r, 120));
    ac.abort();
    await expect(w).rejects.toMatchObject({ name: 'AbortError' });
    sem.post();
    expect(sem.tryWait()).toBe(true);
    expect(sem.tryWait()).toBe(false);
  });

  test('one signal aborts several pending waits, none takes a unit', async () => {
    const sem = make(0);
    const ac = new AbortController();
    const waits = Array.from({ length: 6 }, () => settle(sem.wait({ signal: ac.signal })));
    await turn();
    ac.abort();
    const results = await Promise.all(waits);
    for (const r of results) {
      expect(r.ok).toBe(false);
      if (!r.ok) expectAbortError(r.error);
    }
    sem.post();
    sem.post();
    expect(drain(sem)).toBe(2);
  });

  test('aborting one wait leaves the others pending; they still get posted units', async () => {
    const sem = make(0);
    const acs = [new AbortController(), new AbortController(), new AbortController()];
    const waits = acs.map((ac) => track(sem.wait({ signal: ac.signal })));
    await turn();
    acs[1].abort();
    const aborted = await waits[1].promise;
    expect(aborted.ok).toBe(false);
    expect(waits[0].settled() || waits[2].settled()).toBe(false);
    sem.post();
    sem.post();
    expect(await waits[0].promise).toEqual({ ok: true, value: true });
    expect(await waits[2].promise).toEqual({ ok: true, value: true });
    expect(sem.tryWait()).toBe(false);
  });

  test('abort after the wait resolved is a no-op: the unit stays taken', async () => {
    const sem = make(0);
    const ac = new AbortController();
    const w = sem.wait({ signal: ac.signal });
    await turn();
    sem.post();
    await expect(w).resolves.toBe(true);
    ac.abort();
    await turn();
    expect(sem.tryWait()).toBe(false);
  });

  test('the abort listener is removed once the wait settles (no leak on a long-lived signal)', async () => {
    const sem = make(0);
    const ac = new AbortController();
    for (let i = 0; i < 5; i++) {
      const w = sem.wait({ signal: ac.signal });
      await turn();
      expect(getEventListeners(ac.signal, 'abort').length).toBe(1);
      sem.post();
      await expect(w).resolves.toBe(true);
      expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
    }
    await expect(sem.wait({ signal: ac.signal, timeout: 5 })).resolves.toBe(false);
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
    sem.post();
    await expect(sem.wait({ signal: ac.signal })).resolves.toBe(true); // fast path
    expect(getEventListeners(ac.signal, 'abort').length).toBe(0);
  });
});

describe('AbortSignal.timeout()', () => {
  test('rejects a pending wait with AbortError whose cause is the TimeoutError, and takes nothing', async () => {
    const sem = make(0);
    const signal = AbortSignal.timeout(20);
    const r = await settle(sem.wait({ signal }));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expectAbortError(r.error, signal.reason);
      expect(r.error.cause.name).toBe('TimeoutError');
    }
    sem.post();
    expect(sem.tryWait()).toBe(true);
    expect(sem.tryWait()).toBe(false);
  });

  test('does not fire once the wait has been satisfied', async () => {
    const sem = make(0);
    const signal = AbortSignal.timeout(60000);
    const w = sem.wait({ signal });
    await turn();
    sem.post();
    await expect(w).resolves.toBe(true);
  });
});

describe('many abort/post interleavings', () => {
  // Deterministic pseudo-random sequence so a failure can be replayed.
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  test('units taken by resolved waits + units left === units posted', async () => {
    for (let round = 0; round < 40; round++) {
      const rand = rng(round + 1);
      const sem = make(0);
      const n = 8;
      const acs = Array.from({ length: n }, () => new AbortController());
      const waits = acs.map((ac) => settle(sem.wait({ signal: ac.signal })));
      let posted = 0;
      // A random schedule of posts and aborts, some in the same tick, some across turns.
      const order = Array.from({ length: n }, (_, i) => i).sort(() => rand() - 0.5);
      for (const i of order) {
        if (rand() < 0.5) {
          sem.post();
          posted++;
        }
        acs[i].abort();
        if (rand() < 0.5) await turn();
      }
      const results = await Promise.all(waits);
      let taken = 0;
      for (const r of results) {
        if (r.ok) {
          expect(r.value).toBe(true);
          taken++;
        } else {
          expectAbortError(r.error);
        }
      }
      expect({ round, total: taken + drain(sem) }).toEqual({ round, total: posted });
      expect(sem.tryWait()).toBe(false);
    }
  });

  test('abort immediately followed by post, repeatedly: each post is visible to tryWait()', async () => {
    const sem = make(0);
    for (let i = 0; i < 200; i++) {
      const ac = new AbortController();
      const w = settle(sem.wait({ signal: ac.signal }));
      if (i % 2) await turn();
      ac.abort();
      const r = await w;
      expect(r.ok).toBe(false);
      sem.post();
      expect({ i, took: sem.tryWait() }).toEqual({ i, took: true });
    }
  });
});
