// The Channel's value codec writes V8's serialization format itself for plain
// data: its bytes must be what v8.serialize writes, and everything it does
// not write itself must go to v8.serialize unchanged.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

import { serializeValue } from '../dist/value-codec';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

function sameAsV8(value: unknown) {
  expect(hex(serializeValue(value))).toBe(hex(v8.serialize(value)));
  expect(v8.deserialize(serializeValue(value))).toEqual(v8.deserialize(v8.serialize(value)));
}

// V8 writes a number by how it holds it (-1 from Math.floor is a double, -1
// typed in an int), so random values are compared by what they decode to.
function decodesAsV8(value: unknown) {
  expect(v8.deserialize(serializeValue(value))).toEqual(v8.deserialize(v8.serialize(value)));
}

// A small deterministic generator (xorshift), so a failure can be replayed.
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

function randomValue(r: () => number, depth = 0): unknown {
  const pick = Math.floor(r() * (depth > 3 ? 8 : 11));
  const n = () => Math.floor(r() * 6);
  switch (pick) {
    case 0:
      return Math.floor((r() - 0.5) * 2 ** (1 + Math.floor(r() * 40)));
    case 1:
      return [0.5, -0, NaN, Infinity, -Infinity, 1e300, 2 ** 31, -(2 ** 31), 2 ** 31 - 1, -1][Math.floor(r() * 10)];
    case 2:
      return Array.from({ length: Math.floor(r() * 40) }, () => 'aé~\u00ff'[Math.floor(r() * 4)]).join('');
    case 3:
      return Array.from({ length: Math.floor(r() * 40) }, () => 'a€\ud83d\ude00\ud800 '[Math.floor(r() * 6)]).join('');
    case 4:
      return [true, false, null, undefined][Math.floor(r() * 4)];
    case 5:
      return new Date(Math.floor(r() * 2e12));
    case 6:
      return 'x'.repeat(Math.floor(r() * 300));
    case 7:
      return '';
    case 8:
      return Array.from({ length: n() }, () => randomValue(r, depth + 1));
    case 9: {
      const o: Record<string, unknown> = {};
      for (let i = n(); i > 0; i--) o[['id', 'name', '0', '7', '4294967294', '4294967295', 'é', '€', 'a b', ''][Math.floor(r() * 10)]] = randomValue(r, depth + 1);
      return o;
    }
    default: {
      const o = Object.create(null) as Record<string, unknown>;
      o.k = randomValue(r, depth + 1);
      return o;
    }
  }
}

describe('value codec', () => {
  test('plain data: the same bytes as v8.serialize', () => {
    const values: unknown[] = [
      null, undefined, true, false, 0, -0, 1, -1, 63, 64, -64, -65, 2 ** 30, -(2 ** 30) - 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 0.1, NaN, -Infinity,
      '', 'a', 'é', '€', 'a€', 'x'.repeat(127), 'x'.repeat(128), 'é'.repeat(200), '€'.repeat(70), 'a\ud800b', '\ud83d\ude00',
      [], [1, 2, 3], [[], [[]]], [undefined, null], {}, { a: 1 }, { '€': 1 }, { 'é': 'é' }, { 1: 2, a: 3, 0: 1 }, { 4294967294: 1, 4294967295: 2 },
      { id: 7, name: 'job-name-0001', tags: ['alpha', 'beta', 'gamma'], at: new Date(1733300000000) },
      new Date(0), Object.assign(Object.create(null), { a: [1] }), Object.freeze({ a: 1 }),
      { get a() { return 5; } },
      Array.from({ length: 200 }, (_, i) => ({ i, s: String(i) })),
    ];
    for (const v of values) sameAsV8(v);
    expect(hex(serializeValue(new Date(NaN)))).toBe(hex(v8.serialize(new Date(NaN))));
  });

  test('random plain data: decodes as what v8.serialize writes (2,000 values)', () => {
    const r = rng(0x5eed);
    for (let i = 0; i < 2000; i++) decodesAsV8(randomValue(r));
  });

  test('everything else goes to v8.serialize', () => {
    const shared = { x: 1 };
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const withProp = Object.assign([1, 2], { extra: true });
    const holey = [1, , 3];
    const deep: unknown[] = [];
    let at = deep;
    for (let i = 0; i < 100; i++) at.push((at = []));
    const values: unknown[] = [
      new Map([[1, 2]]), new Set(['a']), new Uint8Array([1, 2]), Buffer.from('ab'), 10n, new Error('boom'), /re/g, new (class A { x = 1; })(),
      [shared, shared], cyclic, withProp, holey, new Array(5), deep, Array.from({ length: 5000 }, (_, i) => i),
      Object(1), Object('s'), { m: new Map() }, [new Set()], vm.runInNewContext('({ a: 1 })'), vm.runInNewContext('new Date(5)'),
      Array.from({ length: 300 }, () => ({})),
    ];
    for (const v of values) expect(hex(serializeValue(v))).toBe(hex(v8.serialize(v)));
    // Cyclic and shared references survive, as structured clone keeps them.
    const back = v8.deserialize(serializeValue(cyclic)) as Record<string, unknown>;
    expect(back.self).toBe(back);
  });

  test('values structured clone refuses throw as v8.serialize does', () => {
    const ns = vm.runInNewContext('this'); // a global object from another context
    function args(..._: unknown[]) {
      return arguments;
    }
    const refused: unknown[] = [() => 1, Symbol('s'), { f() {} }, new Proxy({ a: 1 }, {}), new Proxy([1], {}), args(1), [Symbol('x')], ns];
    for (const v of refused) {
      let expected: unknown;
      try {
        v8.serialize(v);
      } catch (err) {
        expected = err;
      }
      expect(expected).toBeDefined();
      expect(() => serializeValue(v)).toThrow((expected as Error).message);
    }
  });

  test('a getter that serializes while the codec writes gets its own bytes', () => {
    let inner: Uint8Array | undefined;
    const v = {
      a: 1,
      get b() {
        inner = serializeValue({ z: 'inner' });
        return 2;
      },
      c: 'after',
    };
    const bytes = serializeValue(v);
    expect(v8.deserialize(bytes)).toEqual({ a: 1, b: 2, c: 'after' });
    expect(v8.deserialize(inner!)).toEqual({ z: 'inner' });
  });

  test('the result stays valid until the next call; a big value does not keep a big scratch', () => {
    const big = { s: 'y'.repeat(3 << 20) };
    const b1 = serializeValue(big);
    expect(v8.deserialize(b1)).toEqual(big);
    const b2 = serializeValue({ small: true });
    expect(v8.deserialize(b2)).toEqual({ small: true });
    expect(b2.buffer.byteLength).toBeLessThan(1 << 20);
  });
});
