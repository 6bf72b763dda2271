// Loads the native addon: build/Release when compiled here, else the prebuild
// for this platform (node-gyp-build). The only untyped boundary of the package.
import * as path from 'node:path';

import { systemError } from './errors';

export interface NativeBinding {
  setErrorFactory(factory: typeof systemError): void;
  /** A Buffer over the whole new mapping; its ArrayBuffer is the native handle. */
  shmCreate(osName: string, size: number, mode: number): Buffer;
  shmOpen(osName: string): Buffer;
  /** Detaches the mapping's ArrayBuffer and unmaps it when nothing else uses it. */
  shmClose(handle: ArrayBuffer): void;
  shmUnlink(osName: string): void;
  semCreate(osName: string, value: number, mode: number): unknown;
  semOpen(osName: string): unknown;
  semUnlink(osName: string): void;
  semPost(handle: unknown): void;
  semTryWait(handle: unknown): boolean;
  semWaitSync(handle: unknown, timeoutMs: number): boolean;
  semWaitAsync(handle: unknown, timeoutMs: number, callback: (err: Error | null, acquired?: boolean) => void): unknown;
  semClose(handle: unknown): void;
  /** The calling thread's id and tag, and its process's domain (src-native/owner.h). */
  threadIdentity(): [tid: number, tag: number, domain: number];
  /** Linux only (shmem prune): removes the file if the kernel proves nobody has it open or mapped. */
  unlinkIfUnused?(
    path: string,
    major: number,
    minor: number,
    ino: number,
    dryRun: boolean,
    leaseOptional: boolean,
  ): 'removed' | 'in-use' | 'changed';
  /** Linux only: whether a write lease also sees files open only for reading. */
  leasesSeeReaders?(dir: string): boolean;
  /** 0 acquired, 1 acquired from a dead holder, 2 timed out / held */
  mutexLock(shm: unknown, offset: number, tid: number, tag: number, timeoutMs: number): 0 | 1 | 2;
  mutexTryLock(shm: unknown, offset: number, tid: number, tag: number): 0 | 1 | 2;
  mutexWake(shm: unknown, offset: number): void;
  mutexLockAsync(
    shm: unknown,
    offset: number,
    tid: number,
    tag: number,
    timeoutMs: number,
    callback: (err: Error | null, result?: 0 | 1 | 2) => void,
  ): unknown;
  /** 0 ok, 1 not-equal, 2 timed-out */
  futexWait(shm: unknown, byteOffset: number, value: number, timeoutMs: number, spinUs: number): 0 | 1 | 2;
  futexWaitAsync(
    shm: unknown,
    byteOffset: number,
    value: number,
    timeoutMs: number,
    callback: (err: Error | null, result?: 0 | 1 | 2) => void,
  ): unknown;
  futexWake(shm: unknown, byteOffset: number, count: number): number;
  /** unlinkOnExit (kind 0: segment, 1: semaphore): register, forget, run now. */
  exitUnlinkAdd(kind: number, osName: string): void;
  exitUnlinkForget(kind: number, osName: string): void;
  exitUnlinkRun(): void;
  /** Cancels a pending semWaitAsync / mutexLockAsync / futexWaitAsync: true if it had not settled. */
  cancelWait(request: unknown): boolean;
}

function load(): NativeBinding {
  const root = path.join(__dirname, '..');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('node-gyp-build')(root) as NativeBinding;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `shmem: could not load the native addon for ${process.platform}-${process.arch} (Node ${process.version}).\n` +
        `${why}\n` +
        'Possible solutions:\n' +
        '- Reinstall so that the prebuild for this platform is used: npm install shmem\n' +
        '- Or build from source (needs python3, make and a C++ compiler): npm rebuild shmem\n' +
        '- shmem needs Node.js itself; Electron and other runtimes that forbid external buffers are not supported.',
      { cause: err },
    );
  }
}

export const native: NativeBinding = load();
native.setErrorFactory(systemError);
