// Mapping between user-facing names and OS object names, and name generation.
import { randomFillSync } from 'node:crypto';

/**
 * POSIX object names carry a leading '/', so `open('jobs')` attaches to what
 * Python's `SharedMemory(name='jobs')` created. Windows uses names as given.
 */
export function osName(name: string): string {
  return process.platform === 'win32' ? name : `/${name}`;
}

let counter = 0;
const pid36 = process.pid.toString(36);
// Random bytes are drawn in batches: a crypto call per name cost about 10% of
// a create+close+unlink cycle.
const pool = new Uint32Array(64);
let poolIndex = pool.length;

/** A fresh name: unique per process and call, random across processes, <= 30 characters. */
export function generateName(prefix: string): string {
  if (poolIndex === pool.length) {
    randomFillSync(pool);
    poolIndex = 0;
  }
  counter = (counter + 1) % 0x1000000;
  const random = pool[poolIndex++].toString(16).padStart(8, '0');
  return `${prefix}${pid36}_${counter.toString(36)}_${random}`;
}
