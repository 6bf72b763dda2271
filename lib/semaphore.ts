import { native } from './binding';
import { AbortError, closedError } from './errors';
import { ExitUnlinkKind, unlinkNow, unlinkOnExit } from './exit-unlink';
import { defineDescription, type HandleJSON, type SemaphoreDescription } from './handle-description';
import { createUnderName, osName } from './names';
import { pendingWait } from './pending-wait';
import {
  SEM_NAME_MAX_BYTES,
  SEM_VALUE_MAX,
  validateAbortSignal,
  validateBoolean,
  validateInteger,
  validateMode,
  validateName,
  validateOptions,
  validateTimeout,
} from './validators';

/** Options for {@link Semaphore.create}. */
export interface SemaphoreCreateOptions {
  /**
   * Name other processes use to open it: not empty, no '/' or NUL, at most
   * 251 UTF-8 bytes on Linux (30 on macOS). On Linux and macOS semaphore
   * names live apart from segment names; on Windows both share the one
   * namespace of named kernel objects, so a name cannot be both: creating
   * one under the other's name fails with `EEXIST`, and opening it gives
   * `ENOENT`. Generated when omitted: see {@link Semaphore.name}.
   */
  name?: string;
  /**
   * Initial value, an integer from 0 to 2147483647 (32767 on macOS). Default
   * 1: a lock. 0 makes a signal that a `post()` must open first.
   */
  value?: number;
  /** Permission bits, as {@link SharedMemoryCreateOptions.mode}. Default `0o600`. */
  mode?: number;
  /** Remove the name when this process exits, as {@link SharedMemoryCreateOptions.unlinkOnExit}. Default `false`. */
  unlinkOnExit?: boolean;
}

function unlinkName(os: string): void {
  unlinkNow(ExitUnlinkKind.Semaphore, os, native.semUnlink);
}

/** Options for {@link Semaphore.wait}. */
export interface SemaphoreWaitOptions {
  /**
   * Give up after this many milliseconds and resolve `false`. Default: wait
   * forever (as does `Infinity`); `0` only tries.
   */
  timeout?: number;
  /** Abort the wait: the promise rejects with an `AbortError` and no unit is taken. */
  signal?: AbortSignal;
}

/**
 * A named counting semaphore shared between processes (POSIX `sem_open`,
 * Windows `CreateSemaphoreW`). With the default value 1 it is a lock.
 *
 * A semaphore taken by a process that is then killed stays taken: use the
 * in-segment {@link Mutex} when holders may die. Any program can share it
 * by name (Python's `posix_ipc`, C's `sem_open`).
 *
 * @example
 * ```ts
 * using sem = Semaphore.create({ name: 'jobs-lock' }); // value 1: a lock
 * if (sem.waitSync(1000)) {
 *   try {
 *     // the critical section
 *   } finally {
 *     sem.post();
 *   }
 * }
 * sem.unlink(); // when no other process needs the name any more
 * ```
 */
export class Semaphore implements Disposable {
  /**
   * The name as given (no leading '/'), or the generated one (`sem_…`, made
   * as {@link SharedMemory.name} describes): pass it to other processes for
   * {@link Semaphore.open}.
   */
  readonly name: string;
  #handle: unknown;
  readonly #pending = new Set<(err: Error) => void>(); // cancellers of pending wait()s

  private constructor(name: string, handle: unknown) {
    this.name = name;
    this.#handle = handle;
    defineDescription(this, { kind: 'semaphore', name });
  }

  /** What another process or thread needs to open this semaphore: see {@link attach}. */
  declare readonly $shmem: SemaphoreDescription;

  /**
   * `{ $shmem }`: what `JSON.stringify` writes, so that a semaphore can be
   * put in a message and opened at the other end with {@link attach}.
   *
   * @example
   * ```ts
   * import { fork } from 'node:child_process';
   * declare const sem: Semaphore;
   * fork('./child.js').send({ sem }); // the child: const { sem } = attach(message)
   * ```
   */
  toJSON(): HandleJSON<SemaphoreDescription> {
    return { $shmem: this.$shmem };
  }

  /**
   * Creates a new semaphore, exclusively.
   *
   * @throws `EEXIST` if the name is taken.
   * @throws `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` (a bad name) or
   * `ERR_OUT_OF_RANGE` (a bad value or mode), before any system call.
   *
   * @example
   * ```ts
   * // Four slots, under a generated name that is removed when this process exits.
   * const slots = Semaphore.create({ value: 4, unlinkOnExit: true });
   * console.log(slots.name); // for the other processes: Semaphore.open(name)
   * ```
   */
  static create(options?: SemaphoreCreateOptions): Semaphore {
    const opts = validateOptions<SemaphoreCreateOptions>(options);
    const value = opts.value === undefined ? 1 : validateInteger(opts.value, 'options.value', 0, SEM_VALUE_MAX);
    const mode = validateMode(opts.mode);
    const atExit = validateBoolean(opts.unlinkOnExit, 'options.unlinkOnExit');
    const given = opts.name === undefined ? undefined : validateName(opts.name, 'options.name', SEM_NAME_MAX_BYTES);
    const sem = createUnderName(given, 'sem_', (name) => new Semaphore(name, native.semCreate(osName(name), value, mode)));
    if (atExit) unlinkOnExit(ExitUnlinkKind.Semaphore, osName(sem.name));
    return sem;
  }

  /**
   * Opens an existing semaphore by name.
   *
   * @throws `ENOENT` if there is none.
   * @throws `ERR_INVALID_ARG_TYPE` or `ERR_INVALID_ARG_VALUE` for a bad name.
   *
   * @example
   * ```ts
   * using lock = Semaphore.open('jobs-lock'); // closed at the end of the scope
   * lock.waitSync();
   * try {
   *   // the critical section
   * } finally {
   *   lock.post();
   * }
   * ```
   */
  static open(name: string): Semaphore {
    validateName(name, 'name', SEM_NAME_MAX_BYTES);
    return new Semaphore(name, native.semOpen(osName(name)));
  }

  /**
   * Removes a name. Processes that have it open keep using it.
   *
   * @throws `ENOENT` if there is no such name.
   *
   * @example
   * ```ts
   * // Remove what a crashed run may have left behind.
   * try {
   *   Semaphore.unlink('jobs-lock');
   * } catch (err) {
   *   if (!isSystemError(err, 'ENOENT')) throw err;
   * }
   * ```
   */
  static unlink(name: string): void {
    validateName(name, 'name', SEM_NAME_MAX_BYTES);
    unlinkName(osName(name));
  }

  /** True after `close()`: every method but `close()` and `unlink()` then throws `EBADF`. */
  get closed(): boolean {
    return this.#handle === null;
  }

  #open(syscall: string): unknown {
    if (this.#handle === null) throw closedError('semaphore', syscall);
    return this.#handle;
  }

  /**
   * Adds one unit, waking one waiter (in any process).
   *
   * @throws `EBADF` after `close()`; `EOVERFLOW` past the largest value.
   *
   * @example
   * ```ts
   * // A signal: the consumer waits until the producer posts.
   * const ready = Semaphore.create({ name: 'jobs-ready', value: 0 });
   * // … write a job into shared memory …
   * ready.post(); // a consumer in Semaphore.open('jobs-ready').waitSync() wakes up
   * ```
   */
  post(): void {
    native.semPost(this.#open('sem_post'));
  }

  /**
   * Takes a unit if one is free now; `false` when it would block.
   *
   * @throws `EBADF` after `close()`.
   *
   * @example
   * ```ts
   * declare const sem: Semaphore;
   * if (sem.tryWait()) {
   *   try {
   *     // got a unit without waiting
   *   } finally {
   *     sem.post();
   *   }
   * }
   * ```
   */
  tryWait(): boolean {
    return native.semTryWait(this.#open('sem_trywait'));
  }

  /**
   * Takes a unit, blocking this thread up to `timeoutMs` (default: forever).
   * Returns `false` on timeout. It first spins for about a microsecond (100
   * `sem_trywait`s) before sleeping in the kernel: under contention the
   * holder usually releases within that time, and a sleep and wake in the
   * kernel costs several microseconds. Use it in worker processes and worker
   * threads; on a thread that serves I/O, use `wait()`.
   *
   * @throws `EBADF` after `close()`; `ERR_OUT_OF_RANGE` for a negative or NaN timeout.
   *
   * @example
   * ```ts
   * declare const sem: Semaphore;
   * if (!sem.waitSync(5000)) throw new Error('no unit within 5 s');
   * try {
   *   // the critical section
   * } finally {
   *   sem.post();
   * }
   * ```
   */
  waitSync(timeoutMs?: number): boolean {
    const handle = this.#open('sem_wait');
    return native.semWaitSync(handle, validateTimeout(timeoutMs, 'timeoutMs'));
  }

  /**
   * Takes a unit without blocking the event loop or the libuv threadpool
   * (`fs`, `dns` and `crypto` keep their pool). A free unit is taken at once;
   * otherwise the wait sleeps on a pooled thread of this package's own.
   * Resolves `true` when taken, `false` on timeout; rejects with an
   * {@link AbortError} when `signal` aborts (no unit is taken: one that the
   * waiting thread took at that instant is posted back), and with `EBADF` if
   * the semaphore is closed meanwhile. A pending wait keeps the process
   * alive, like a timer.
   *
   * @throws (rejects) `EBADF` after `close()`; `ERR_OUT_OF_RANGE` for a
   * negative or NaN timeout.
   *
   * @example
   * ```ts
   * declare const sem: Semaphore;
   * const ac = new AbortController();
   * process.once('SIGINT', () => ac.abort());
   * try {
   *   if (await sem.wait({ timeout: 10_000, signal: ac.signal })) {
   *     try {
   *       // the critical section
   *     } finally {
   *       sem.post();
   *     }
   *   } else {
   *     console.log('no unit within 10 s');
   *   }
   * } catch (err) {
   *   if (!(err instanceof AbortError)) throw err;
   *   console.log('interrupted; no unit was taken');
   * }
   * ```
   */
  wait(options?: SemaphoreWaitOptions): Promise<boolean> {
    let timeout: number;
    let signal: AbortSignal | undefined;
    let handle: unknown;
    try {
      const opts = validateOptions<SemaphoreWaitOptions>(options);
      timeout = validateTimeout(opts.timeout, 'options.timeout');
      signal = validateAbortSignal(opts.signal);
      handle = this.#open('sem_wait');
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      if (native.semTryWait(handle)) return Promise.resolve(true);
      if (timeout === 0) return Promise.resolve(false);
    } catch (err) {
      return Promise.reject(err);
    }
    return pendingWait<boolean, boolean>(
      (callback) => native.semWaitAsync(handle, timeout, callback),
      (acquired) => acquired === true,
      signal,
      (cancel) => {
        this.#pending.add(cancel);
        return () => this.#pending.delete(cancel);
      },
    );
  }

  /**
   * Closes this process's handle. Idempotent. Pending `wait()`s reject with
   * `EBADF` (a unit a waiter took meanwhile is given back); the OS semaphore
   * is released only after the last waiting thread has let go of it, so
   * closing with waits pending is safe. Never removes the name.
   *
   * @example
   * ```ts
   * const sem = Semaphore.open('jobs-lock');
   * // … use it …
   * sem.close(); // the name stays for other processes
   * sem.close(); // idempotent
   * console.log(sem.closed); // true: post(), tryWait(), waitSync() now throw EBADF
   * ```
   */
  close(): void {
    if (this.#handle === null) return;
    // Settle pending waits first (each cancel gives back a unit its thread took).
    for (const cancel of [...this.#pending]) cancel(closedError('semaphore', 'sem_wait'));
    native.semClose(this.#handle);
    this.#handle = null;
  }

  /**
   * Removes the name: later {@link Semaphore.open} calls fail with `ENOENT`,
   * while processes that have it open keep using it. Works after `close()`.
   *
   * @throws `ENOENT` if the name is already gone.
   *
   * @example
   * ```ts
   * const sem = Semaphore.create({ name: 'jobs-lock' });
   * // … the other processes open it …
   * sem.unlink(); // nobody new can open it; those who have it keep it
   * sem.close();
   * ```
   */
  unlink(): void {
    unlinkName(osName(this.name));
  }

  /**
   * Same as `close()`, for `using`: the name stays.
   *
   * @example
   * ```ts
   * {
   *   using sem = Semaphore.open('jobs-lock');
   *   sem.post();
   * } // sem.close() runs here, also when the block throws
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}
