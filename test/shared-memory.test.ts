// SharedMemory basics: create/open/unlink/close on real /dev/shm segments.
import * as fs from 'node:fs';

import { SharedMemory } from '..';
import { cleanupNames, killChildren, shmExists, uniqueName } from './helpers';
import { currentUmask, thrown } from './shm-helpers';

const generated: string[] = [];
const open: SharedMemory[] = [];

/** Tracks a handle (closed in afterEach) and, for generated names, the name. */
function keep(shm: SharedMemory, isGenerated = false): SharedMemory {
  open.push(shm);
  if (isGenerated) generated.push(shm.name);
  return shm;
}

afterEach(() => {
  for (const shm of open.splice(0)) shm.close();
  for (const name of generated.splice(0)) {
    try {
      SharedMemory.unlink(name);
    } catch {
      // already removed by the test
    }
  }
  cleanupNames();
  killChildren();
});

function modeOf(name: string): number {
  return fs.statSync(`/dev/shm/${name}`).mode & 0o777;
}

describe('SharedMemory.create', () => {
  test('uses the name as given and creates /dev/shm/NAME', () => {
    const name = uniqueName();
    const shm = keep(SharedMemory.create({ name, size: 100 }));
    expect(shm.name).toBe(name);
    expect(shmExists(name)).toBe(true);
    expect(shm.closed).toBe(false);
  });

  test('generates unique names of at most 30 characters when none is given', () => {
    const names = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const shm = keep(SharedMemory.create({ size: 16 }), true);
      expect(typeof shm.name).toBe('string');
      expect(shm.name.length).toBeGreaterThan(0);
      expect(shm.name.length).toBeLessThanOrEqual(30);
      expect(Buffer.byteLength(shm.name)).toBeLessThanOrEqual(30);
      expect(shm.name).not.toContain('/');
      expect(shmExists(shm.name)).toBe(true);
      names.add(shm.name);
    }
    expect(names.size).toBe(50);
  });

  test('a generated name can be opened by another handle', () => {
    const a = keep(SharedMemory.create({ size: 64 }), true);
    const b = keep(SharedMemory.open(a.name));
    a.buffer[3] = 42;
    expect(b.buffer[3]).toBe(42);
  });

  test.each([1, 7, 4096, 4097, 65536, 1 << 20])('size %i is exact, for the creator and for open()', (size) => {
    const name = uniqueName();
    const shm = keep(SharedMemory.create({ name, size }));
    expect(shm.size).toBe(size);
    expect(shm.buffer.length).toBe(size);
    expect(shm.buffer.byteLength).toBe(size);
    expect(fs.statSync(`/dev/shm/${name}`).size).toBe(size);
    const other = keep(SharedMemory.open(name));
    expect(other.size).toBe(size);
    expect(other.buffer.length).toBe(size);
  });

  test('memory is zero-filled', () => {
    const size = 256 * 1024 + 3;
    const shm = keep(SharedMemory.create({ name: uniqueName(), size }));
    const buf = shm.buffer;
    let nonZero = 0;
    for (let i = 0; i < size; i++) if (buf[i] !== 0) nonZero++;
    expect(nonZero).toBe(0);
  });

  test('a name of exactly 255 bytes is accepted', () => {
    const base = uniqueName();
    const name = base + 'x'.repeat(255 - base.length);
    try {
      const shm = keep(SharedMemory.create({ name, size: 8 }));
      expect(shm.name).toBe(name);
      expect(shmExists(name)).toBe(true);
    } finally {
      try {
        SharedMemory.unlink(name);
      } catch {
        // not created
      }
    }
  });

  test('a name with non-ASCII characters works', () => {
    const name = `${uniqueName()}_é日本`;
    try {
      const shm = keep(SharedMemory.create({ name, size: 8 }));
      expect(shm.name).toBe(name);
      expect(shmExists(name)).toBe(true);
      shm.buffer[0] = 9;
      expect(keep(SharedMemory.open(name)).buffer[0]).toBe(9);
    } finally {
      try {
        SharedMemory.unlink(name);
      } catch {
        // not created
      }
    }
  });
});

describe('buffer', () => {
  test('is the same Buffer object on every access', () => {
    const shm = keep(SharedMemory.create({ name: uniqueName(), size: 32 }));
    const first = shm.buffer;
    expect(Buffer.isBuffer(first)).toBe(true);
    expect(shm.buffer).toBe(first);
    expect(shm.buffer).toBe(shm.buffer);
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(32);
  });

  test('is zero-copy: writes through one handle are read through another', () => {
    const name = uniqueName();
    const a = keep(SharedMemory.create({ name, size: 8192 }));
    const b = keep(SharedMemory.open(name));
    expect(b.buffer).not.toBe(a.buffer);

    a.buffer.write('hello from a', 0, 'utf8');
    expect(b.buffer.toString('utf8', 0, 12)).toBe('hello from a');

    b.buffer.writeUInt32LE(0xdeadbeef, 4096);
    expect(a.buffer.readUInt32LE(4096)).toBe(0xdeadbeef);

    // Typed-array views over the underlying ArrayBuffers alias too.
    const ia = new Int32Array(a.buffer.buffer, 4100, 4);
    const ib = new Int32Array(b.buffer.buffer, 4100, 4);
    ia[2] = -123456;
    expect(ib[2]).toBe(-123456);
    Atomics.add(ib, 0, 5);
    expect(Atomics.load(ia, 0)).toBe(5);

    // Last byte.
    a.buffer[8191] = 0x7f;
    expect(b.buffer[8191]).toBe(0x7f);
  });

  test('a second open() of the same name in the same process also aliases', () => {
    const name = uniqueName();
    keep(SharedMemory.create({ name, size: 16 }));
    const b = keep(SharedMemory.open(name));
    const c = keep(SharedMemory.open(name));
    b.buffer.fill(0xab);
    expect([...c.buffer]).toEqual(new Array(16).fill(0xab));
  });
});

describe('mode', () => {
  test('defaults to 0o600', () => {
    const name = uniqueName();
    keep(SharedMemory.create({ name, size: 8 }));
    expect(modeOf(name)).toBe(0o600);
  });

  test.each([0o644, 0o640, 0o666, 0o400, 0o777, 0].map((m) => [m.toString(8), m]))('custom mode 0o%s is applied, subject to the umask', (_, mode) => {
    const name = uniqueName();
    keep(SharedMemory.create({ name, size: 8, mode }));
    expect(modeOf(name)).toBe(mode & ~currentUmask() & 0o777);
  });
});

describe('unlink', () => {
  test('removes the name but keeps the mapping usable until close()', () => {
    const name = uniqueName();
    const a = keep(SharedMemory.create({ name, size: 4096 }));
    const b = keep(SharedMemory.open(name));
    a.buffer.write('before');
    a.unlink();
    expect(shmExists(name)).toBe(false);
    expect(a.closed).toBe(false);
    expect(a.buffer.length).toBe(4096);
    expect(a.buffer.toString('utf8', 0, 6)).toBe('before');
    a.buffer.write('after!', 10);
    expect(b.buffer.toString('utf8', 10, 16)).toBe('after!');
    b.buffer[100] = 1;
    expect(a.buffer[100]).toBe(1);
    expect(thrown(() => SharedMemory.open(name)).code).toBe('ENOENT');
  });

  test('the name can be reused for a new, separate segment after unlink', () => {
    const name = uniqueName();
    const a = keep(SharedMemory.create({ name, size: 16 }));
    a.buffer[0] = 1;
    a.unlink();
    const b = keep(SharedMemory.create({ name, size: 32 }));
    expect(b.size).toBe(32);
    expect(b.buffer[0]).toBe(0);
    b.buffer[0] = 2;
    expect(a.buffer[0]).toBe(1);
  });

  test('works after close()', () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 16 });
    shm.close();
    expect(shmExists(name)).toBe(true);
    shm.unlink();
    expect(shmExists(name)).toBe(false);
  });

  test('static SharedMemory.unlink(name) removes the name', () => {
    const name = uniqueName();
    keep(SharedMemory.create({ name, size: 16 }));
    SharedMemory.unlink(name);
    expect(shmExists(name)).toBe(false);
  });

  test('twice fails with ENOENT', () => {
    const name = uniqueName();
    const shm = keep(SharedMemory.create({ name, size: 16 }));
    shm.unlink();
    const err = thrown(() => shm.unlink());
    expect(err).toBeInstanceOf(Error);
    expect(err.code).toBe('ENOENT');
    expect(err.syscall).toBe('shm_unlink');
    expect(err.path).toBe(`/${name}`);
    expect(thrown(() => SharedMemory.unlink(name)).code).toBe('ENOENT');
  });
});

describe('close', () => {
  test('is idempotent', () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 16 });
    shm.close();
    expect(shm.closed).toBe(true);
    expect(() => shm.close()).not.toThrow();
    expect(() => shm.close()).not.toThrow();
    expect(shm.closed).toBe(true);
    expect(shm.buffer.length).toBe(0);
  });

  test('never removes the name; the data persists for the next open()', () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 64 });
    shm.buffer.write('persisted');
    shm.close();
    shm.close();
    expect(shmExists(name)).toBe(true);
    const again = keep(SharedMemory.open(name));
    expect(again.size).toBe(64);
    expect(again.buffer.toString('utf8', 0, 9)).toBe('persisted');
  });

  test('closing one handle leaves other handles to the same segment working', () => {
    const name = uniqueName();
    const a = SharedMemory.create({ name, size: 64 });
    const b = keep(SharedMemory.open(name));
    a.close();
    expect(a.buffer.length).toBe(0);
    expect(b.closed).toBe(false);
    b.buffer[1] = 77;
    expect(b.buffer[1]).toBe(77);
  });

  test('close() after unlink() frees the last reference without error', () => {
    const name = uniqueName();
    const a = SharedMemory.create({ name, size: 64 });
    a.unlink();
    expect(() => a.close()).not.toThrow();
    expect(a.closed).toBe(true);
    expect(shmExists(name)).toBe(false);
  });
});
