// `using` (explicit resource management) closes handles at block end and never unlinks.
import { Semaphore, SharedMemory } from '..';
import { cleanupNames, killChildren, semExists, shmExists, uniqueName } from './helpers';
import { rejection } from './shm-helpers';

afterEach(() => {
  cleanupNames();
  killChildren();
});

describe('SharedMemory with using', () => {
  test('is closed at the end of the block, and the name stays', () => {
    const name = uniqueName();
    let outer: SharedMemory;
    let buf: Buffer;
    {
      using shm = SharedMemory.create({ name, size: 1024 });
      outer = shm;
      buf = shm.buffer;
      shm.buffer.write('disposed?');
      expect(shm.closed).toBe(false);
    }
    expect(outer.closed).toBe(true);
    expect(outer.buffer.length).toBe(0);
    expect(buf.length).toBe(0);
    expect(shmExists(name)).toBe(true);
    using again = SharedMemory.open(name);
    expect(again.buffer.toString('utf8', 0, 9)).toBe('disposed?');
  });

  test('is closed when the block throws', () => {
    const name = uniqueName();
    let outer: SharedMemory | undefined;
    expect(() => {
      using shm = SharedMemory.create({ name, size: 64 });
      outer = shm;
      throw new Error('boom');
    }).toThrow('boom');
    expect(outer!.closed).toBe(true);
    expect(shmExists(name)).toBe(true);
  });

  test('is closed when an async function returns', async () => {
    const name = uniqueName();
    let outer: SharedMemory | undefined;
    const fn = async () => {
      using shm = SharedMemory.create({ name, size: 64 });
      outer = shm;
      await new Promise((r) => setImmediate(r));
      expect(shm.closed).toBe(false);
      return shm.size;
    };
    expect(await fn()).toBe(64);
    expect(outer!.closed).toBe(true);
    expect(shmExists(name)).toBe(true);
  });

  test('several resources in one block are all closed; an explicit close() before is fine', () => {
    const name = uniqueName();
    const handles: SharedMemory[] = [];
    {
      using a = SharedMemory.create({ name, size: 32 });
      using b = SharedMemory.open(name);
      using c = SharedMemory.open(name);
      handles.push(a, b, c);
      b.close();
      expect(b.closed).toBe(true);
    }
    expect(handles.every((h) => h.closed)).toBe(true);
    expect(shmExists(name)).toBe(true);
  });

  test('Symbol.dispose is close()', () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 8 });
    expect(typeof shm[Symbol.dispose]).toBe('function');
    shm[Symbol.dispose]();
    expect(shm.closed).toBe(true);
    shm[Symbol.dispose]();
    expect(shmExists(name)).toBe(true);
  });
});

describe('Semaphore with using', () => {
  test('is closed at the end of the block, and the name stays', () => {
    const name = uniqueName('sem');
    let outer: Semaphore;
    {
      using sem = Semaphore.create({ name, value: 2 });
      outer = sem;
      expect(sem.tryWait()).toBe(true);
    }
    expect(outer.closed).toBe(true);
    expect(() => outer.post()).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(semExists(name)).toBe(true);
    using again = Semaphore.open(name);
    expect(again.tryWait()).toBe(true); // the value persisted: 2 - 1 = 1
    expect(again.tryWait()).toBe(false);
  });

  test('is closed when the block throws', () => {
    const name = uniqueName('sem');
    let outer: Semaphore | undefined;
    expect(() => {
      using sem = Semaphore.create({ name });
      outer = sem;
      throw new Error('boom');
    }).toThrow('boom');
    expect(outer!.closed).toBe(true);
    expect(semExists(name)).toBe(true);
  });

  test('a wait() pending at block end rejects with EBADF', async () => {
    const name = uniqueName('sem');
    let pending!: Promise<boolean>;
    {
      using sem = Semaphore.create({ name, value: 0 });
      pending = sem.wait();
    }
    const err = await rejection(pending);
    expect(err.code).toBe('EBADF');
    expect(semExists(name)).toBe(true);
  });

  test('SharedMemory and Semaphore together in one block', () => {
    const shmName = uniqueName();
    const semName = uniqueName('sem');
    let pair: [SharedMemory, Semaphore];
    {
      using shm = SharedMemory.create({ name: shmName, size: 16 });
      using sem = Semaphore.create({ name: semName });
      pair = [shm, sem];
    }
    expect(pair[0].closed).toBe(true);
    expect(pair[1].closed).toBe(true);
    expect(shmExists(shmName)).toBe(true);
    expect(semExists(semName)).toBe(true);
  });
});
