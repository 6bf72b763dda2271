/**
 * Real operating-system shared memory for Node.js.
 *
 * - {@link SharedMemory}: named segments that any process can attach to by
 *   name, handed out as zero-copy `Buffer`s (also shared with Python's
 *   `multiprocessing.shared_memory`).
 * - {@link Mutex}: a fast lock that lives inside a segment and survives a
 *   killed holder ({@link Mutex.ownerDied}).
 * - {@link wait}, {@link waitAsync} and {@link notify}: `Atomics.wait` and
 *   `Atomics.notify` across processes, on `Int32Array`s over a segment.
 * - {@link Semaphore}: named counting semaphores (`sem_open`).
 * - {@link Channel}: a message queue in a segment, between any processes and
 *   worker threads, that loses nothing to a killed peer.
 * - {@link Struct}: C-compatible layouts, as live typed fields over a segment.
 * - {@link ShareableList}: Python's `ShareableList`, byte for byte.
 * - {@link attach}: opens the handles that travelled in a message.
 *
 * This reference documents each symbol. What concerns several at once (the
 * error model: {@link SystemError}, {@link isSystemError}, {@link AbortError};
 * lifetimes: `close()` versus `unlink()`; how handles travel; the Channel's
 * guarantees; which lock to use) is in the API guide, docs/api.md.
 *
 * @example
 * ```ts
 * // The parent creates a segment with a Mutex in its first 16 bytes.
 * const shm = SharedMemory.create({ name: 'jobs', size: 4096, unlinkOnExit: true });
 * const m = Mutex.create(shm, 0);
 * // A child process (child_process.fork) or worker thread attaches by name.
 * using child = SharedMemory.open('jobs');
 * Mutex.attach(child, 0).withLockSync(() => child.buffer.writeUInt32LE(42, 16));
 * // The parent, once the child is done:
 * console.log(m.withLockSync(() => shm.buffer.readUInt32LE(16))); // 42
 * shm.close();
 * ```
 *
 * @packageDocumentation
 */
export { SharedMemory } from './shared-memory';
export type { SharedMemoryCreateOptions } from './shared-memory';
export { Semaphore } from './semaphore';
export type { SemaphoreCreateOptions, SemaphoreWaitOptions } from './semaphore';
export { Mutex } from './mutex';
export type { MutexLockOptions } from './mutex';
export { wait, waitAsync, notify } from './wait';
export type { WaitOptions, WaitResult } from './wait';
export { AbortError, isSystemError } from './errors';
export type { SystemError } from './errors';
export { Channel } from './channel';
export type { ChannelCreateOptions, ChannelWaitOptions } from './channel';
export { Struct, StructLayout } from './struct';
export type {
  StructArrayOf,
  StructDescription,
  StructFieldInfo,
  StructFields,
  StructFieldsObject,
  StructFieldType,
  StructFieldValue,
  StructHandleJSON,
  StructLayoutDescription,
  StructNumericType,
  StructOptions,
  StructScalarType,
  StructSettable,
  StructView,
  StructViewBase,
} from './struct';
export { ShareableList } from './shareable-list';
export type { ShareableListCreateOptions, ShareableListDescription, ShareableListJSON, ShareableValue } from './shareable-list';
export { attach } from './attach';
export type { ChannelDescription, HandleJSON, MutexDescription, SemaphoreDescription, SharedMemoryDescription } from './handle-description';
