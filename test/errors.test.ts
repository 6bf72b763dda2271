// Every bad input and its error, checked before anything reaches the OS, and
// the shape of the system errors (EEXIST, ENOENT, ...).
import { constants as bufferConstants } from 'node:buffer';

import { isSystemError, Semaphore, SharedMemory } from '..';
import { cleanupNames, forkFixture, killChildren, onceExit, onceMessage, semExists, shmExists, uniqueName } from './helpers';
import { collect, killSpawned, ownShmEntries, rejection, spawnFixtureWithShell, thrown } from './shm-helpers';

const MAX_LENGTH = bufferConstants.MAX_LENGTH;

let entriesBefore: string[];
beforeEach(() => {
  entriesBefore = ownShmEntries();
});

afterEach(() => {
  cleanupNames();
  killChildren();
  killSpawned();
});

/** No segment or semaphore appeared in /dev/shm. */
function expectNothingCreated(...names: string[]): void {
  for (const name of names) {
    expect(shmExists(name)).toBe(false);
    expect(semExists(name)).toBe(false);
  }
  expect(ownShmEntries()).toEqual(entriesBefore);
}

type ErrorClass = typeof TypeError | typeof RangeError;

function expectArgError(err: any, ctor: ErrorClass, code: string, argName?: string): void {
  expect(err).toBeInstanceOf(ctor);
  expect(err.code).toBe(code);
  expect(typeof err.message).toBe('string');
  if (argName !== undefined) expect(err.message).toContain(argName);
  expect(isSystemError(err)).toBe(false);
}

const longName = 'n'.repeat(256);
const longMultiByte = 'é'.repeat(128); // 128 characters, 256 UTF-8 bytes

const badNameTypes: Array<[string, unknown]> = [
  ['number', 5],
  ['null', null],
  ['object', { name: 'x' }],
  ['bigint', 5n],
  ['boolean', true],
  ['symbol', Symbol('x')],
  ['array', ['a']],
];
const badNameValues: Array<[string, string]> = [
  ['empty', ''],
  ["containing '/'", 'a/b'],
  ["a leading '/'", '/abc'],
  ["containing '\\0'", 'a\0b'],
  ['longer than 255 bytes (ASCII)', longName],
  ['longer than 255 bytes (UTF-8)', longMultiByte],
];

describe('SharedMemory argument errors (nothing is created)', () => {
  describe.each([
    ['create', (name: unknown) => SharedMemory.create({ name: name as string, size: 16 })],
    ['open', (name: unknown) => SharedMemory.open(name as string)],
    ['unlink', (name: unknown) => SharedMemory.unlink(name as string)],
  ])('%s: name', (method, call) => {
    const argName = method === 'create' ? 'options.name' : 'name';

    test.each(badNameTypes)('%s → TypeError ERR_INVALID_ARG_TYPE', (_, name) => {
      expectArgError(thrown(() => call(name)), TypeError, 'ERR_INVALID_ARG_TYPE', argName);
      expectNothingCreated();
    });

    test.each(badNameValues)('%s → TypeError ERR_INVALID_ARG_VALUE', (_, name) => {
      expectArgError(thrown(() => call(name)), TypeError, 'ERR_INVALID_ARG_VALUE', argName);
      expectNothingCreated();
    });
  });

  test('a missing name (undefined) for open/unlink → ERR_INVALID_ARG_TYPE', () => {
    expectArgError(thrown(() => (SharedMemory.open as any)()), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectArgError(thrown(() => (SharedMemory.unlink as any)()), TypeError, 'ERR_INVALID_ARG_TYPE');
  });

  test.each([
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['MAX_LENGTH + 1', MAX_LENGTH + 1],
    ['2 ** 53', 2 ** 53],
    ['Number.MAX_VALUE', Number.MAX_VALUE],
  ])('size %s → RangeError ERR_OUT_OF_RANGE', (_, size) => {
    const name = uniqueName();
    expectArgError(thrown(() => SharedMemory.create({ name, size })), RangeError, 'ERR_OUT_OF_RANGE', 'options.size');
    expectNothingCreated(name);
  });

  test.each([
    ["'10'", '10'],
    ['10n', 10n],
    ['null', null],
    ['undefined (missing)', undefined],
    ['an object', { valueOf: (): number => 10 }],
  ])('size %s → TypeError ERR_INVALID_ARG_TYPE', (_, size) => {
    const name = uniqueName();
    expectArgError(thrown(() => SharedMemory.create({ name, size: size as any })), TypeError, 'ERR_INVALID_ARG_TYPE', 'options.size');
    expectNothingCreated(name);
  });

  test('size is checked with a generated name too (nothing generated is left)', () => {
    expectArgError(thrown(() => SharedMemory.create({ size: 0 })), RangeError, 'ERR_OUT_OF_RANGE');
    expectArgError(thrown(() => SharedMemory.create({ size: -5, mode: 0o600 })), RangeError, 'ERR_OUT_OF_RANGE');
    expectNothingCreated();
  });

  test.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 4096],
    ['a string', 'name'],
    ['a boolean', true],
  ])('options %s → TypeError ERR_INVALID_ARG_TYPE', (_, options) => {
    expectArgError(thrown(() => SharedMemory.create(options as any)), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectNothingCreated();
  });

  test.each([
    ['-1', -1],
    ['0o1000', 0o1000],
    ['1.5', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('mode %s → RangeError ERR_OUT_OF_RANGE', (_, mode) => {
    const name = uniqueName();
    expectArgError(thrown(() => SharedMemory.create({ name, size: 16, mode })), RangeError, 'ERR_OUT_OF_RANGE', 'options.mode');
    expectNothingCreated(name);
  });

  test.each([
    ["'644'", '644'],
    ['null', null],
    ['0o644n', 0o644n],
  ])('mode %s → TypeError ERR_INVALID_ARG_TYPE', (_, mode) => {
    const name = uniqueName();
    expectArgError(thrown(() => SharedMemory.create({ name, size: 16, mode: mode as any })), TypeError, 'ERR_INVALID_ARG_TYPE', 'options.mode');
    expectNothingCreated(name);
  });

  test('a bad name wins over nothing else: a bad size with a bad name still creates nothing', () => {
    expect(() => SharedMemory.create({ name: 'a/b', size: -1 })).toThrow();
    expectNothingCreated();
  });
});

describe('Semaphore argument errors (nothing is created, no unit is taken)', () => {
  const longSemName = 'n'.repeat(252); // glibc adds "sem." in /dev/shm: at most 251 bytes

  describe.each([
    ['create', (name: unknown) => Semaphore.create({ name: name as string })],
    ['open', (name: unknown) => Semaphore.open(name as string)],
    ['unlink', (name: unknown) => Semaphore.unlink(name as string)],
  ])('%s: name', (method, call) => {
    const argName = method === 'create' ? 'options.name' : 'name';

    test.each(badNameTypes)('%s → TypeError ERR_INVALID_ARG_TYPE', (_, name) => {
      expectArgError(thrown(() => call(name)), TypeError, 'ERR_INVALID_ARG_TYPE', argName);
      expectNothingCreated();
    });

    test.each([...badNameValues, ['longer than 251 bytes', longSemName] as [string, string]])(
      '%s → TypeError ERR_INVALID_ARG_VALUE',
      (_, name) => {
        expectArgError(thrown(() => call(name)), TypeError, 'ERR_INVALID_ARG_VALUE', argName);
        expectNothingCreated();
      },
    );
  });

  test('a semaphore name of exactly 251 bytes is accepted', () => {
    const base = uniqueName('sem');
    const name = base + 'x'.repeat(251 - base.length);
    try {
      const sem = Semaphore.create({ name });
      expect(semExists(name)).toBe(true);
      sem.close();
    } finally {
      try {
        Semaphore.unlink(name);
      } catch {
        // not created
      }
    }
  });

  test.each([
    ['null', null],
    ['a number', 1],
    ['a string', 'x'],
  ])('options %s → TypeError ERR_INVALID_ARG_TYPE', (_, options) => {
    expectArgError(thrown(() => Semaphore.create(options as any)), TypeError, 'ERR_INVALID_ARG_TYPE');
    expectNothingCreated();
  });

  test.each([
    ['-1', -1],
    ['0.5', 0.5],
    ['2147483648', 2147483648],
    ['NaN', NaN],
    ['Infinity', Infinity],
  ])('value %s → RangeError ERR_OUT_OF_RANGE', (_, value) => {
    const name = uniqueName('sem');
    expectArgError(thrown(() => Semaphore.create({ name, value })), RangeError, 'ERR_OUT_OF_RANGE', 'options.value');
    expectNothingCreated(name);
  });

  test.each([
    ["'1'", '1'],
    ['1n', 1n],
    ['null', null],
  ])('value %s → TypeError ERR_INVALID_ARG_TYPE', (_, value) => {
    const name = uniqueName('sem');
    expectArgError(thrown(() => Semaphore.create({ name, value: value as any })), TypeError, 'ERR_INVALID_ARG_TYPE', 'options.value');
    expectNothingCreated(name);
  });

  test('value 0 and value 2147483647 are accepted', () => {
    const a = Semaphore.create({ name: uniqueName('sem'), value: 0 });
    expect(a.tryWait()).toBe(false);
    a.close();
    const b = Semaphore.create({ name: uniqueName('sem'), value: 2147483647 });
    expect(b.tryWait()).toBe(true);
    b.close();
  });

  test.each([
    ['-1', -1, RangeError, 'ERR_OUT_OF_RANGE'],
    ['0o1000', 0o1000, RangeError, 'ERR_OUT_OF_RANGE'],
    ["'600'", '600', TypeError, 'ERR_INVALID_ARG_TYPE'],
  ])('mode %s → %p', (_, mode, ctor, code) => {
    const name = uniqueName('sem');
    expectArgError(thrown(() => Semaphore.create({ name, mode: mode as any })), ctor as ErrorClass, code as string, 'options.mode');
    expectNothingCreated(name);
  });

  describe('timeouts and signals', () => {
    let sem: Semaphore;
    beforeEach(() => {
      sem = Semaphore.create({ name: uniqueName('sem'), value: 1 });
    });
    afterEach(() => sem.close());

    /** The one unit is still there (a rejected call took nothing). */
    function expectUnitUntouched(): void {
      expect(sem.tryWait()).toBe(true);
      expect(sem.tryWait()).toBe(false);
    }

    test.each([
      ['-1', -1],
      ['-Infinity', -Infinity],
      ['NaN', NaN],
    ])('waitSync(%s) → RangeError ERR_OUT_OF_RANGE', (_, timeout) => {
      expectArgError(thrown(() => sem.waitSync(timeout)), RangeError, 'ERR_OUT_OF_RANGE', 'timeoutMs');
      expectUnitUntouched();
    });

    test.each([
      ["'10'", '10'],
      ['10n', 10n],
      ['null', null],
      ['an object', {}],
    ])('waitSync(%s) → TypeError ERR_INVALID_ARG_TYPE', (_, timeout) => {
      expectArgError(thrown(() => sem.waitSync(timeout as any)), TypeError, 'ERR_INVALID_ARG_TYPE', 'timeoutMs');
      expectUnitUntouched();
    });

    test.each([
      ['-1', -1],
      ['NaN', NaN],
    ])('wait({ timeout: %s }) rejects with RangeError ERR_OUT_OF_RANGE (does not throw)', async (_, timeout) => {
      let promise!: Promise<boolean>;
      expect(() => {
        promise = sem.wait({ timeout });
      }).not.toThrow();
      expectArgError(await rejection(promise), RangeError, 'ERR_OUT_OF_RANGE', 'options.timeout');
      expectUnitUntouched();
    });

    test.each([
      ["'10'", '10'],
      ['10n', 10n],
      ['null', null],
    ])('wait({ timeout: %s }) rejects with TypeError ERR_INVALID_ARG_TYPE', async (_, timeout) => {
      expectArgError(await rejection(sem.wait({ timeout: timeout as any })), TypeError, 'ERR_INVALID_ARG_TYPE', 'options.timeout');
      expectUnitUntouched();
    });

    test.each([
      ['null', null],
      ['a number', 5],
      ['a string', 'x'],
    ])('wait(options = %s) rejects with TypeError ERR_INVALID_ARG_TYPE', async (_, options) => {
      expectArgError(await rejection(sem.wait(options as any)), TypeError, 'ERR_INVALID_ARG_TYPE', 'options');
      expectUnitUntouched();
    });

    test.each([
      ['a plain object', {}],
      ['an AbortController', new AbortController()],
      ['null', null],
      ['a string', 'abort'],
      ['an EventTarget', new EventTarget()],
    ])('wait({ signal: %s }) rejects with TypeError ERR_INVALID_ARG_TYPE', async (_, signal) => {
      expectArgError(await rejection(sem.wait({ signal: signal as any })), TypeError, 'ERR_INVALID_ARG_TYPE', 'options.signal');
      expectUnitUntouched();
    });

    test('wait() with an already aborted signal rejects with AbortError and takes nothing', async () => {
      const ac = new AbortController();
      ac.abort(new Error('why'));
      const err = await rejection(sem.wait({ signal: ac.signal }));
      expect(err.name).toBe('AbortError');
      expect(err.code).toBe('ABORT_ERR');
      expectUnitUntouched();
    });
  });

  // Valid inputs at the edge: a finite timeout too large to matter must behave
  // as a (very) long wait — not as an immediate timeout, not as EINVAL.
  describe('very large finite timeouts', () => {
    test.each([
      ['1e12 - 1', 1e12 - 1],
      ['1e12', 1e12],
      ['1e13', 1e13],
      ['Number.MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
      ['Number.MAX_VALUE', Number.MAX_VALUE],
    ])('wait({ timeout: %s }) waits for a post', async (_, timeout) => {
      const sem = Semaphore.create({ name: uniqueName('sem'), value: 0 });
      try {
        const p = sem.wait({ timeout });
        await new Promise((r) => setTimeout(r, 100));
        sem.post();
        expect(await p).toBe(true);
      } finally {
        sem.close();
      }
    });

    test.each([
      ['1e13', 1e13],
      ['Number.MAX_VALUE', Number.MAX_VALUE],
    ])('waitSync(%s) in a child waits for a post', async (_, timeout) => {
      const name = uniqueName('sem');
      const sem = Semaphore.create({ name, value: 0 });
      try {
        const child = forkFixture('wait-sync.js', [name, String(timeout)]);
        const result = onceMessage(child, (m) => m.type !== 'ready');
        await onceMessage(child, (m) => m.type === 'ready');
        await new Promise((r) => setTimeout(r, 200));
        sem.post();
        expect(await result).toEqual({ type: 'result', value: true });
        expect(await onceExit(child)).toEqual({ code: 0, signal: null });
      } finally {
        sem.close();
      }
    });
  });
});

describe('system errors', () => {
  test('SharedMemory.create on an existing name → EEXIST with the full shape', () => {
    const name = uniqueName();
    const first = SharedMemory.create({ name, size: 32 });
    first.buffer.write('keep me');
    try {
      const err = thrown(() => SharedMemory.create({ name, size: 64 }));
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe('EEXIST');
      expect(err.errno).toBe(-17);
      expect(err.syscall).toBe('shm_open');
      expect(err.path).toBe(`/${name}`);
      expect(err.message).toBe(`EEXIST: file already exists, shm_open '/${name}'`);
      expect(isSystemError(err)).toBe(true);
      expect(isSystemError(err, 'EEXIST')).toBe(true);
      expect(isSystemError(err, 'ENOENT')).toBe(false);
      // The existing segment is untouched.
      expect(shmExists(name)).toBe(true);
      const again = SharedMemory.open(name);
      expect(again.size).toBe(32);
      expect(again.buffer.toString('utf8', 0, 7)).toBe('keep me');
      again.close();
    } finally {
      first.close();
    }
  });

  test('SharedMemory.open on a missing name → ENOENT', () => {
    const name = uniqueName();
    const err = thrown(() => SharedMemory.open(name));
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ENOENT');
    expect(err.errno).toBe(-2);
    expect(err.syscall).toBe('shm_open');
    expect(err.path).toBe(`/${name}`);
    expect(err.message).toBe(`ENOENT: no such file or directory, shm_open '/${name}'`);
    expect(isSystemError(err, 'ENOENT')).toBe(true);
    expectNothingCreated(name);
  });

  test('SharedMemory.unlink on a missing name → ENOENT', () => {
    const name = uniqueName();
    const err = thrown(() => SharedMemory.unlink(name));
    expect(err.code).toBe('ENOENT');
    expect(err.errno).toBe(-2);
    expect(err.syscall).toBe('shm_unlink');
    expect(err.path).toBe(`/${name}`);
    expect(err.message).toBe(`ENOENT: no such file or directory, shm_unlink '/${name}'`);
    expect(isSystemError(err)).toBe(true);
  });

  test('Semaphore.create on an existing name → EEXIST', () => {
    const name = uniqueName('sem');
    const first = Semaphore.create({ name, value: 3 });
    try {
      const err = thrown(() => Semaphore.create({ name, value: 0 }));
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe('EEXIST');
      expect(err.errno).toBe(-17);
      expect(err.syscall).toBe('sem_open');
      expect(err.path).toBe(`/${name}`);
      expect(err.message).toBe(`EEXIST: file already exists, sem_open '/${name}'`);
      expect(isSystemError(err, 'EEXIST')).toBe(true);
      // The existing semaphore keeps its value.
      expect(first.tryWait()).toBe(true);
      expect(first.tryWait()).toBe(true);
      expect(first.tryWait()).toBe(true);
      expect(first.tryWait()).toBe(false);
    } finally {
      first.close();
    }
  });

  test('Semaphore.open on a missing name → ENOENT', () => {
    const name = uniqueName('sem');
    const err = thrown(() => Semaphore.open(name));
    expect(err.code).toBe('ENOENT');
    expect(err.errno).toBe(-2);
    expect(err.syscall).toBe('sem_open');
    expect(err.path).toBe(`/${name}`);
    expect(err.message).toBe(`ENOENT: no such file or directory, sem_open '/${name}'`);
    expectNothingCreated(name);
  });

  test('Semaphore.unlink on a missing name → ENOENT', () => {
    const name = uniqueName('sem');
    const err = thrown(() => Semaphore.unlink(name));
    expect(err.code).toBe('ENOENT');
    expect(err.errno).toBe(-2);
    expect(err.syscall).toBe('sem_unlink');
    expect(err.path).toBe(`/${name}`);
    expect(err.message).toBe(`ENOENT: no such file or directory, sem_unlink '/${name}'`);
  });

  test('a segment name and a semaphore name do not collide', () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 8 });
    uniqueName('sem'); // (cleanup for the semaphore below is by name)
    const sem = Semaphore.create({ name });
    try {
      expect(shmExists(name)).toBe(true);
      expect(semExists(name)).toBe(true);
    } finally {
      sem.close();
      Semaphore.unlink(name);
      shm.close();
    }
  });

  test('a create that fails after shm_open (EFBIG from the file size limit) leaves no name behind', async () => {
    const name = uniqueName();
    // RLIMIT_FSIZE of 1 MiB (ulimit -f counts 512-byte blocks in sh): posix_fallocate of 8 MiB fails.
    const child = spawnFixtureWithShell('ulimit -f 2048', 'create-fail.js', [name, String(8 * 1024 * 1024)]);
    const { messages, code, signal } = await collect(child);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(messages).toHaveLength(1);
    const [report] = messages;
    expect(report.threw).toBe(true);
    expect(report.code).toBe('EFBIG');
    expect(report.syscall).toBe('posix_fallocate');
    expect(report.path).toBe(`/${name}`);
    expect(report.isSystemError).toBe(true);
    expect(report.existsAfter).toBe(false);
    // A small create still works in that process afterwards.
    expect(report.smallCreateOk).toBe(true);
    expectNothingCreated(name);
  });
});

describe('isSystemError', () => {
  test('recognises system errors and filters by code', () => {
    const err = thrown(() => SharedMemory.open(uniqueName()));
    expect(isSystemError(err)).toBe(true);
    expect(isSystemError(err, 'ENOENT')).toBe(true);
    expect(isSystemError(err, 'EEXIST')).toBe(false);
  });

  test('rejects non-system errors and non-errors', () => {
    expect(isSystemError(new Error('x'))).toBe(false);
    expect(isSystemError(thrown(() => SharedMemory.open('')))).toBe(false);
    expect(isSystemError(thrown(() => SharedMemory.create({ size: -1 })))).toBe(false);
    expect(isSystemError({ code: 'ENOENT', syscall: 'shm_open' })).toBe(false);
    expect(isSystemError(null)).toBe(false);
    expect(isSystemError(undefined)).toBe(false);
    expect(isSystemError('ENOENT')).toBe(false);
  });
});
