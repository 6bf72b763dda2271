// Mapping between user-facing names and OS object names, and name generation.
import { randomFillSync } from 'node:crypto';

// Read once: process.platform is a getter, and osName runs twice per create+unlink.
const isWindows = process.platform === 'win32';

/**
 * POSIX object names carry a leading '/', so `open('jobs')` attaches to what
 * Python's `SharedMemory(name='jobs')` created. Windows uses names as given.
 */
export function osName(name: string): string {
  return isWindows ? name : `/${name}`;
}

let counter = 0;
const pid36 = process.pid.toString(36);
// Random bytes are drawn in batches: a crypto call per name cost about 10% of
// a create+close+unlink cycle.
const pool = new Uint32Array(64);
let poolIndex = pool.length;
// Hex digits by table: Number#toString(16) and (36) take V8's generic radix
// conversion (fmod per digit), which made a name cost 0.4 µs.
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A fresh name: unique per process and call, random across processes, <= 30 characters. */
export function generateName(prefix: string): string {
  if (poolIndex === pool.length) {
    randomFillSync(pool);
    poolIndex = 0;
  }
  counter = (counter + 1) & 0xffffff;
  const r = pool[poolIndex++];
  // prefix (4) + pid (<= 5: pid_max is 2^22) + "_" + counter (<= 8) + "_" + 8 = 27 at most.
  return `${prefix}${pid36}_${counter}_${HEX[r >>> 24]}${HEX[(r >>> 16) & 255]}${HEX[(r >>> 8) & 255]}${HEX[r & 255]}`;
}
