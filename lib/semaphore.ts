import { native } from './binding';
import { AbortError, closedError, isSystemError } from './errors';
import { ExitUnlinkKind, forgetUnlinkOnExit, unlinkOnExit } from './exit-unlink';
import { generateName, osName } from './names';
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
  /** Name other processes use to open it (no '/'). Generated when omitted. */
  name?: string;
  /** Initial value, default 1 (a lock). */
  value?: number;
  /** Permission bits, subject to the process umask. Default `0o600`. */
  mode?: number;
  /**
   * Remove the name when this process exits (normally, by `process.exit()` or
   * by an uncaught error), or, in a worker thread, when that worker ends,
   * unless it was unlinked before. Not when the process is killed by a signal.
   * Default `false`.
   */
  unlinkOnExit?: boolean;
}

function unlinkName(os: string): void {
  try {
    native.semUnlink(os);
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) forgetUnlinkOnExit(ExitUnlinkKind.Semaphore, os);
    throw err;
  }
  forgetUnlinkOnExit(ExitUnlinkKind.Semaphore, os);
}

/** Options for {@link Semaphore.wait}. */
export interface SemaphoreWaitOptions {
  /** Give up after this many milliseconds and resolve `false`. Default: wait forever. */
  timeout?: number;
  /** Abort the wait: the promise rejects with an `AbortError` and no unit is taken. */
  signal?: AbortSignal;
}

/**
 * A named counting semaphore shared between processes (POSIX `sem_open`,
 * Windows `CreateSemaphoreW`). With the default value 1 it is a lock.
 *
 * A semaphore taken by a process that is then killed stays taken: use the
 * in-segment Mutex when holders may die.
 *
 * @example
 * ```ts
 * using sem = Semaphore.create({ name: 'jobs-lock' });
 * if (sem.waitSync(1000)) {
 *   try { ... } finally { sem.post(); }
 * }
 * ```
 */
export class Semaphore implements Disposable {
  /** The name as given (no leading '/'), or the generated one. */
  readonly name: string;
  #handle: unknown;
  readonly #pending = new Set<(err: Error) => void>(); // cancellers of pending wait()s

  private constructor(name: string, handle: unknown) {
    this.name = name;
    this.#handle = handle;
  }

  /** Creates a new semaphore (`EEXIST` if the name is taken). */
  static create(options?: SemaphoreCreateOptions): Semaphore {
    const opts = validateOptions<SemaphoreCreateOptions>(options);
    const value = opts.value === undefined ? 1 : validateInteger(opts.value, 'options.value', 0, SEM_VALUE_MAX);
    const mode = validateMode(opts.mode);
    const atExit = validateBoolean(opts.unlinkOnExit, 'options.unlinkOnExit');
    let sem: Semaphore;
    if (opts.name !== undefined) {
      const name = validateName(opts.name, 'options.name', SEM_NAME_MAX_BYTES);
      sem = new Semaphore(name, native.semCreate(osName(name), value, mode));
    } else {
      for (;;) {
        const name = generateName('sem_');
        try {
          sem = new Semaphore(name, native.semCreate(osName(name), value, mode));
          break;
        } catch (err) {
          if (!isSystemError(err, 'EEXIST')) throw err;
        }
      }
    }
    if (atExit) unlinkOnExit(ExitUnlinkKind.Semaphore, osName(sem.name));
    return sem;
  }

  /** Opens an existing semaphore by name (`ENOENT` if there is none). */
  static open(name: string): Semaphore {
    validateName(name, 'name', SEM_NAME_MAX_BYTES);
    return new Semaphore(name, native.semOpen(osName(name)));
  }

  /** Removes a name (`ENOENT` if absent). Processes that have it open keep using it. */
  static unlink(name: string): void {
    validateName(name, 'name', SEM_NAME_MAX_BYTES);
    unlinkName(osName(name));
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#handle === null;
  }

  #open(syscall: string): unknown {
    if (this.#handle === null) throw closedError('semaphore', syscall);
    return this.#handle;
  }

  /** Adds one unit, waking one waiter. */
  post(): void {
    native.semPost(this.#open('sem_post'));
  }

  /** Takes a unit if one is free now; `false` when it would block. */
  tryWait(): boolean {
    return native.semTryWait(this.#open('sem_trywait'));
  }

  /**
   * Takes a unit, blocking this thread up to `timeoutMs` (default: forever).
   * Returns `false` on timeout. Use `wait()` on a thread that serves I/O.
   */
  waitSync(timeoutMs?: number): boolean {
    const handle = this.#open('sem_wait');
    return native.semWaitSync(handle, validateTimeout(timeoutMs, 'timeoutMs'));
  }

  /**
   * Takes a unit without blocking the event loop or the libuv threadpool.
   * Resolves `true` when taken, `false` on timeout; rejects with an
   * `AbortError` when `signal` aborts (no unit is taken), and with `EBADF` if
   * the semaphore is closed meanwhile.
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
   * `EBADF` (a unit a waiter took meanwhile is given back). Never removes the name.
   */
  close(): void {
    if (this.#handle === null) return;
    // Settle pending waits first (each cancel gives back a unit its thread took).
    for (const cancel of [...this.#pending]) cancel(closedError('semaphore', 'sem_wait'));
    native.semClose(this.#handle);
    this.#handle = null;
  }

  /** Removes the name (`ENOENT` if already gone); works after `close()`. */
  unlink(): void {
    unlinkName(osName(this.name));
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
