// Layout of the segment that `shmem race` shares between its processes.
//
//   [0, 8)             the counter (1 byte, or 8 bytes little-endian)
//   [64, 80)           the Mutex, for --lock mutex (its own cache line)
//   [128 + 64·i, +8)   progress of child i (a float64 its owner alone writes),
//                      a cache line each so that progress stores do not slow
//                      down the counter's line
import { Struct } from '../struct';

export const COUNTER_OFFSET = 0;
export const MUTEX_OFFSET = 64;
export const PROGRESS_OFFSET = 128;
export const PROGRESS_STRIDE = 64;

// With --struct, the same bytes as a Struct: the counter and the Mutex where
// they are above, the counter read and written through a view's field.
export const RACE_STRUCT = {
  1: Struct.define({ count: 'u8', pad: 'u8[63]', lock: 'mutex' }),
  8: Struct.define({ count: 'u64', pad: 'u8[56]', lock: 'mutex' }),
} as const;

export type LockKind = 'semaphore' | 'mutex' | 'none' | 'atomic';
export const LOCK_KINDS: readonly LockKind[] = ['semaphore', 'mutex', 'none', 'atomic'];
export type Width = 1 | 8;

export interface ChildOptions {
  shm: string;
  sem?: string;
  index: number;
  iterations: number;
  sleep: number;
  lock: LockKind;
  width: Width;
  /** Increment through a Struct view (RACE_STRUCT) instead of typed arrays. */
  struct: boolean;
}

export function segmentSize(procs: number): number {
  return PROGRESS_OFFSET + PROGRESS_STRIDE * procs;
}

export function progressIndex(child: number): number {
  return (PROGRESS_OFFSET + PROGRESS_STRIDE * child) / 8;
}

/** Reads the counter as the article does (the byte, or 8 bytes little-endian). */
export function readCounter(buf: Buffer, width: Width): number {
  return width === 1 ? buf[COUNTER_OFFSET] : Number(buf.readBigUInt64LE(COUNTER_OFFSET));
}
