// The Buffers the Channel hands out: made straight from Node's Buffer class,
// they must be ordinary Buffers, views or copies as said.
import { copyOf, viewOf } from '../dist/buffers';

describe('buffers', () => {
  const ab = new ArrayBuffer(64);
  new Uint8Array(ab).forEach((_, i, a) => (a[i] = i));

  test('viewOf: a Buffer over the same memory', () => {
    const v = viewOf(ab, 8, 4);
    expect(Buffer.isBuffer(v)).toBe(true);
    expect(v.constructor).toBe(Buffer);
    expect([...v]).toEqual([8, 9, 10, 11]);
    expect(v.buffer).toBe(ab);
    v[0] = 200;
    expect(new Uint8Array(ab)[8]).toBe(200);
    v[0] = 8;
    expect(v.toString('hex')).toBe('08090a0b');
    expect(Buffer.isBuffer(v.subarray(1))).toBe(true);
  });

  test('copyOf: a Buffer with its own memory', () => {
    const c = copyOf(ab, 16, 5);
    expect(Buffer.isBuffer(c)).toBe(true);
    expect(c.buffer).not.toBe(ab);
    expect([...c]).toEqual([16, 17, 18, 19, 20]);
    new Uint8Array(ab)[16] = 99;
    expect(c[0]).toBe(16);
    new Uint8Array(ab)[16] = 16;
    expect(copyOf(ab, 0, 0).length).toBe(0);
    expect(Buffer.isBuffer(Uint8Array.prototype.slice.call(c, 1))).toBe(true);
  });

  test('both work over shared memory', () => {
    const sab = new SharedArrayBuffer(16);
    new Uint8Array(sab)[3] = 7;
    expect(viewOf(sab, 3, 1)[0]).toBe(7);
    expect(copyOf(sab, 3, 1)[0]).toBe(7);
  });
});
