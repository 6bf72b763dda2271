// wait / waitAsync / notify: the cross-process twins of Atomics.wait,
// Atomics.waitAsync and Atomics.notify, for Int32Arrays over a SharedMemory.
// (V8 keeps Atomics' wait lists inside one process, and does not allow them
// on memory that is not a SharedArrayBuffer.)
import { native } from './binding';
import { closedError, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { pendingWait } from './pending-wait';
import { nativeHandle, onClose, SharedMemory, sharedMemoryOf } from './shared-memory';
import { validateTimeout } from './validators';

/**
 * The result of a wait, as with `Atomics.wait`: `'ok'` when woken by
 * {@link notify}, `'not-equal'` when the word did not hold the expected
 * value, `'timed-out'` when the timeout passed.
 */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** Extra options for {@link wait}. */
export interface WaitOptions {
  /**
   * Microseconds to spin watching the word before sleeping in the kernel
   * (default 0: no spin unless asked, as `Atomics.wait`). A notifier that
   * follows within that time is seen at once, without the kernel's sleep
   * and wake (a sub-microsecond wake-up from another core); the cost is a
   * busy core meanwhile.
   */
  spin?: number;
}

const RESULTS: readonly WaitResult[] = ['ok', 'not-equal', 'timed-out'];

function target(view: unknown, index: unknown, syscall: string): { shm: SharedMemory; byteOffset: number } {
  if (!(view instanceof Int32Array)) throw invalidArgType('view', 'an instance of Int32Array', view);
  const shm = sharedMemoryOf(view.buffer);
  if (!shm) {
    throw invalidArgValue('view', 'Int32Array', 'must be a view over a SharedMemory buffer (for a SharedArrayBuffer, use Atomics)');
  }
  if (shm.closed) throw closedError('shared memory', syscall);
  if (typeof index !== 'number') throw invalidArgType('index', 'of type number', index);
  if (!Number.isInteger(index) || index < 0 || index >= view.length) {
    throw outOfRange('index', `an integer >= 0 and < ${view.length}`, index);
  }
  return { shm, byteOffset: view.byteOffset + index * 4 };
}

function int32(value: unknown): number {
  if (typeof value !== 'number') throw invalidArgType('value', 'of type number', value);
  return value | 0;
}

/**
 * Sleeps while `view[index] === value`, until another thread or process calls
 * {@link notify} on the same word, or `timeoutMs` passes (default: forever).
 * Blocks this thread. Returns `'not-equal'` at once if the word differs.
 *
 * The cross-process twin of `Atomics.wait`, which does not work on this
 * memory (V8 keeps its wait lists inside one process, and only for
 * `SharedArrayBuffer`s). `view` is an `Int32Array` over a
 * {@link SharedMemory}'s buffer.
 *
 * @throws `ERR_INVALID_ARG_TYPE` if `view` is not an `Int32Array`;
 * `ERR_INVALID_ARG_VALUE` if it is not over a SharedMemory's buffer;
 * `ERR_OUT_OF_RANGE` for a bad index, timeout or spin; `EBADF` if the
 * segment is closed.
 *
 * @example
 * ```ts
 * declare const shm: SharedMemory;
 * const words = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, 2);
 * // Consumer: sleep until word 0 leaves 0 (the loop checks again after every wake-up).
 * while (Atomics.load(words, 0) === 0) wait(words, 0, 0);
 * // Producer, in another process: store, then notify.
 * Atomics.store(words, 0, 1);
 * notify(words, 0);
 * ```
 */
export function wait(view: Int32Array, index: number, value: number, timeoutMs?: number, options?: WaitOptions): WaitResult {
  const { shm, byteOffset } = target(view, index, 'futex_wait');
  const v = int32(value);
  const timeout = validateTimeout(timeoutMs, 'timeoutMs');
  let spin = 0;
  if (options !== undefined) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    if (options.spin !== undefined) {
      if (typeof options.spin !== 'number') throw invalidArgType('options.spin', 'of type number', options.spin);
      if (!(options.spin >= 0) || !Number.isFinite(options.spin)) throw outOfRange('options.spin', 'a finite number >= 0', options.spin);
      spin = options.spin;
    }
  }
  return RESULTS[native.futexWait(nativeHandle(shm, 'futex_wait'), byteOffset, v, timeout, spin)];
}

/**
 * Like {@link wait}, without blocking the event loop or the libuv threadpool.
 *
 * The value is compared at the call, as `Atomics.waitAsync` does. The wait is
 * handed to a waiting thread, which registers with the kernel a moment later:
 * a `notify()` in that window is not lost if it comes with a change of the
 * value (the usual pattern: store, then notify), since the thread then sees
 * the change and resolves `'ok'`. On Linux 6.7+ the kernel itself waits,
 * through an `io_uring` the event loop polls. Closing the segment meanwhile
 * rejects with `EBADF`; argument errors reject as {@link wait} throws. A
 * pending wait keeps the process alive, like a timer.
 *
 * @example
 * ```ts
 * declare const words: Int32Array; // over a SharedMemory's buffer
 * const result = await waitAsync(words, 0, 0, 5000);
 * if (result === 'timed-out') console.log('no notify within 5 s');
 * ```
 */
export function waitAsync(view: Int32Array, index: number, value: number, timeoutMs?: number): Promise<WaitResult> {
  try {
    const { shm, byteOffset } = target(view, index, 'futex_wait');
    const v = int32(value);
    const timeout = validateTimeout(timeoutMs, 'timeoutMs');
    if (Atomics.load(view, index) !== v) return Promise.resolve('not-equal');
    if (timeout === 0) return Promise.resolve('timed-out');
    const handle = nativeHandle(shm, 'futex_wait');
    // Closing the segment settles the wait before the memory goes away.
    return pendingWait<0 | 1 | 2, WaitResult>(
      (callback) => native.futexWaitAsync(handle, byteOffset, v, timeout, callback),
      (result) => RESULTS[result],
      undefined,
      (cancel) => onClose(shm, () => cancel(closedError('shared memory', 'futex_wait'))),
    );
  } catch (err) {
    return Promise.reject(err);
  }
}

/**
 * Wakes up to `count` (default: all) threads that wait on `view[index]`, in
 * every process. Returns how many were woken (0 on macOS before 14.4, where
 * waiters poll the word and are not counted). `count` 0 wakes nobody, as
 * with `Atomics.notify` (the kernel's `FUTEX_WAKE` would wake one).
 *
 * @throws The same argument errors as {@link wait}; `ERR_OUT_OF_RANGE` for a
 * negative or NaN count.
 *
 * @example
 * ```ts
 * declare const words: Int32Array; // over a SharedMemory's buffer
 * Atomics.store(words, 0, 1);     // change the word first, so no waiter misses it
 * const woken = notify(words, 0); // all waiters; notify(words, 0, 1) wakes one
 * ```
 */
export function notify(view: Int32Array, index: number, count?: number): number {
  const { shm, byteOffset } = target(view, index, 'futex_wake');
  let n = Infinity;
  if (count !== undefined) {
    if (typeof count !== 'number') throw invalidArgType('count', 'of type number', count);
    if (Number.isNaN(count) || count < 0) throw outOfRange('count', 'a number >= 0', count);
    n = Math.floor(count);
  }
  const handle = nativeHandle(shm, 'futex_wake');
  // The kernel's FUTEX_WAKE treats 0 as 1; Atomics.notify(…, 0) wakes nobody.
  if (n === 0) return 0;
  return native.futexWake(handle, byteOffset, n);
}
