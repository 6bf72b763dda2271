// The article's experiment with real processes: a parent creates a segment,
// forks children that attach BY NAME and race to increment a counter.
import { cleanupNames, killChildren } from './helpers';
import { runRace } from './race-helpers';

afterEach(() => {
  killChildren();
  cleanupNames();
});

describe('counter race between processes', () => {
  test('byte counter, semaphore (waitSync/post): 1 + 2 × 127 = 255', async () => {
    const { final, expected } = await runRace({ procs: 2, iterations: 127, sleep: 1, lock: 'semaphore', width: 1 });
    expect(expected).toBe(255n);
    expect(final).toBe(255n);
  });

  test('byte counter wraps mod 256: 1 + 2 × 200 → 145', async () => {
    const { final, expected } = await runRace({ procs: 2, iterations: 200, sleep: 0, lock: 'semaphore', width: 1 });
    expect(expected).toBe(145n);
    expect(final).toBe(145n);
  });

  test('8-byte little-endian counter, semaphore (waitSync/post): 1 + 2 × 1000 = 2001', async () => {
    const { final, expected } = await runRace({ procs: 2, iterations: 1000, sleep: 0, lock: 'semaphore', width: 8 });
    expect(expected).toBe(2001n);
    expect(final).toBe(2001n);
  });

  test('8-byte counter, semaphore with the async wait()/post: exact', async () => {
    const { final, expected } = await runRace({ procs: 2, iterations: 300, sleep: 0, lock: 'semaphore-async', width: 8 });
    expect(expected).toBe(601n);
    expect(final).toBe(601n);
  });

  test('4 processes with the semaphore: exact', async () => {
    const { final, expected } = await runRace({ procs: 4, iterations: 500, sleep: 0, lock: 'semaphore', width: 8 });
    expect(expected).toBe(2001n);
    expect(final).toBe(2001n);
  });

  test('no lock: updates may be lost, never invented (final <= expected)', async () => {
    const { final, expected } = await runRace({ procs: 2, iterations: 127, sleep: 1, lock: 'none', width: 1 });
    expect(expected).toBe(255n);
    expect(final).toBeLessThanOrEqual(expected);
    expect(final).toBeGreaterThanOrEqual(1n);
  });

  test('no lock, 8-byte counter: the race runs to the end', async () => {
    // Not final <= expected: without a lock a process may read the 8 bytes while
    // another is writing them (one byte at a time, as int.to_bytes does), and a
    // value half old, half new can be larger than either (0x00ff -> 0x0100 read as 0x01ff).
    const { final, expected } = await runRace({ procs: 2, iterations: 1000, sleep: 0, lock: 'none', width: 8 });
    expect(expected).toBe(2001n);
    expect(final).toBeGreaterThanOrEqual(1n);
  });

  test('Atomics.add on a BigInt64Array over the segment: exact', async () => {
    const { final, expected } = await runRace({ procs: 2, iterations: 1000, sleep: 0, lock: 'atomic', width: 8 });
    expect(final).toBe(expected);
    expect(final).toBe(2001n);
  });

  test('Atomics.add on a Uint8Array over the segment (byte counter): exact', async () => {
    const { final, expected } = await runRace({ procs: 2, iterations: 127, sleep: 0, lock: 'atomic', width: 1 });
    expect(final).toBe(255n);
    expect(final).toBe(expected);
  });

  test('Atomics.add with 4 processes, many increments: exact', async () => {
    const { final, expected } = await runRace({ procs: 4, iterations: 50000, sleep: 0, lock: 'atomic', width: 8 });
    expect(final).toBe(expected);
    expect(final).toBe(200001n);
  });
});
