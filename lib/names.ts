// Mapping between user-facing names and OS object names, and name generation.
import { randomBytes } from 'node:crypto';

/**
 * POSIX object names carry a leading '/', so `open('jobs')` attaches to what
 * Python's `SharedMemory(name='jobs')` created. Windows uses names as given.
 */
export function osName(name: string): string {
  return process.platform === 'win32' ? name : `/${name}`;
}

let counter = 0;

/** A fresh name: unique per process and call, random across processes, <= 30 characters. */
export function generateName(prefix: string): string {
  counter = (counter + 1) % 0x1000000;
  return `${prefix}${process.pid.toString(36)}_${counter.toString(36)}_${randomBytes(4).toString('hex')}`;
}
