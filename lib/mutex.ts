import { native } from './binding';
import { AbortError, closedError, codeError, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { defineDescription, type HandleJSON, type MutexDescription } from './handle-description';
import { pendingWait } from './pending-wait';
import { nativeHandle, onClose, SharedMemory } from './shared-memory';
import { validateAbortSignal, validateOptions, validateTimeout } from './validators';

/** Options for {@link Mutex.lock}. */
export interface MutexLockOptions {
  /**
   * Give up after this many milliseconds and resolve `false`. Default: wait
   * forever (as does `Infinity`); `0` is {@link Mutex.tryLock} as a promise.
   */
  timeout?: number;
  /** Abort the wait: the promise rejects with an `AbortError` and the lock is not taken. */
  signal?: AbortSignal;
}

// Layout (see src-native/mutex_core.h): four int32 words.
const LOCK = 0; // 0 = free, else the holder's thread id | flags
const TAG = 1; // the holder's tag (a moment its thread existed), 0 while it is being set or cleared
const MAGIC_INDEX = 2; // written by create, checked by attach
const DOMAIN = 3; // the pid namespace of everyone who uses it, or MIXED
const MIXED = -1; // used from two domains (or one unknown): no holder is ever proven dead
const MAGIC = 0x5854554d; // 'MUTX'
const WAITERS = 0x40000000; // someone sleeps on the lock word
const TID_MASK = 0x1fffffff;
// How often a failing tryLock() may ask the kernel whether the holder lives.
const PROBE_INTERVAL_MS = 5;

// This thread's identity: its thread id, and a tag (a moment at which it
// existed) so that a reused thread id is never taken for the dead holder; and
// the domain in which such ids mean something (the pid namespace). Module
// state is per thread (each worker loads its own copy); set before the first
// Mutex exists, so the fast paths read plain variables.
let MY_TID = 0;
let MY_TAG = 0;
let MY_DOMAIN = 0;
function initIdentity(): void {
  if (MY_TID === 0) [MY_TID, MY_TAG, MY_DOMAIN] = native.threadIdentity();
}

// Records that a process of this domain uses the mutex. Holders are proven
// dead only while every user shares one domain: a thread id from another pid
// namespace names another thread, or none, here. Once two have met, it stays
// MIXED (until Mutex.create initialises the bytes again).
function joinDomain(words: Int32Array): void {
  if (MY_DOMAIN <= 0) {
    Atomics.store(words, DOMAIN, MIXED);
    return;
  }
  const prev = Atomics.compareExchange(words, DOMAIN, 0, MY_DOMAIN);
  if (prev !== 0 && prev !== MY_DOMAIN) Atomics.store(words, DOMAIN, MIXED);
}

function validatePlace(shm: unknown, offset: unknown): SharedMemory {
  if (!(shm instanceof SharedMemory)) throw invalidArgType('shm', 'an instance of SharedMemory', shm);
  if (shm.closed) throw closedError('shared memory', 'mutex');
  if (typeof offset !== 'number') throw invalidArgType('offset', 'of type number', offset);
  const max = shm.size - Mutex.BYTES;
  if (!Number.isInteger(offset) || offset < 0 || offset % 8 !== 0 || offset > max) {
    throw outOfRange('offset', `a multiple of 8 from 0 to ${max} (a Mutex takes ${Mutex.BYTES} bytes)`, offset);
  }
  return shm;
}

/**
 * A mutual-exclusion lock that lives inside a shared segment, in
 * {@link Mutex.BYTES} bytes, for threads of every process that maps it. One
 * process {@link Mutex.create}s it; the others {@link Mutex.attach} at the
 * same offset.
 *
 * Taking and releasing a free lock is one atomic compare-and-swap (and a
 * store) each, done in JS: no system call, no native call. A thread that
 * must wait spins briefly, then sleeps in the kernel (a futex on Linux), so
 * a waiting process uses no CPU. The holder is a thread (the main thread or
 * a worker) of a process. It is not recursive: locking it again from the
 * holding thread throws `EDEADLK`.
 *
 * **A dead holder.** If the process or worker thread holding the lock dies,
 * even by SIGKILL, the next `lock`, `lockSync` or `tryLock` in another thread
 * takes the lock over within about 10 ms and sees {@link Mutex.ownerDied}
 * `true`, so it can repair the data the lock protects. A lock held by a live
 * thread is never taken away, also not from a stopped (SIGSTOP) or busy
 * process. A holder is taken over only when its death is proven (how:
 * docs/design.md). Once processes of two pid namespaces (containers that
 * share `/dev/shm` but not their pids) have used the mutex, no holder of it
 * is proven dead until {@link Mutex.create} initialises it again. On macOS
 * no dead holder is taken over (docs/platforms.md).
 *
 * @example
 * ```ts
 * const shm = SharedMemory.create({ name: 'jobs', size: 4096 });
 * const m = Mutex.create(shm, 0);           // other processes: Mutex.attach(shm, 0)
 * m.withLockSync(() => { shm.buffer[16]++; });
 * ```
 */
export class Mutex {
  /**
   * Bytes a mutex occupies in a segment (16); its offset must be a multiple
   * of 8 and leave this many bytes before the end of the segment.
   */
  static readonly BYTES = 16;

  readonly #shm: SharedMemory;
  readonly #offset: number;
  readonly #words: Int32Array;
  #ownerDied = false;
  #probedValue = 0;
  #probedAt = -Infinity;

  private constructor(shm: SharedMemory, offset: number) {
    initIdentity();
    this.#shm = shm;
    this.#offset = offset;
    this.#words = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset + offset, 4);
    defineDescription(this, { kind: 'mutex', name: shm.name, offset });
  }

  /** What another process or thread needs to attach this mutex (its segment and offset): see {@link attach}. */
  declare readonly $shmem: MutexDescription;

  /**
   * `{ $shmem }`: what `JSON.stringify` writes, so that a mutex can be put
   * in a message and attached at the other end with {@link attach}.
   *
   * @example
   * ```ts
   * import { fork } from 'node:child_process';
   * declare const m: Mutex;
   * fork('./child.js').send({ lock: m }); // the child: const { lock } = attach(message)
   * ```
   */
  toJSON(): HandleJSON<MutexDescription> {
    return { $shmem: this.$shmem };
  }

  /**
   * Initialises a mutex (unlocked) at `offset` of `shm`. Do it once, before
   * other processes attach: it overwrites whatever the bytes held, a mutex
   * in use included.
   *
   * @throws `ERR_OUT_OF_RANGE` if `offset` is not a multiple of 8, is negative,
   * or leaves fewer than {@link Mutex.BYTES} bytes; `ERR_INVALID_ARG_TYPE` if
   * `shm` is not a {@link SharedMemory}; `EBADF` if it is closed.
   *
   * @example
   * ```ts
   * const shm = SharedMemory.create({ name: 'jobs', size: 4096 });
   * const m = Mutex.create(shm, 0); // bytes 0 to 15; the data it guards from byte 16
   * // now start the processes that call Mutex.attach(SharedMemory.open('jobs'), 0)
   * ```
   */
  static create(shm: SharedMemory, offset: number): Mutex {
    validatePlace(shm, offset);
    const m = new Mutex(shm, offset);
    Atomics.store(m.#words, LOCK, 0);
    Atomics.store(m.#words, TAG, 0);
    Atomics.store(m.#words, DOMAIN, MY_DOMAIN > 0 ? MY_DOMAIN : MIXED);
    Atomics.store(m.#words, MAGIC_INDEX, MAGIC);
    return m;
  }

  /**
   * Uses the mutex that `Mutex.create` initialised at `offset` of `shm` (in
   * this or another process), and records this process's pid namespace in
   * it (a mutex made by an older shmem has none recorded: the first process
   * to attach records its own).
   *
   * @throws `ERR_INVALID_ARG_VALUE` if no mutex was created there; the same
   * errors as {@link Mutex.create} for a bad `shm` or `offset`.
   *
   * @example
   * ```ts
   * using shm = SharedMemory.open('jobs');
   * const m = Mutex.attach(shm, 0);
   * m.withLockSync(() => shm.buffer.writeUInt32LE(shm.buffer.readUInt32LE(16) + 1, 16));
   * ```
   */
  static attach(shm: SharedMemory, offset: number): Mutex {
    validatePlace(shm, offset);
    const m = new Mutex(shm, offset);
    if (Atomics.load(m.#words, MAGIC_INDEX) !== MAGIC) {
      throw invalidArgValue('offset', offset, `holds no Mutex in segment '${shm.name}' (create it with Mutex.create first)`);
    }
    joinDomain(m.#words);
    return m;
  }

  /**
   * True after an acquisition that took the lock over from a holder that
   * died, until `unlock()`: the data the lock protects may be half-updated,
   * and the caller may repair it.
   *
   * @example
   * ```ts
   * declare const m: Mutex;
   * declare function repairJobs(): void;
   * m.lockSync();
   * try {
   *   if (m.ownerDied) repairJobs(); // the last holder died in the middle of an update
   *   // … update the jobs …
   * } finally {
   *   m.unlock();
   * }
   * ```
   */
  get ownerDied(): boolean {
    return this.#ownerDied;
  }

  #handle(syscall: string): unknown {
    return nativeHandle(this.#shm, syscall);
  }

  #acquired(result: 0 | 1 | 2): boolean {
    if (result === 2) return false;
    this.#ownerDied = result === 1;
    return true;
  }

  /**
   * Takes the lock if it is free (or its holder is dead); `false` otherwise,
   * without waiting, also when this thread holds it already.
   *
   * @throws `EBADF` if the segment is closed.
   *
   * @example
   * ```ts
   * declare const m: Mutex;
   * if (m.tryLock()) {
   *   try {
   *     // got the lock without waiting
   *   } finally {
   *     m.unlock();
   *   }
   * }
   * ```
   */
  tryLock(): boolean {
    const words = this.#words;
    // The view is empty once the segment is closed (its ArrayBuffer detached).
    if (words.length !== 0) {
      const prev = Atomics.compareExchange(words, LOCK, 0, MY_TID);
      if (prev === 0) {
        words[TAG] = MY_TAG;
        this.#ownerDied = false;
        return true;
      }
      if ((prev & TID_MASK) === MY_TID) return false; // this thread holds it
      // Held by someone else, who may be dead: ask the kernel, but not on
      // every call of a tryLock() loop for the same holder.
      const now = performance.now();
      if (prev === this.#probedValue && now - this.#probedAt < PROBE_INTERVAL_MS) return false;
      this.#probedValue = prev;
      this.#probedAt = now;
    }
    return this.#acquired(native.mutexTryLock(this.#handle('mutex_trylock'), this.#offset, MY_TID, MY_TAG));
  }

  /**
   * Takes the lock, blocking this thread up to `timeoutMs` (default: forever);
   * `false` on timeout. Throws `EDEADLK` if this thread already holds it.
   *
   * @throws `EDEADLK` as said; `EBADF` if the segment is closed;
   * `ERR_OUT_OF_RANGE` for a negative or NaN timeout.
   *
   * @example
   * ```ts
   * declare const m: Mutex;
   * if (!m.lockSync(100)) throw new Error('busy for 100 ms');
   * try {
   *   // the critical section
   * } finally {
   *   m.unlock();
   * }
   * ```
   */
  lockSync(timeoutMs?: number): boolean {
    const timeout = timeoutMs === undefined ? -1 : validateTimeout(timeoutMs, 'timeoutMs');
    const words = this.#words;
    // One compare-and-swap and a store when the lock is free; ownerDied is
    // already false here (unlock() cleared it).
    if (words.length !== 0 && Atomics.compareExchange(words, LOCK, 0, MY_TID) === 0) {
      words[TAG] = MY_TAG;
      return true;
    }
    return this.#acquired(native.mutexLock(this.#handle('mutex_lock'), this.#offset, MY_TID, MY_TAG, timeout));
  }

  /**
   * Takes the lock without blocking the event loop or the libuv threadpool.
   * A free lock is taken at once; otherwise a pooled waiter thread of this
   * package's own sleeps for it. Resolves `true` when taken, `false` on
   * timeout; rejects with an `AbortError` when `signal` aborts (the lock is
   * not taken), with `EBADF` if the segment is closed meanwhile, and with
   * `EDEADLK` if this thread already holds it. Several pending `lock()`s of
   * one thread queue up behind each other. A pending lock keeps the process
   * alive, like a timer.
   *
   * @throws (rejects) `EDEADLK`, `EBADF` as said; `ERR_OUT_OF_RANGE` for a
   * negative or NaN timeout.
   *
   * @example
   * ```ts
   * declare const m: Mutex;
   * // Rejects with AbortError (and does not take the lock) if `signal` aborts first.
   * async function update(signal: AbortSignal): Promise<boolean> {
   *   if (!(await m.lock({ timeout: 1000, signal }))) return false; // busy for 1 s
   *   try {
   *     // … update the shared data …
   *     return true;
   *   } finally {
   *     m.unlock();
   *   }
   * }
   * ```
   */
  lock(options?: MutexLockOptions): Promise<boolean> {
    let timeout: number;
    let signal: AbortSignal | undefined;
    let handle: unknown;
    try {
      const opts = validateOptions<MutexLockOptions>(options);
      timeout = validateTimeout(opts.timeout, 'options.timeout');
      signal = validateAbortSignal(opts.signal);
      handle = this.#handle('mutex_lock');
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      const words = this.#words;
      const prev = Atomics.compareExchange(words, LOCK, 0, MY_TID);
      if (prev === 0) {
        words[TAG] = MY_TAG;
        this.#ownerDied = false;
        return Promise.resolve(true);
      }
      if ((prev & TID_MASK) === MY_TID) throw codeError('EDEADLK', 'mutex_lock');
      if (timeout === 0) return Promise.resolve(this.#acquired(native.mutexTryLock(handle, this.#offset, MY_TID, MY_TAG)));
    } catch (err) {
      return Promise.reject(err);
    }
    return pendingWait<0 | 1 | 2, boolean>(
      (callback) => native.mutexLockAsync(handle, this.#offset, MY_TID, MY_TAG, timeout, callback),
      (result) => this.#acquired(result),
      signal,
      (cancel) => onClose(this.#shm, () => cancel(closedError('shared memory', 'mutex_lock'))),
    );
  }

  /**
   * Releases the lock, and clears {@link Mutex.ownerDied}.
   *
   * @throws `EPERM` if this thread does not hold it; `EBADF` if the segment is closed.
   *
   * @example
   * ```ts
   * declare const m: Mutex;
   * m.lockSync();
   * try {
   *   // the critical section
   * } finally {
   *   m.unlock(); // a second unlock() would throw EPERM
   * }
   * ```
   */
  unlock(): void {
    const words = this.#words;
    if ((words[LOCK] & TID_MASK) !== MY_TID) {
      this.#handle('mutex_unlock'); // EBADF once closed (the view is empty then)
      throw codeError('EPERM', 'mutex_unlock');
    }
    this.#ownerDied = false;
    // Clear the tag before letting go: it must never name anyone but the holder.
    words[TAG] = 0;
    if (Atomics.compareExchange(words, LOCK, MY_TID, 0) === MY_TID) return;
    // Flags are set: someone sleeps on the lock, or checks that we live.
    if (Atomics.exchange(words, LOCK, 0) & WAITERS) native.mutexWake(this.#handle('mutex_unlock'), this.#offset);
  }

  /**
   * Runs `fn` holding the lock (taken with `lock()`), and always unlocks,
   * also when `fn` throws or rejects. Resolves to what `fn` returns.
   *
   * @example
   * ```ts
   * declare const m: Mutex;
   * declare const shm: SharedMemory;
   * const count = await m.withLock(async () => {
   *   const n = shm.buffer.readUInt32LE(16) + 1;
   *   shm.buffer.writeUInt32LE(n, 16);
   *   return n;
   * });
   * ```
   */
  async withLock<T>(fn: () => T | Promise<T>): Promise<T> {
    await this.lock();
    try {
      return await fn();
    } finally {
      this.unlock();
    }
  }

  /**
   * Runs `fn` holding the lock (taken with `lockSync()`), and always unlocks,
   * also when `fn` throws. Returns what `fn` returns.
   *
   * @example
   * ```ts
   * declare const m: Mutex;
   * declare const shm: SharedMemory;
   * const count = m.withLockSync(() => {
   *   const n = shm.buffer.readUInt32LE(16) + 1;
   *   shm.buffer.writeUInt32LE(n, 16);
   *   return n;
   * });
   * ```
   */
  withLockSync<T>(fn: () => T): T {
    this.lockSync();
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }
}
