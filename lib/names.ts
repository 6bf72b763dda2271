// Mapping between user-facing names and OS object names, and name generation.
import { randomFillSync } from 'node:crypto';
import { isSystemError } from './errors';

// Read once: process.platform is a getter, and osName runs twice per create+unlink.
const isWindows = process.platform === 'win32';

/**
 * POSIX object names carry a leading '/', so `open('jobs')` attaches to what
 * Python's `SharedMemory(name='jobs')` created. Windows uses names as given.
 */
export function osName(name: string): string {
  return isWindows ? name : `/${name}`;
}

// A generated name is a stem and a counter. The stem holds the pid and a
// random tag drawn once per thread: worker threads share the pid, a reused
// pid draws a new tag, and create() takes the next counter on EEXIST anyway.
// Randomness per name (a crypto draw, then hex digits) was 0.3 µs of a
// 20 µs create+close+unlink cycle, for nothing the tag does not give.
const tag = randomFillSync(new Uint32Array(1))[0].toString(16).padStart(8, '0');
const stems = new Map<string, string>();
let counter = 0;

/** A fresh name: unique per thread and call, random across processes, <= 30 characters. */
export function generateName(prefix: string): string {
  let stem = stems.get(prefix);
  // prefix (4) + pid (<= 5 in base 36: pid_max is 2^22) + '_' + tag (8) + '_' + counter (<= 8) = 27 at most.
  if (stem === undefined) stems.set(prefix, (stem = `${prefix}${process.pid.toString(36)}_${tag}_`));
  counter = (counter + 1) & 0xffffff;
  return stem + counter;
}

/**
 * Makes an object with `make(name)`: under `name` if one was given (already
 * validated), else under a generated name, taking the next one while the
 * system answers EEXIST (a name left by an earlier process with this pid).
 */
export function createUnderName<T>(name: string | undefined, prefix: string, make: (name: string) => T): T {
  if (name !== undefined) return make(name);
  for (;;) {
    try {
      return make(generateName(prefix));
    } catch (err) {
      if (!isSystemError(err, 'EEXIST')) throw err;
    }
  }
}
