// Many create/open/close/unlink cycles leave nothing behind: no name in
// /dev/shm, no file descriptor, no mapping.
import { Semaphore, SharedMemory } from '..';
import { cleanupNames, killChildren, openFds, semExists, shmExists, uniqueName } from './helpers';
import { fdTargets, mapsLines, ownShmEntries, shmFds } from './shm-helpers';

afterEach(() => {
  cleanupNames();
  killChildren();
});

const pidTag = `t${process.pid.toString(36)}_`;

/**
 * openFds() once it is no more than `before`, given a few chances: the test
 * runner may hold a descriptor of its own for a moment (seen at either end of
 * a test). A descriptor leaked per cycle would stay, by the thousand.
 */
async function fdsAfter(before: number): Promise<number> {
  let n = openFds();
  for (let i = 0; i < 20 && n > before; i++) {
    await new Promise((r) => setTimeout(r, 50));
    n = openFds();
  }
  if (n > before) console.log('descriptors now:', fdTargets()); // shown only on failure
  return n;
}

describe('SharedMemory', () => {
  test('10,000 create / close / unlink cycles', async () => {
    const entriesBefore = ownShmEntries();
    const fdsBefore = openFds();
    for (let i = 0; i < 10_000; i++) {
      const name = uniqueName();
      const shm = SharedMemory.create({ name, size: 4096 });
      shm.buffer[0] = i & 255;
      shm.close();
      shm.unlink();
    }
    expect(await fdsAfter(fdsBefore)).toBeLessThanOrEqual(fdsBefore);
    expect(shmFds()).toEqual([]);
    expect(ownShmEntries()).toEqual(entriesBefore);
    expect(mapsLines(`/dev/shm/${pidTag}`)).toEqual([]);
  });

  test('10,000 create / unlink / close cycles (unlink first)', async () => {
    const entriesBefore = ownShmEntries();
    const fdsBefore = openFds();
    for (let i = 0; i < 10_000; i++) {
      const name = uniqueName();
      const shm = SharedMemory.create({ name, size: 4096 });
      shm.unlink();
      shm.buffer[4095] = 1;
      shm.close();
    }
    expect(await fdsAfter(fdsBefore)).toBeLessThanOrEqual(fdsBefore);
    expect(shmFds()).toEqual([]);
    expect(ownShmEntries()).toEqual(entriesBefore);
    expect(mapsLines(`/dev/shm/${pidTag}`)).toEqual([]);
  });

  test('10,000 open / close cycles of one segment', async () => {
    const name = uniqueName();
    const creator = SharedMemory.create({ name, size: 8192 });
    creator.buffer.write('same data');
    try {
      const fdsBefore = openFds();
      for (let i = 0; i < 10_000; i++) {
        const shm = SharedMemory.open(name);
        if (i % 1000 === 0) expect(shm.buffer.toString('utf8', 0, 9)).toBe('same data');
        shm.close();
      }
      expect(await fdsAfter(fdsBefore)).toBeLessThanOrEqual(fdsBefore);
      // Only the creator's mapping is left.
      expect(mapsLines(`/dev/shm/${name}`)).toHaveLength(1);
    } finally {
      creator.close();
    }
    expect(mapsLines(`/dev/shm/${name}`)).toEqual([]);
    expect(shmExists(name)).toBe(true);
  });

  test('5,000 cycles with generated names', async () => {
    const fdsBefore = openFds();
    const names = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const shm = SharedMemory.create({ size: 64 });
      names.add(shm.name);
      shm.close();
      shm.unlink();
    }
    expect(names.size).toBe(5_000);
    expect(await fdsAfter(fdsBefore)).toBeLessThanOrEqual(fdsBefore);
    expect([...names].filter((n) => shmExists(n))).toEqual([]);
  });

  test('failed creates and opens leak nothing either (1,000 each)', async () => {
    const name = uniqueName();
    const keeper = SharedMemory.create({ name, size: 64 });
    try {
      const fdsBefore = openFds();
      for (let i = 0; i < 1_000; i++) {
        expect(() => SharedMemory.create({ name, size: 64 })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
        expect(() => SharedMemory.open(`${name}_missing`)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      }
      expect(await fdsAfter(fdsBefore)).toBeLessThanOrEqual(fdsBefore);
      expect(mapsLines(`/dev/shm/${name}`)).toHaveLength(1);
    } finally {
      keeper.close();
    }
  });
});

describe('Semaphore', () => {
  test('1,000 create / close / unlink cycles', async () => {
    const entriesBefore = ownShmEntries();
    const fdsBefore = openFds();
    const semMappingsBefore = mapsLines('/dev/shm/sem.').length;
    for (let i = 0; i < 1_000; i++) {
      const name = uniqueName('sem');
      const sem = Semaphore.create({ name, value: 1 });
      expect(sem.tryWait()).toBe(true);
      sem.post();
      sem.close();
      sem.unlink();
    }
    expect(await fdsAfter(fdsBefore)).toBeLessThanOrEqual(fdsBefore);
    expect(shmFds()).toEqual([]);
    expect(ownShmEntries()).toEqual(entriesBefore);
    expect(mapsLines('/dev/shm/sem.').length).toBe(semMappingsBefore);
  });

  test('1,000 open / close cycles of one semaphore; its value is unchanged', async () => {
    const name = uniqueName('sem');
    const creator = Semaphore.create({ name, value: 2 });
    try {
      const fdsBefore = openFds();
      for (let i = 0; i < 1_000; i++) {
        const sem = Semaphore.open(name);
        expect(sem.tryWait()).toBe(true);
        sem.post();
        sem.close();
      }
      expect(await fdsAfter(fdsBefore)).toBeLessThanOrEqual(fdsBefore);
      expect(creator.tryWait()).toBe(true);
      expect(creator.tryWait()).toBe(true);
      expect(creator.tryWait()).toBe(false);
    } finally {
      creator.close();
    }
    expect(semExists(name)).toBe(true);
  });

  test('1,000 cycles with an async wait() each: no descriptors pile up', async () => {
    const fdsBefore = openFds();
    for (let i = 0; i < 1_000; i++) {
      const sem = Semaphore.create({ name: uniqueName('sem'), value: 0 });
      const p = sem.wait();
      sem.post();
      expect(await p).toBe(true);
      sem.close();
      sem.unlink();
    }
    expect(await fdsAfter(fdsBefore)).toBeLessThanOrEqual(fdsBefore);
    expect(shmFds()).toEqual([]);
  });
});
