// Semaphore basics against real POSIX named semaphores, and one cross-process wake-up.
import { isSystemError, Semaphore } from '..';
import { cleanupNames, forkFixture, killChildren, onceMessage, semExists, uniqueName } from './helpers';
import { drain, expectCleanExit, track, turn } from './race-helpers';

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

describe('create and open', () => {
  test('create: default value 1 (a lock)', () => {
    const name = uniqueName('sem');
    const sem = keep(Semaphore.create({ name }));
    expect(sem.name).toBe(name);
    expect(sem.closed).toBe(false);
    expect(semExists(name)).toBe(true);
    expect(sem.tryWait()).toBe(true);
    expect(sem.tryWait()).toBe(false);
  });

  test('create with a custom value', () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 5 }));
    expect(drain(sem)).toBe(5);
    expect(sem.tryWait()).toBe(false);
  });

  test('create with value 0', () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 0 }));
    expect(sem.tryWait()).toBe(false);
  });

  test('create fails with EEXIST when the name is taken', () => {
    const name = uniqueName('sem');
    keep(Semaphore.create({ name }));
    let err: unknown;
    try {
      Semaphore.create({ name });
    } catch (e) {
      err = e;
    }
    expect(isSystemError(err, 'EEXIST')).toBe(true);
  });

  test('open by name shares the count with the creator', () => {
    const name = uniqueName('sem');
    const a = keep(Semaphore.create({ name, value: 0 }));
    const b = keep(Semaphore.open(name));
    expect(b.name).toBe(name);
    a.post();
    a.post();
    expect(b.tryWait()).toBe(true);
    expect(a.tryWait()).toBe(true);
    expect(a.tryWait()).toBe(false);
    expect(b.tryWait()).toBe(false);
    b.post();
    expect(a.tryWait()).toBe(true);
  });

  test('open of a missing name fails with ENOENT', () => {
    const name = uniqueName('sem');
    let err: any;
    try {
      Semaphore.open(name);
    } catch (e) {
      err = e;
    }
    expect(isSystemError(err, 'ENOENT')).toBe(true);
    expect(err.syscall).toBe('sem_open');
  });
});

describe('post / tryWait counting', () => {
  test('n posts give exactly n tryWaits', () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 0 }));
    for (let i = 0; i < 37; i++) sem.post();
    expect(drain(sem)).toBe(37);
  });

  test('interleaved posts and tryWaits keep the count', () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 2 }));
    let expected = 2;
    for (let i = 0; i < 200; i++) {
      if (i % 3 === 0) {
        sem.post();
        expected++;
      } else {
        const got = sem.tryWait();
        expect(got).toBe(expected > 0);
        if (got) expected--;
      }
    }
    expect(drain(sem)).toBe(expected);
  });
});

describe('waitSync', () => {
  test('returns false on timeout when no unit is free', () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 0 }));
    expect(sem.waitSync(20)).toBe(false);
    expect(sem.tryWait()).toBe(false);
  });

  test('returns true when a unit is available (with and without timeout), taking it', () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 2 }));
    expect(sem.waitSync(1000)).toBe(true);
    expect(sem.waitSync()).toBe(true);
    expect(sem.tryWait()).toBe(false);
  });

  test('waitSync(0) polls: true if free, false otherwise', () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 1 }));
    expect(sem.waitSync(0)).toBe(true);
    expect(sem.waitSync(0)).toBe(false);
    sem.post();
    expect(sem.waitSync(0)).toBe(true);
  });

  test('fractional and Infinity timeouts are accepted', () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 1 }));
    expect(sem.waitSync(Infinity)).toBe(true);
    expect(sem.waitSync(0.5)).toBe(false);
  });

  test('invalid timeouts throw before touching the semaphore', () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 1 }));
    expect(() => sem.waitSync(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => sem.waitSync(NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => sem.waitSync('10' as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(sem.tryWait()).toBe(true);
  });
});

describe('wait()', () => {
  test('resolves true at once when a unit is free', async () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 1 }));
    await expect(sem.wait()).resolves.toBe(true);
    expect(sem.tryWait()).toBe(false);
  });

  test('resolves false on timeout and takes nothing', async () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 0 }));
    await expect(sem.wait({ timeout: 20 })).resolves.toBe(false);
    sem.post();
    expect(sem.tryWait()).toBe(true);
    expect(sem.tryWait()).toBe(false);
  });

  test('wait({ timeout: 0 }) polls', async () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 1 }));
    await expect(sem.wait({ timeout: 0 })).resolves.toBe(true);
    await expect(sem.wait({ timeout: 0 })).resolves.toBe(false);
  });

  test('a pending wait() resolves true when the unit is posted', async () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 0 }));
    const w = track(sem.wait());
    await turn();
    expect(w.settled()).toBe(false);
    sem.post();
    expect(await w.promise).toEqual({ ok: true, value: true });
    expect(sem.tryWait()).toBe(false);
  });

  test('a pending wait() with a long timeout resolves true when posted', async () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 0 }));
    const w = sem.wait({ timeout: 60000 });
    await turn();
    sem.post();
    await expect(w).resolves.toBe(true);
  });

  test('n posts wake exactly n of m pending waits', async () => {
    const name = uniqueName('sem');
    const sem = keep(Semaphore.create({ name, value: 0 }));
    const other = keep(Semaphore.open(name));
    const waits = Array.from({ length: 5 }, (_, i) => track((i % 2 ? other : sem).wait()));
    await turn();
    for (let i = 0; i < 3; i++) sem.post();
    const first3 = await Promise.race([
      Promise.all(waits.map((w) => w.promise)).then(() => 'all'),
      (async () => {
        while (waits.filter((w) => w.settled()).length < 3) await new Promise((r) => setTimeout(r, 1));
        return 'three';
      })(),
    ]);
    expect(first3).toBe('three');
    expect(waits.filter((w) => w.settled()).length).toBe(3);
    sem.post();
    sem.post();
    const results = await Promise.all(waits.map((w) => w.promise));
    expect(results.every((r) => r.ok && r.value === true)).toBe(true);
    expect(sem.tryWait()).toBe(false);
  });

  test('invalid options reject without side effects', async () => {
    const sem = keep(Semaphore.create({ name: uniqueName('sem'), value: 1 }));
    await expect(sem.wait({ timeout: -5 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(sem.wait(null as any)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(sem.wait({ signal: {} as any })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(sem.tryWait()).toBe(true);
  });
});

describe('close and unlink', () => {
  test('close is idempotent and makes every method throw EBADF', async () => {
    const sem = Semaphore.create({ name: uniqueName('sem') });
    sem.close();
    expect(sem.closed).toBe(true);
    expect(() => sem.close()).not.toThrow();
    expect(sem[Symbol.dispose]).toBeInstanceOf(Function);
    sem[Symbol.dispose]();
    expect(() => sem.post()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => sem.tryWait()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => sem.waitSync(0)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    await expect(sem.wait()).rejects.toMatchObject({ code: 'EBADF' });
  });

  test('close does not unlink: the name still opens, with its count', () => {
    const name = uniqueName('sem');
    const sem = Semaphore.create({ name, value: 3 });
    sem.close();
    expect(semExists(name)).toBe(true);
    const again = keep(Semaphore.open(name));
    expect(drain(again)).toBe(3);
  });

  test('unlink removes the name; a second unlink fails with ENOENT', () => {
    const name = uniqueName('sem');
    const sem = keep(Semaphore.create({ name }));
    sem.unlink();
    expect(semExists(name)).toBe(false);
    expect(() => Semaphore.open(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => sem.unlink()).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'sem_unlink' }));
    expect(() => Semaphore.unlink(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  test('an unlinked semaphore stays usable through open handles', () => {
    const name = uniqueName('sem');
    const sem = keep(Semaphore.create({ name, value: 0 }));
    Semaphore.unlink(name);
    sem.post();
    expect(sem.tryWait()).toBe(true);
    // The name is free again for a new, independent semaphore.
    const fresh = keep(Semaphore.create({ name, value: 0 }));
    sem.post();
    expect(fresh.tryWait()).toBe(false);
    expect(sem.tryWait()).toBe(true);
  });

  test('unlink works after close', () => {
    const name = uniqueName('sem');
    const sem = Semaphore.create({ name });
    sem.close();
    sem.unlink();
    expect(semExists(name)).toBe(false);
  });
});

describe('across processes', () => {
  test('a wait() in the parent is woken by a post() from a forked child that opened it by name', async () => {
    const name = uniqueName('sem');
    const sem = keep(Semaphore.create({ name, value: 0 }));
    const child = forkFixture('sem-post-child.js', [name]);
    await onceMessage(child, (m) => m.type === 'ready');

    const w = track(sem.wait());
    await turn();
    expect(w.settled()).toBe(false);

    const posted = onceMessage(child, (m) => m.type === 'posted');
    child.send({ type: 'post', count: 1 });
    expect(await w.promise).toEqual({ ok: true, value: true });
    await posted;

    // And the other way round: a second wait, two posts, one unit left over.
    const w2 = sem.wait();
    child.send({ type: 'post', count: 2 });
    await expect(w2).resolves.toBe(true);
    await onceMessage(child, (m) => m.type === 'posted');
    expect(drain(sem)).toBe(1);

    child.send({ type: 'exit' });
    await expectCleanExit(child);
  });

  test('waitSync() with a timeout in the parent takes a unit posted by a child', async () => {
    const name = uniqueName('sem');
    const sem = keep(Semaphore.create({ name, value: 0 }));
    const child = forkFixture('sem-post-child.js', [name]);
    await onceMessage(child, (m) => m.type === 'ready');
    child.send({ type: 'post', count: 3 });
    await onceMessage(child, (m) => m.type === 'posted');
    expect(sem.waitSync(1000)).toBe(true);
    expect(sem.waitSync(1000)).toBe(true);
    expect(sem.waitSync(1000)).toBe(true);
    expect(sem.waitSync(0)).toBe(false);
    child.send({ type: 'exit' });
    await expectCleanExit(child);
  });
});
