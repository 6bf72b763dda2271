// Helpers for the semaphore and counter-race tests (see test/helpers.ts for names and children).
import { ChildProcess } from 'node:child_process';

import { Semaphore, SharedMemory } from '..';
import { forkFixture, onceExit, onceMessage, uniqueName } from './helpers';

/** Settles `p` into a plain record, so a test can inspect rejections without unhandled-rejection noise. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: any };
export function settle<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error) => ({ ok: false as const, error }),
  );
}

/** Tracks whether a promise has settled yet (synchronously readable). */
export function track<T>(p: Promise<T>): { promise: Promise<Outcome<T>>; settled: () => boolean } {
  let done = false;
  const promise = settle(p).then((o) => {
    done = true;
    return o;
  });
  return { promise, settled: () => done };
}

/** Takes every unit that is free right now with tryWait() and returns how many there were. */
export function drain(sem: Semaphore): number {
  let n = 0;
  while (sem.tryWait()) n++;
  return n;
}

/** Lets pending I/O callbacks and immediates run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Waits for the child to exit and asserts it exited with code 0 on its own. */
export async function expectCleanExit(child: ChildProcess): Promise<void> {
  const { code, signal } = await onceExit(child);
  expect({ code, signal }).toEqual({ code: 0, signal: null });
}

export type Lock = 'semaphore' | 'semaphore-async' | 'none' | 'atomic';

export interface RaceOptions {
  procs: number;
  iterations: number;
  /** ms slept between read and write (or after the atomic add). */
  sleep: number;
  lock: Lock;
  width: 1 | 8;
  /** Initial counter value (the article's is 1). */
  initial?: number;
}

export interface RaceResult {
  final: bigint;
  expected: bigint;
}

/**
 * The article's experiment: the parent creates the segment (and a semaphore
 * of value 1 unless lock is 'none'/'atomic'), seeds the counter, forks
 * `procs` counter-child.js processes that attach BY NAME, releases them all
 * at once and reads the counter after every child has exited with code 0.
 */
export async function runRace(opts: RaceOptions): Promise<RaceResult> {
  const initial = BigInt(opts.initial ?? 1);
  const shmName = uniqueName('shm');
  const useSem = opts.lock === 'semaphore' || opts.lock === 'semaphore-async';
  const semName = useSem ? uniqueName('sem') : undefined;

  const shm = SharedMemory.create({ name: shmName, size: 64 });
  const sem = semName ? Semaphore.create({ name: semName, value: 1 }) : undefined;
  try {
    if (opts.width === 1) shm.buffer.writeUInt8(Number(initial & 0xffn), 0);
    else shm.buffer.writeBigUInt64LE(initial, 0);

    const cfg = JSON.stringify({
      shm: shmName,
      sem: semName,
      iterations: opts.iterations,
      sleep: opts.sleep,
      lock: opts.lock,
      width: opts.width,
    });
    const children = Array.from({ length: opts.procs }, () => forkFixture('counter-child.js', [cfg]));
    const exits = children.map((c) => onceExit(c));
    await Promise.all(children.map((c) => onceMessage(c, (m) => m.type === 'ready')));
    const reports = children.map((c) => onceMessage(c, (m) => m.type === 'done' || m.type === 'error'));
    for (const c of children) c.send({ type: 'go' });

    const results = await Promise.all(reports);
    for (const r of results) expect(r).toMatchObject({ type: 'done', iterations: opts.iterations });
    for (const e of await Promise.all(exits)) expect(e).toEqual({ code: 0, signal: null });

    // The lock is free again and nothing else holds a unit.
    if (sem) {
      expect(sem.tryWait()).toBe(true);
      expect(sem.tryWait()).toBe(false);
    }

    const final = opts.width === 1 ? BigInt(shm.buffer.readUInt8(0)) : shm.buffer.readBigUInt64LE(0);
    const total = initial + BigInt(opts.procs * opts.iterations);
    const expected = opts.width === 1 ? total % 256n : total;
    // The bytes after the counter were not touched.
    expect(shm.buffer.subarray(opts.width, 64).every((b) => b === 0)).toBe(true);
    return { final, expected };
  } finally {
    sem?.close();
    shm.close();
  }
}
