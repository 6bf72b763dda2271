// Use after close. The SharedMemory part runs in a child (fixtures/use-after-close.js):
// touching unmapped memory would kill the process, which must show up here as a
// signal rather than as a crashed test runner.
import { isSystemError, Semaphore, SharedMemory } from '..';
import { cleanupNames, forkFixture, killChildren, semExists, shmExists, uniqueName } from './helpers';
import { collect, ownShmEntries, rejection, thrown } from './shm-helpers';

afterEach(() => {
  cleanupNames();
  killChildren();
});

interface Op {
  op: string;
  ok: boolean;
  value?: string;
  error?: string;
  code?: string;
  message?: string;
}

async function runScenario(scenario: 'views' | 'transfer'): Promise<any> {
  const prefix = uniqueName();
  const child = forkFixture('use-after-close.js', [prefix, scenario]);
  const { messages, code, signal } = await collect(child);
  // The child must survive every access: exit code 0, no signal (SIGSEGV/SIGBUS).
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(messages).toHaveLength(1);
  expect(messages[0].type).toBe('report');
  // The fixture unlinks its names right after creating them.
  expect(ownShmEntries().filter((e) => e.includes(prefix))).toEqual([]);
  return messages[0];
}

describe('SharedMemory views after close() (child process)', () => {
  let report: any;
  beforeAll(async () => {
    report = await runScenario('views');
  });
  afterAll(() => {
    cleanupNames();
    killChildren();
  });

  const kinds = [
    'shm.buffer',
    'shm.buffer.subarray(8, 72)',
    'shm.buffer.slice(100, 200)',
    'new Int32Array(ab, 16, 8)',
    'new Float64Array(ab, 64, 4)',
    'new BigInt64Array(ab)',
    'new Uint8Array(ab)',
    'Buffer.from(ab)',
    'Buffer.from(ab, 100, 50)',
    'new DataView(ab, 4, 32)',
    'ab',
  ];

  test('every view kind was exercised', () => {
    expect(report.results.map((r: any) => r.kind)).toEqual(kinds);
  });

  describe.each(kinds)('%s', (kind) => {
    let result: any;
    let ops: Map<string, Op>;
    beforeAll(() => {
      result = report.results.find((r: any) => r.kind === kind);
      ops = new Map(result.ops.map((o: Op) => [o.op, o]));
    });

    test('was a live view of the memory before close()', () => {
      expect(result.lengthBefore).toBeGreaterThan(0);
      expect(result.firstBefore).not.toBe(0); // the fixture filled the memory with 0x5a
    });

    test('has length 0 after close() (a DataView throws TypeError instead)', () => {
      const byteLength = ops.get('byteLength')!;
      if (kind.startsWith('new DataView')) {
        expect(byteLength).toMatchObject({ ok: false, error: 'TypeError' });
      } else {
        expect(byteLength).toMatchObject({ ok: true, value: '0' });
        if (ops.has('length')) expect(ops.get('length')).toMatchObject({ ok: true, value: '0' });
      }
    });

    test('index reads give undefined or throw TypeError/RangeError', () => {
      const reads = result.ops.filter((o: Op) => /^(read |get|Atomics\.load|at\()/.test(o.op));
      expect(reads.length).toBeGreaterThan(0);
      for (const o of reads as Op[]) {
        if (o.ok) expect({ op: o.op, value: o.value }).toEqual({ op: o.op, value: 'undefined' });
        else expect({ op: o.op, error: o.error }).toEqual({ op: o.op, error: expect.stringMatching(/^(TypeError|RangeError)$/) });
      }
    });

    test('a DataView read throws TypeError', () => {
      if (!kind.startsWith('new DataView')) return;
      for (const op of ['getUint8(0)', 'getInt32(0)', 'getFloat64(0)', 'getBigInt64(0)']) {
        expect(ops.get(op)).toMatchObject({ ok: false, error: 'TypeError' });
      }
    });

    test('every other operation is a no-op or throws TypeError/RangeError', () => {
      for (const o of result.ops as Op[]) {
        if (o.ok) continue;
        // structuredClone of a detached buffer is a DOMException by spec.
        const allowed = o.op.startsWith('structuredClone') ? /^(TypeError|RangeError|DataCloneError)$/ : /^(TypeError|RangeError)$/;
        expect({ op: o.op, error: o.error }).toEqual({ op: o.op, error: expect.stringMatching(allowed) });
      }
    });

    test('writes do not bring the memory back', () => {
      const after = ops.get('read [0] after write');
      if (after) expect(after).toMatchObject({ ok: true, value: 'undefined' });
    });

    test('the SharedMemory object itself: buffer empty, closed, close() again is fine, all other views empty', () => {
      expect(ops.get('shm.buffer.length')).toMatchObject({ ok: true, value: '0' });
      expect(ops.get('shm.closed')).toMatchObject({ ok: true, value: 'true' });
      expect(ops.get('shm.close() again')).toMatchObject({ ok: true });
      expect(ops.get('other views total byteLength')).toMatchObject({ ok: true, value: '0' });
      const sub = ops.get('shm.buffer.subarray(0, 8).length')!;
      if (sub.ok) expect(sub.value).toBe('0');
      else expect(sub.error).toMatch(/^(TypeError|RangeError)$/);
    });
  });

  test('Buffer methods on a closed buffer read nothing and write nothing', () => {
    const ops = new Map<string, Op>(report.results.find((r: any) => r.kind === 'shm.buffer').ops.map((o: Op) => [o.op, o]));
    expect(ops.get("write('abc')")).toMatchObject({ ok: true, value: '0' });
    expect(ops.get('toString()')).toMatchObject({ ok: true, value: '' });
    expect(ops.get('readInt32LE(0)')).toMatchObject({ ok: false, error: 'RangeError' });
    expect(ops.get('writeInt32LE(1, 0)')).toMatchObject({ ok: false, error: 'RangeError' });
    expect(ops.get('toJSON().data.length')).toMatchObject({ ok: true, value: '0' });
  });

  test('new views over the closed ArrayBuffer cannot be made', () => {
    const ops = report.results.find((r: any) => r.kind === 'ab').ops as Op[];
    for (const o of ops.filter((x) => x.op.endsWith('after close'))) {
      expect({ op: o.op, ok: o.ok, error: o.error }).toEqual({ op: o.op, ok: false, error: expect.stringMatching(/^(TypeError|RangeError)$/) });
    }
  });
});

describe('an ArrayBuffer moved away before close() stays readable (child process)', () => {
  let report: any;
  beforeAll(async () => {
    report = await runScenario('transfer');
  });
  afterAll(() => {
    cleanupNames();
    killChildren();
  });

  test('the child exits 0 and reports every way of moving the buffer', () => {
    expect(report.cases.map((c: any) => c.how)).toEqual([
      'ab.transfer()',
      'structuredClone(ab, { transfer: [ab] })',
      'port.postMessage(ab, [ab])',
    ]);
  });

  test.each(['ab.transfer()', 'structuredClone(ab, { transfer: [ab] })', 'port.postMessage(ab, [ab])'])(
    '%s: the moved-to buffer is readable and writable after close()',
    (how) => {
      const c = report.cases.find((x: any) => x.how === how);
      if (!c.available) {
        // Node 20's V8 has no ArrayBuffer.prototype.transfer; the other cases cover moving.
        expect(typeof (ArrayBuffer.prototype as any).transfer).toBe('undefined');
        return;
      }
      if (c.threw === 'DataCloneError' && how !== 'ab.transfer()') {
        // Node 21+ refuses to transfer an external (Node-API) ArrayBuffer through a transfer
        // list: nothing moved, so close() detached and unmapped it as usual (and the child lived).
        expect(c.stillAttached).toBe(true);
        expect(c.closed).toBe(true);
        return;
      }
      expect(c.threw).toBeUndefined();
      expect(c.closed).toBe(true);
      expect(c.movedLength).toBe(4096);
      expect(c.readAfterClose).toBe('hello transfer');
      expect(c.writeAfterClose).toBe(1);
    },
  );
});

describe('Semaphore after close()', () => {
  function expectEbadf(err: any, syscall?: string): void {
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('EBADF');
    expect(err.errno).toBe(-9);
    if (syscall) expect(err.syscall).toBe(syscall);
    expect(isSystemError(err, 'EBADF')).toBe(true);
  }

  test('post / tryWait / waitSync throw EBADF', () => {
    const name = uniqueName('sem');
    const sem = Semaphore.create({ name, value: 1 });
    sem.close();
    expect(sem.closed).toBe(true);
    expectEbadf(thrown(() => sem.post()), 'sem_post');
    expectEbadf(thrown(() => sem.tryWait()), 'sem_trywait');
    expectEbadf(thrown(() => sem.waitSync()), 'sem_wait');
    expectEbadf(thrown(() => sem.waitSync(0)), 'sem_wait');
    expectEbadf(thrown(() => sem.waitSync(10)), 'sem_wait');
    // The semaphore itself is untouched: its unit is still there.
    const other = Semaphore.open(name);
    expect(other.tryWait()).toBe(true);
    expect(other.tryWait()).toBe(false);
    other.close();
  });

  test('wait() rejects with EBADF (does not throw)', async () => {
    const sem = Semaphore.create({ name: uniqueName('sem'), value: 1 });
    sem.close();
    let p!: Promise<boolean>;
    expect(() => {
      p = sem.wait();
    }).not.toThrow();
    expectEbadf(await rejection(p), 'sem_wait');
    expectEbadf(await rejection(sem.wait({ timeout: 0 })), 'sem_wait');
    expectEbadf(await rejection(sem.wait({ timeout: 100, signal: new AbortController().signal })), 'sem_wait');
  });

  test('a pending wait() rejects with EBADF on close(), and takes no unit', async () => {
    const name = uniqueName('sem');
    const sem = Semaphore.create({ name, value: 0 });
    const other = Semaphore.open(name);
    try {
      const pending = sem.wait();
      const pendingWithTimeout = sem.wait({ timeout: 60_000 });
      sem.close();
      expectEbadf(await rejection(pending), 'sem_wait');
      expectEbadf(await rejection(pendingWithTimeout), 'sem_wait');
      other.post();
      // The unit reaches the remaining handle (a cancelled waiter that grabbed it gives it back).
      expect(await other.wait()).toBe(true);
      expect(other.tryWait()).toBe(false);
    } finally {
      other.close();
    }
  });

  test('close() is idempotent, never removes the name, and unlink() works after it', () => {
    const name = uniqueName('sem');
    const sem = Semaphore.create({ name });
    sem.close();
    expect(() => sem.close()).not.toThrow();
    expect(sem.closed).toBe(true);
    expect(semExists(name)).toBe(true);
    sem.unlink();
    expect(semExists(name)).toBe(false);
    expect(thrown(() => sem.unlink()).code).toBe('ENOENT');
  });

  test('in a child process too: EBADF from every method, exit code 0', async () => {
    const name = uniqueName('sem');
    const child = forkFixture('sem-after-close.js', [name]);
    const { messages, code, signal } = await collect(child);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(messages).toEqual([
      {
        type: 'report',
        post: 'EBADF',
        tryWait: 'EBADF',
        waitSync: 'EBADF',
        wait: 'EBADF',
        pending: 'EBADF',
      },
    ]);
    expect(semExists(name)).toBe(false);
    expect(shmExists(name)).toBe(false);
  });
});
