// Property test (fast-check): random sequences of calls — create, open,
// close, unlink, views, reads and writes, wait/notify, Mutex and Semaphore
// operations — with valid and invalid names, sizes, offsets and values, in
// any order. Properties: nothing crashes the process; every error is one of
// the documented kinds; and create/open/unlink agree with a model of which
// names exist (EEXIST exactly when the name exists, ENOENT exactly when not).
import fc from 'fast-check';

import { Mutex, notify, Semaphore, SharedMemory, wait, waitAsync } from '..';
import { cleanupNames, uniqueName } from './helpers';

afterEach(() => cleanupNames());

// What the README documents as possible: system codes, Node-style argument
// codes, use after close, abort. Reading a closed view may also throw a plain
// TypeError/RangeError (the ArrayBuffer is detached): only for view access.
const SYSTEM = new Set(['ENOENT', 'EEXIST', 'EBADF', 'ENAMETOOLONG', 'EINVAL', 'EACCES', 'ENOSPC', 'ENOMEM', 'EDEADLK', 'EPERM', 'EOVERFLOW']);
const ARG = new Set(['ERR_INVALID_ARG_TYPE', 'ERR_OUT_OF_RANGE', 'ERR_INVALID_ARG_VALUE']);

// (Errors from Node's own Buffer methods come from another realm than jest's
// sandbox: compared by brand and name, not instanceof.)
const isError = (err: any) => Object.prototype.toString.call(err) === '[object Error]';

function checkError(err: any, viewAccess = false): string {
  if (!isError(err)) throw new Error(`not an Error: ${String(err)}`);
  if (viewAccess && (err.name === 'TypeError' || err.name === 'RangeError') && err.code === undefined) return 'view';
  const code = (err as any).code;
  if (SYSTEM.has(code)) {
    if (typeof (err as any).syscall !== 'string' && code !== 'EBADF') throw new Error(`${code} without syscall: ${err.message}`);
    return code;
  }
  if (ARG.has(code) || code === 'ABORT_ERR') return code;
  throw new Error(`undocumented error: ${code} ${err.message}`);
}

// Names: a few valid ones per run (so calls collide), given as { valid: i },
// and invalid ones.
const validName = fc.nat(3).map((i) => ({ valid: i }));
const isValid = (n: any): n is { valid: number } => typeof n === 'object' && n !== null && Object.hasOwn(n, 'valid');
const badName = fc.constantFrom<any>('', 'a/b', 'x\0y', 'n'.repeat(300), 42, null, undefined, {}, '/');
const size = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 3 * 4096 }), weight: 4 },
  fc.constantFrom<any>(0, -1, 1.5, NaN, Infinity, 2 ** 60, '64', null, 4096n),
);
const anyNumber = fc.oneof({ arbitrary: fc.integer({ min: -8, max: 3 * 4096 + 8 }), weight: 4 }, fc.constantFrom<any>(NaN, 1.5, -0, Infinity, '4', null));

const op = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('create'), name: fc.oneof({ arbitrary: validName, weight: 6 }, badName, fc.constant('generated')), size }), weight: 4 },
  fc.record({ kind: fc.constant('open'), name: fc.oneof({ arbitrary: validName, weight: 6 }, badName) }),
  fc.record({ kind: fc.constant('unlinkName'), name: fc.oneof({ arbitrary: validName, weight: 6 }, badName) }),
  fc.record({ kind: fc.constant('close'), h: fc.nat(7) }),
  fc.record({ kind: fc.constant('unlink'), h: fc.nat(7) }),
  fc.record({ kind: fc.constant('view'), h: fc.nat(7), offset: anyNumber, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('int32'), h: fc.nat(7), offset: anyNumber }),
  fc.record({ kind: fc.constant('wait'), h: fc.nat(7), index: anyNumber, value: fc.integer({ min: -1, max: 1 }), async: fc.boolean() }),
  fc.record({ kind: fc.constant('notify'), h: fc.nat(7), index: anyNumber, count: fc.oneof(fc.nat(3), fc.constantFrom<any>(undefined, -1, NaN)) }),
  fc.record({ kind: fc.constant('mutex'), h: fc.nat(7), offset: anyNumber, create: fc.boolean(), action: fc.constantFrom('tryLock', 'lockSync', 'unlock', 'lock') }),
  fc.record({ kind: fc.constant('sem'), name: fc.oneof({ arbitrary: validName, weight: 6 }, badName), action: fc.constantFrom('create', 'open', 'post', 'tryWait', 'waitSync', 'wait', 'close', 'unlink') }),
);

type Op = any;

async function runOps(ops: Op[]): Promise<void> {
  const names = [0, 1, 2, 3].map(() => uniqueName('shm'));
  const semNames = [0, 1, 2, 3].map(() => uniqueName('sem'));
  const exists = new Set<string>(); // the model: segment names that exist
  const handles: SharedMemory[] = [];
  const sems: Semaphore[] = [];
  const mutexes: Mutex[] = [];
  const generated: string[] = [];
  const nameOf = (n: any) => (isValid(n) ? names[n.valid] : n);
  const pick = (h: number) => handles[h % Math.max(1, handles.length)];
  const pending: Promise<unknown>[] = [];
  try {
    for (const o of ops) {
      try {
        switch (o.kind) {
          case 'create': {
            if (o.name === 'generated' || o.name === undefined) {
              try {
                const shm = SharedMemory.create({ name: o.name === 'generated' ? undefined : o.name, size: o.size });
                generated.push(shm.name);
                handles.push(shm);
              } catch (err: any) {
                expect(ARG.has(checkError(err))).toBe(true);
              }
              break;
            }
            const name = nameOf(o.name);
            const validNm = isValid(o.name);
            const validSize = Number.isInteger(o.size) && o.size >= 1 && o.size <= 3 * 4096;
            let made: SharedMemory | undefined;
            try {
              made = SharedMemory.create({ name, size: o.size });
            } catch (err: any) {
              const code = checkError(err);
              if (validNm && validSize) expect(code).toBe(exists.has(name) ? 'EEXIST' : 'unexpected');
              if (!validNm || !validSize) expect(ARG.has(code) || code === 'ENAMETOOLONG').toBe(true);
            }
            if (made) {
              handles.push(made);
              expect({ validNm, validSize }).toEqual({ validNm: true, validSize: true });
              exists.add(name);
            }
            break;
          }
          case 'open': {
            const name = nameOf(o.name);
            try {
              handles.push(SharedMemory.open(name));
              expect(exists.has(name)).toBe(true);
            } catch (err: any) {
              const code = checkError(err);
              if (isValid(o.name)) expect(code).toBe(exists.has(name) ? 'unexpected' : 'ENOENT');
            }
            break;
          }
          case 'unlinkName': {
            const name = nameOf(o.name);
            try {
              SharedMemory.unlink(name);
              expect(exists.delete(name)).toBe(true);
            } catch (err: any) {
              const code = checkError(err);
              if (isValid(o.name)) expect(code).toBe(exists.has(name) ? 'unexpected' : 'ENOENT');
            }
            break;
          }
          case 'close':
            pick(o.h)?.close();
            break;
          case 'unlink': {
            const shm = pick(o.h);
            if (!shm) break;
            try {
              shm.unlink();
              exists.delete(shm.name);
            } catch (err: any) {
              expect(checkError(err)).toBe('ENOENT');
              expect(exists.has(shm.name)).toBe(false);
            }
            break;
          }
          case 'view': {
            const shm = pick(o.h);
            if (!shm) break;
            try {
              const sub = shm.buffer.subarray(typeof o.offset === 'number' ? o.offset : 0);
              sub[0] = o.value;
              shm.buffer.writeUInt8(o.value, o.offset);
              expect(shm.buffer.readUInt8(o.offset)).toBe(o.value);
              expect(shm.closed).toBe(false);
            } catch (err: any) {
              checkError(err, true);
            }
            break;
          }
          case 'int32': {
            const shm = pick(o.h);
            if (!shm) break;
            try {
              const v = new Int32Array(shm.buffer.buffer, o.offset, 1);
              Atomics.add(v, 0, 1);
            } catch (err: any) {
              checkError(err, true);
            }
            break;
          }
          case 'wait': {
            const shm = pick(o.h);
            if (!shm) break;
            try {
              const v = new Int32Array(shm.buffer.buffer, 0, shm.buffer.length >> 2);
              if (o.async) pending.push(waitAsync(v, o.index, o.value, 1).catch((err) => checkError(err)));
              else expect(['ok', 'not-equal', 'timed-out']).toContain(wait(v, o.index, o.value, 0));
            } catch (err: any) {
              checkError(err, true);
            }
            break;
          }
          case 'notify': {
            const shm = pick(o.h);
            if (!shm) break;
            try {
              const v = new Int32Array(shm.buffer.buffer, 0, shm.buffer.length >> 2);
              expect(notify(v, o.index, o.count)).toBeGreaterThanOrEqual(0);
            } catch (err: any) {
              checkError(err, true);
            }
            break;
          }
          case 'mutex': {
            const shm = pick(o.h);
            if (!shm) break;
            try {
              const m = o.create ? Mutex.create(shm, o.offset) : Mutex.attach(shm, o.offset);
              mutexes.push(m);
              if (o.action === 'tryLock') m.tryLock();
              else if (o.action === 'lockSync') m.lockSync(0);
              else if (o.action === 'unlock') m.unlock();
              else pending.push(m.lock({ timeout: 1 }).catch((err) => checkError(err)));
            } catch (err: any) {
              checkError(err);
            }
            break;
          }
          case 'sem': {
            const name = isValid(o.name) ? semNames[o.name.valid] : o.name;
            const sem = sems[isValid(o.name) ? o.name.valid % Math.max(1, sems.length) : 0];
            try {
              if (o.action === 'create') sems.push(Semaphore.create({ name, value: 1 }));
              else if (o.action === 'open') sems.push(Semaphore.open(name));
              else if (o.action === 'unlink') Semaphore.unlink(name);
              else if (sem) {
                if (o.action === 'post') sem.post();
                else if (o.action === 'tryWait') sem.tryWait();
                else if (o.action === 'waitSync') sem.waitSync(0);
                else if (o.action === 'wait') pending.push(sem.wait({ timeout: 1 }).catch((err) => checkError(err)));
                else sem.close();
              }
            } catch (err: any) {
              checkError(err);
            }
            break;
          }
        }
      } catch (err: any) {
        if (err?.matcherResult || /undocumented|not an Error|accepted|without syscall/.test(err?.message)) throw err;
        throw new Error(`op ${JSON.stringify(o, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}: ${err?.stack ?? err}`);
      }
    }
    await Promise.all(pending);
  } finally {
    for (const m of mutexes) {
      try {
        m.unlock();
      } catch {
        // not held by us, or its segment is closed
      }
    }
    // Every name this run may have made: the pools (cleanupNames) and any
    // generated one (create without a name) behind a handle.
    for (const s of sems) {
      s.close();
      try {
        Semaphore.unlink(s.name);
      } catch {
        // unlinked by the sequence
      }
    }
    for (const h of handles) h.close();
    for (const n of new Set([...generated, ...handles.map((h) => h.name)])) {
      try {
        SharedMemory.unlink(n);
      } catch {
        // unlinked by the sequence
      }
    }
    cleanupNames();
  }
}

test('any sequence of calls: no crash, only documented errors, names as the model says', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => runOps(ops)),
    { numRuns: 500 },
  );
});
