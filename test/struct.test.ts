// Struct: layouts as C and ctypes compute them, every field type across
// processes, atomics and wait/notify on fields, and the errors.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Mutex, notify, SharedMemory, Struct, wait } from '..';
import { cleanupNames, forkFixture, killChildren, onceExit, onceMessage, uniqueName } from './helpers';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { toJSONSafe, fromJSONSafe } = require('./fixtures/struct-values');

const opened: SharedMemory[] = [];
afterEach(() => {
  killChildren();
  for (const shm of opened.splice(0)) if (!shm.closed) shm.close();
  cleanupNames();
});

function segment(size = 4096): SharedMemory {
  const shm = SharedMemory.create({ name: uniqueName(), size });
  opened.push(shm);
  return shm;
}

const Point = Struct.define({ x: 'f32', y: 'f64' });
const All = Struct.define({
  a: 'i8', b: 'u8', c: 'i16', d: 'u16', e: 'i32', f: 'u32', g: 'i64', h: 'u64', i: 'f32', j: 'f64', k: 'bool',
  s: 'char[12]', ai8: 'i8[3]', au8: 'u8[3]', ai16: 'i16[3]', au16: 'u16[3]', ai32: 'i32[3]', au32: 'u32[3]',
  ai64: 'i64[3]', au64: 'u64[3]', af32: 'f32[3]', af64: 'f64[3]', p: Point, ps: [Point, 2], m: 'mutex',
});

const VALUES_A = {
  a: -128, b: 255, c: -32768, d: 65535, e: -(2 ** 31), f: 2 ** 32 - 1, g: `${-(2n ** 63n)}`, h: `${2n ** 64n - 1n}`, i: 1.5, j: Math.PI,
  k: true, s: 'héllo €', ai8: [-1, 0, 127], au8: [1, 2, 255], ai16: [-300, 0, 300], au16: [1, 60000, 3], ai32: [-7, 8, -9],
  au32: [4e9, 1, 2], ai64: ['-5', '9007199254740993', '0'], au64: ['18446744073709551615', '1', '2'], af32: [0.25, -2, 3],
  af64: [1e300, -0.5, 7], p: { x: 2.5, y: -1e-9 }, ps: [{ x: 1, y: 2 }, { x: 3, y: 4 }], m: 'mutex',
};
const VALUES_B = {
  a: 7, b: 0, c: 1, d: 2, e: 3, f: 4, g: '-1', h: '12345678901234567890', i: -0.5, j: 2.25, k: false, s: 'ab', ai8: [3, 2, 1],
  au8: [0, 0, 9], ai16: [1, 1, 1], au16: [2, 2, 2], ai32: [0, 0, 1], au32: [5, 5, 5], ai64: ['1', '2', '3'], au64: ['4', '5', '6'],
  af32: [1, 2, 3], af64: [4, 5, 6], p: { x: 0.5, y: 0.25 }, ps: [{ x: 9, y: 8 }, { x: 7, y: 6 }], m: 'mutex',
};

async function agent(shm: SharedMemory, offset: number, layout: { toJSON(): object }) {
  const child = forkFixture('struct-agent.js', [shm.name, String(offset), JSON.stringify(layout.toJSON())]);
  await onceMessage(child, (m) => m.ready);
  const ask = async (msg: object) => {
    const reply = onceMessage(child, (m) => !m.waiting);
    child.send(msg);
    const r = await reply;
    if (r.error) throw new Error(r.error);
    return r;
  };
  const exit = async () => {
    const exited = onceExit(child);
    child.send({ cmd: 'exit' });
    expect(await exited).toEqual({ code: 0, signal: null });
  };
  return { child, ask, exit };
}

describe('Struct layouts', () => {
  test('C rules: natural alignment, size rounded up, pack', () => {
    const S = Struct.define({ a: 'u8', b: 'u32', c: 'u8', d: 'f64', e: 'u16' });
    expect(S.fields.map((f) => [f.name, f.offset, f.size])).toEqual([['a', 0, 1], ['b', 4, 4], ['c', 8, 1], ['d', 16, 8], ['e', 24, 2]]);
    expect([S.size, S.align]).toEqual([32, 8]);
    const P = Struct.define({ a: 'u8', b: 'u32', c: 'u8', d: 'f64', e: 'u16' }, { pack: 2 });
    expect(P.fields.map((f) => f.offset)).toEqual([0, 2, 6, 8, 16]);
    expect([P.size, P.align, P.pack]).toEqual([18, 2, 2]);
    expect(S.offsetOf('d')).toBe(16);
    // An object and [name, type] pairs give the same layout; so do two defines.
    const Q = Struct.define([['a', 'u8'], ['b', 'u32'], ['c', 'u8'], ['d', 'f64'], ['e', 'u16']]);
    expect(Q.fields).toEqual(S.fields);
  });

  test('the fields list gives what was defined', () => {
    expect(All.fields.find((f) => f.name === 'p')!.type).toBe(Point);
    expect(All.fields.find((f) => f.name === 'ps')!.type).toEqual([Point, 2]);
    expect(All.fields.find((f) => f.name === 's')).toEqual({ name: 's', type: 'char[12]', offset: expect.any(Number), size: 12 });
    expect(All.fields.find((f) => f.name === 'm')!.size).toBe(Mutex.BYTES);
  });

  test('bad definitions and field names: ERR_INVALID_ARG_VALUE, nothing made', () => {
    const bad: Array<[unknown, unknown?]> = [
      [{ a: 'u128' }], [{ a: 'char[0]' }], [{ a: 'i32[-1]' }], [{ a: 'i32[1.5]' }], [{ a: 'bool[2]' }], [{ '1a': 'u8' }],
      [{ toJSON: 'u8' }], [{ constructor: 'u8' }], [{ ['x'.repeat(64)]: 'u8' }], [{}], [[['a', 'u8'], ['a', 'u16']]],
      [{ a: 'u8' }, { pack: 3 }], [{ a: 'u8', m: 'mutex' }, { pack: 4 }], [{ a: 'u8', b: 'i32[2]' }, { pack: 2 }],
      [{ a: [Point, 0] }], [{ a: [{ x: 'u8' }, 2] }], [{ a: 5 }], [[['a']]],
    ];
    for (const [fields, options] of bad) {
      expect(() => Struct.define(fields as never, options as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    }
    expect(() => Struct.define('u8' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => All.offsetOf('nope' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });

  test('offsets out of range: ERR_OUT_OF_RANGE; a closed segment: EBADF', () => {
    const shm = segment(256);
    for (const offset of [-8, 1.5, 4, 256 - All.size + 8, 1024]) {
      expect(() => All.create(shm, offset)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
    expect(() => All.create(shm, '0' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => All.create({} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const other = segment(256);
    other.close();
    expect(() => All.attach(other)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    // attach where no instance (no mutex) was created
    expect(() => All.attach(shm, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});

describe('Struct views', () => {
  test('every type reads back what was written, in this process', () => {
    const shm = segment();
    const v = All.create(shm, 64);
    fromJSONSafe(v, VALUES_A);
    expect(toJSONSafe(v)).toEqual({ ...VALUES_A, i: 1.5, af32: [0.25, -2, 3], p: { x: 2.5, y: -1e-9 } });
    // Typed arrays are live views of the segment: Atomics work on their elements.
    expect(v.ai32).toBeInstanceOf(Int32Array);
    expect(Atomics.add(v.ai32, 1, 2)).toBe(8);
    expect(v.ai32[1]).toBe(10);
    // … and so do shmem's cross-process wait/notify on an i32 array's elements.
    expect(wait(v.ai32, 1, 123, 0)).toBe('not-equal');
    expect(wait(v.ai32, 1, 10, 0)).toBe('timed-out');
    expect(notify(v.ai32, 1)).toBe(0);
    expect(v.m).toBeInstanceOf(Mutex);
    expect(v.ps.length).toBe(2);
    expect(Object.isFrozen(v.ps)).toBe(true);
  });

  test('scalar stores convert as typed arrays do; 64-bit ones take bigints and safe integers', () => {
    const shm = segment();
    const v = All.create(shm);
    v.b = 257;
    expect(v.b).toBe(1);
    v.e = 2 ** 31;
    expect(v.e).toBe(-(2 ** 31));
    v.i = 0.1;
    expect(v.i).toBe(Math.fround(0.1));
    v.g = 5;
    expect(v.g).toBe(5n);
    v.h = -1n;
    expect(v.h).toBe(2n ** 64n - 1n);
    expect(() => (v.g = 2 ** 53)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => (v.g = 1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ((v as any).h = '1')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => ((v as any).k = 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    // Any non-zero byte reads true.
    shm.buffer[v.$shmem.offset + All.offsetOf('k')] = 7;
    expect(v.k).toBe(true);
  });

  test('char[N]: UTF-8, NUL-padded, exactly N bytes fit; longer or with NUL throws and writes nothing', () => {
    const shm = segment();
    const v = All.create(shm);
    v.s = 'abcdefghijkl'; // 12 bytes
    expect(v.s).toBe('abcdefghijkl');
    v.s = 'é';
    expect(v.s).toBe('é');
    const at = All.offsetOf('s');
    expect([...shm.buffer.subarray(at, at + 12)]).toEqual([0xc3, 0xa9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => (v.s = 'abcdefghijklm')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => (v.s = 'ééééééé')).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' })); // 14 bytes
    expect(() => (v.s = 'a\0b')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => ((v as any).s = 5)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(v.s).toBe('é');
  });

  test('packed fields that are not aligned read and write through DataView; atomics refuse them', () => {
    const P = Struct.define({ a: 'u8', b: 'u32', c: 'f64', d: 'i64' }, { pack: 1 });
    expect(P.fields.map((f) => f.offset)).toEqual([0, 1, 5, 13]);
    const shm = segment();
    const v = P.create(shm, 3);
    v.b = 0xdeadbeef;
    v.c = -2.5;
    v.d = -3n;
    expect([v.b, v.c, v.d]).toEqual([0xdeadbeef, -2.5, -3n]);
    expect(shm.buffer.readUInt32LE(4)).toBe(0xdeadbeef);
    expect(() => P.add(v, 'b', 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(P.add(v, 'a', 1)).toBe(0);
  });

  test('views carry a JSON-safe description, and nothing else of their own', () => {
    const shm = segment();
    const v = All.create(shm, 128);
    expect(Object.keys(v)).toEqual(['$shmem']);
    expect(v.$shmem).toEqual({ kind: 'struct', name: shm.name, offset: 128, layout: All.toJSON() });
    expect(JSON.parse(JSON.stringify(v))).toEqual({ $shmem: v.$shmem });
    expect(structuredClone(v)).toEqual({ $shmem: v.$shmem });
    expect(Struct.segmentOf(v)).toBe(shm);
    expect(Struct.segmentOf(v.p)).toBe(shm);
    expect(Struct.layoutOf(v)).toBe(All);
    expect(v.p.$shmem.offset).toBe(128 + All.offsetOf('p'));
  });

  test('after close, a view reads undefined or throws, never crashes', () => {
    const shm = segment();
    const v = All.create(shm);
    v.e = 5;
    shm.close();
    for (const f of All.fields) {
      try {
        const got = (v as any)[f.name];
        if (typeof got !== 'object' || got === null) expect(got).toBeUndefined();
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
      }
    }
    v.e = 6; // goes nowhere, as a typed array's store
    expect(v.e).toBeUndefined();
    expect(() => (v.s = 'x')).not.toThrow();
    expect(() => All.add(v, 'e', 1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => v.m.lockSync()).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  test('every type crosses to another process and back', async () => {
    const shm = segment();
    const v = All.create(shm, 256);
    fromJSONSafe(v, VALUES_A);
    const { ask, exit } = await agent(shm, 256, All);
    expect((await ask({ cmd: 'read' })).values).toEqual(toJSONSafe(v));
    await ask({ cmd: 'write', values: VALUES_B });
    expect(toJSONSafe(v)).toEqual(VALUES_B);
    await exit();
  });
});

describe('Struct atomics', () => {
  const Counters = Struct.define({ lock: 'mutex', hits: 'u64', small: 'i16', flags: 'u32', plain: 'u64', f: 'f64', ready: 'i32' });

  test('exact under a 4-process race: atomic adds, and increments under the mutex field', async () => {
    const shm = segment();
    const v = Counters.create(shm);
    const agents = await Promise.all([0, 1, 2, 3].map(() => agent(shm, 0, Counters)));
    const n = 20000;
    await Promise.all(agents.map(({ ask }) => ask({ cmd: 'add', field: 'hits', times: n, value: '1' })));
    await Promise.all(agents.map(({ ask }) => ask({ cmd: 'add', field: 'small', times: 1000, value: 1 })));
    await Promise.all(agents.map(({ ask }) => ask({ cmd: 'locked', field: 'plain', times: 5000 })));
    expect(v.hits).toBe(BigInt(4 * n));
    expect(v.small).toBe(4000);
    expect(v.plain).toBe(20000n);
    await Promise.all(agents.map(({ exit }) => exit()));
  });

  test('every operation, like Atomics', () => {
    const shm = segment();
    const v = Counters.create(shm);
    expect(Counters.store(v, 'flags', 0b1100)).toBe(0b1100);
    expect(Counters.or(v, 'flags', 0b0011)).toBe(0b1100);
    expect(Counters.and(v, 'flags', 0b0110)).toBe(0b1111);
    expect(Counters.xor(v, 'flags', 0b0101)).toBe(0b0110);
    expect(Counters.load(v, 'flags')).toBe(0b0011);
    expect(Counters.exchange(v, 'flags', 9)).toBe(3);
    expect(Counters.compareExchange(v, 'flags', 8, 1)).toBe(9);
    expect(Counters.compareExchange(v, 'flags', 9, 1)).toBe(9);
    expect(v.flags).toBe(1);
    expect(Counters.sub(v, 'hits', 1n)).toBe(0n);
    expect(v.hits).toBe(2n ** 64n - 1n);
    expect(Counters.add(v, 'hits', 2)).toBe(2n ** 64n - 1n);
    expect(v.hits).toBe(1n);
  });

  test('bad atomic operations: ERR_INVALID_ARG_VALUE / TYPE, before anything is touched', () => {
    const shm = segment();
    const v = Counters.create(shm);
    expect(() => Counters.add(v, 'f' as never, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => Counters.add(v, 'lock' as never, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => Counters.add(v, 'nope' as never, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => Counters.wait(v, 'hits', 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => Counters.notify(v, 'small')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => Counters.add({} as never, 'hits', 1n)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => Counters.add(v, 'flags', '1' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    const Other = Struct.define({ x: 'u32' });
    expect(() => Other.add(v as never, 'x', 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    // The same fields and pack, defined again: interchangeable.
    const Again = Struct.define({ lock: 'mutex', hits: 'u64', small: 'i16', flags: 'u32', plain: 'u64', f: 'f64', ready: 'i32' });
    expect(Again.add(v, 'hits', 5n)).toBe(0n);
    expect(v.hits).toBe(5n);
  });

  test('wait and notify on a field, across processes', async () => {
    const shm = segment();
    const v = Counters.create(shm);
    const { child, exit } = await agent(shm, 0, Counters);
    const waiting = onceMessage(child, (m) => m.waiting);
    const result = onceMessage(child, (m) => m.result);
    child.send({ cmd: 'wait', field: 'ready', value: 0 });
    await waiting;
    // Until the child sleeps, a notify could come too early: store first, then notify until it answers.
    Counters.store(v, 'ready', 1);
    let r: { result: string } | undefined;
    result.then((x) => (r = x));
    while (r === undefined) {
      Counters.notify(v, 'ready');
      await new Promise((res) => setTimeout(res, 5));
    }
    expect(['ok', 'not-equal']).toContain(r.result);
    expect(Counters.wait(v, 'ready', 0, 0)).toBe('not-equal');
    expect(Counters.wait(v, 'ready', 1, 1)).toBe('timed-out');
    await expect(Counters.waitAsync(v, 'ready', 1, 1)).resolves.toBe('timed-out');
    await exit();
  });
});

// ---- C and Python agree on every layout ------------------------------------

const Inner = Struct.define({ a: 'u8', b: 'u16', c: 'u8' });
const Wide = Struct.define({ x: 'f64', y: 'u8' });
const LAYOUTS = [
  Struct.define({ a: 'u8' }),
  Struct.define({ a: 'u8', b: 'u16' }),
  Struct.define({ a: 'u8', b: 'u32', c: 'u8' }),
  Struct.define({ a: 'u8', b: 'u64' }),
  Struct.define({ a: 'u16', b: 'u8', c: 'u32', d: 'u8' }),
  Struct.define({ a: 'f32', b: 'f64', c: 'f32' }),
  Struct.define({ a: 'bool', b: 'i64', c: 'bool' }),
  Struct.define({ a: 'char[3]', b: 'i32', c: 'char[5]' }),
  Struct.define({ a: 'u8', b: 'i16[3]', c: 'u8' }),
  Struct.define({ a: 'u8', b: 'f64[2]', c: 'u8' }),
  Struct.define({ a: 'u8', p: Inner, b: 'u8' }),
  Struct.define({ a: 'u8', p: [Inner, 3], b: 'u8' }),
  Struct.define({ a: 'u8', w: Wide, b: 'u8' }),
  Struct.define({ a: 'u8', w: [Wide, 2], b: 'u16' }),
  Struct.define({ a: 'u8', m: 'mutex', b: 'u8' }),
  Struct.define({ a: 'u8', b: 'u32', c: 'u8', d: 'f64' }, { pack: 1 }),
  Struct.define({ a: 'u8', b: 'u32', c: 'u8', d: 'f64' }, { pack: 2 }),
  Struct.define({ a: 'u8', b: 'u32', c: 'u8', d: 'f64' }, { pack: 4 }),
  Struct.define({ a: 'u8', b: 'u32', c: 'u8', d: 'f64' }, { pack: 8 }),
  Struct.define({ a: 'u8', w: Wide, b: 'u8' }, { pack: 4 }),
  Struct.define({ a: 'u8', w: [Inner, 2], b: 'u32' }, { pack: 1 }),
  Struct.define({ a: 'u8', b: 'char[7]', c: 'u16' }, { pack: 1 }),
  Struct.define({ a: 'u16', b: 'i64[2]' }, { pack: 8 }),
  All,
];

function ours() {
  return LAYOUTS.map((l) => ({ size: l.size, align: l.align, offsets: l.fields.map((f) => f.offset) }));
}

const python = (() => {
  const r = spawnSync('python3', ['-c', 'import ctypes'], { encoding: 'utf8' });
  return r.status === 0 ? 'python3' : null;
})();
const cc = (() => {
  for (const c of [process.env.CC, 'cc', 'gcc', 'clang']) {
    if (c && spawnSync(c, ['--version']).status === 0) return c;
  }
  return null;
})();

(python ? describe : describe.skip)(python ? 'Struct and Python ctypes' : 'python3 not found: skipped', () => {
  test('ctypes computes the same sizes, alignments and offsets for every layout (toCtypes)', () => {
    const src = LAYOUTS.map((l, i) => l.toCtypes(`L${i}`)).join('\n');
    const names = LAYOUTS.map((l, i) => [`L${i}`, l.fields.map((f) => f.name)]);
    const code = `${src}
import json
out = []
for cls, fields in ${JSON.stringify(names)}:
    c = globals()[cls]
    out.append({"size": ctypes.sizeof(c), "align": ctypes.alignment(c), "offsets": [getattr(c, f).offset for f in fields]})
print(json.dumps(out))
`;
    const r = spawnSync(python!, ['-c', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(ours());
  });

  test('Python reads through ctypes what Node wrote, and Node what Python wrote, for every type', () => {
    const shm = segment();
    const v = All.create(shm, 512);
    fromJSONSafe(v, VALUES_A);
    const code = `${All.toCtypes('All')}
import json, sys
from multiprocessing import shared_memory, resource_tracker
shm = shared_memory.SharedMemory(name=sys.argv[1])
try:
    resource_tracker.unregister(shm._name, 'shared_memory')
except Exception:
    pass
s = All.from_buffer(shm.buf, 512)
def val(x):
    if isinstance(x, ctypes.Array):
        return [val(e) for e in x]
    if isinstance(x, ctypes.Structure):
        return {f[0]: val(getattr(x, f[0])) for f in x._fields_}
    if isinstance(x, bytes):
        return x.decode('utf-8')
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) > 2**53:
        return str(x)
    return x
got = {f[0]: val(getattr(s, f[0])) for f in All._fields_ if f[0] != 'm'}
print(json.dumps(got))
s.a, s.b, s.c, s.d, s.e, s.f = 7, 0, 1, 2, 3, 4
s.g, s.h, s.i, s.j, s.k, s.s = -1, 12345678901234567890, -0.5, 2.25, False, b'ab'
for i in range(3):
    s.ai8[i], s.au8[i], s.ai16[i], s.au16[i] = ${JSON.stringify(VALUES_B.ai8)}[i], ${JSON.stringify(VALUES_B.au8)}[i], 1, 2
    s.ai32[i], s.au32[i], s.ai64[i], s.au64[i] = ${JSON.stringify(VALUES_B.ai32)}[i], 5, i + 1, i + 4
    s.af32[i], s.af64[i] = i + 1, i + 4
s.p.x, s.p.y = 0.5, 0.25
s.ps[0].x, s.ps[0].y, s.ps[1].x, s.ps[1].y = 9, 8, 7, 6
del s
shm.close()
`;
    const expected = { ...toJSONSafe(v) };
    const r = spawnSync(python!, ['-c', code, shm.name], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const got = JSON.parse(r.stdout);
    delete expected.m;
    // JSON from Python: int64 values within 2^53 come as numbers.
    const asPython = (x: string) => (BigInt(x) > 2n ** 53n || BigInt(x) < -(2n ** 53n) ? x : Number(x));
    expected.ai64 = expected.ai64.map(asPython);
    expected.au64 = expected.au64.map(asPython);
    for (const k of ['g', 'h']) expected[k] = asPython(expected[k]);
    expect(got).toEqual(expected);
    expect(toJSONSafe(v)).toEqual(VALUES_B);
  });
});

(cc ? describe : describe.skip)(cc ? 'Struct and C' : 'no C compiler found: skipped', () => {
  test('a C compiler accepts toC and gives the same sizes, alignments and offsets', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shmem-struct-'));
    try {
      const decls = LAYOUTS.map((l, i) => l.toC(`l${i}_t`).replace(/#include <[a-z]+\.h>\n/g, '')).join('\n');
      const prints = LAYOUTS.map((l, i) => {
        const offs = l.fields.map((f) => `(int)offsetof(l${i}_t, ${f.name})`);
        return `printf("%s{\\"size\\":%d,\\"align\\":%d,\\"offsets\\":[${offs.map(() => '%d').join(',')}]}", ${i ? '","' : '""'}, (int)sizeof(l${i}_t), (int)_Alignof(l${i}_t)${offs.length ? `, ${offs.join(', ')}` : ''});`;
      });
      const src = `#include <stdbool.h>\n#include <stddef.h>\n#include <stdint.h>\n#include <stdio.h>\n${decls}\nint main(void) {\n  printf("[");\n  ${prints.join('\n  ')}\n  printf("]\\n");\n  return 0;\n}\n`;
      fs.writeFileSync(path.join(dir, 'layouts.c'), src);
      const build = spawnSync(cc!, ['-std=c11', '-Wall', '-Werror', '-o', path.join(dir, 'layouts'), path.join(dir, 'layouts.c')], { encoding: 'utf8' });
      expect(build.stderr).toBe('');
      const run = spawnSync(path.join(dir, 'layouts'), { encoding: 'utf8' });
      expect(JSON.parse(run.stdout)).toEqual(ours());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
