// Layout of the segment that `shmem race` shares between its processes.
//
//   [0, 8)             the counter (1 byte, or 8 bytes little-endian)
//   [64, 80)           the Mutex, for --lock mutex (its own cache line)
//   [128 + 64·i, +8)   progress of child i (a float64 its owner alone writes),
//                      a cache line each so that progress stores do not slow
//                      down the counter's line
export const COUNTER_OFFSET = 0;
export const MUTEX_OFFSET = 64;
export const PROGRESS_OFFSET = 128;
export const PROGRESS_STRIDE = 64;

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
