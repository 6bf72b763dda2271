import { native } from './binding';
import { closedError } from './errors';
import { ExitUnlinkKind, unlinkNow, unlinkOnExit } from './exit-unlink';
import { defineDescription, type HandleJSON, type SharedMemoryDescription } from './handle-description';
import { createUnderName, osName } from './names';
import { SIZE_MAX, validateBoolean, validateInteger, validateMode, validateName, validateOptions } from './validators';

let handleOf: (shm: SharedMemory) => unknown;
let closeHooksOf: (shm: SharedMemory) => Set<() => void>;
let ownerOf: (ab: ArrayBufferLike) => SharedMemory | undefined;
// The SharedMemory that made an ArrayBuffer, as a symbol-keyed property on
// the buffer: finding the segment of a view (wait, notify) costs nothing at
// create/open, where a WeakMap entry made open() 20% slower.
const kOwner = Symbol('shmem.sharedMemory');

/** @internal The native handle of an open segment; EBADF once closed. */
export function nativeHandle(shm: SharedMemory, syscall: string): unknown {
  const handle = handleOf(shm);
  if (handle === null) throw closedError('shared memory', syscall);
  return handle;
}

/** @internal The open SharedMemory whose buffer is `ab`, if any. */
export function sharedMemoryOf(ab: ArrayBufferLike): SharedMemory | undefined {
  return ownerOf(ab);
}

/**
 * @internal Runs `hook` when `shm` is closed, before it is unmapped (pending
 * waits on its memory settle then). Returns a function that removes the hook.
 */
export function onClose(shm: SharedMemory, hook: () => void): () => void {
  const hooks = closeHooksOf(shm);
  hooks.add(hook);
  return () => hooks.delete(hook);
}

function unlinkName(os: string): void {
  unlinkNow(ExitUnlinkKind.Segment, os, native.shmUnlink);
}

/** Options for {@link SharedMemory.create}. */
export interface SharedMemoryCreateOptions {
  /**
   * Name other processes use to attach: not empty, no '/' or NUL, at most 255
   * UTF-8 bytes on Linux (30 on macOS). Generated when omitted: see
   * {@link SharedMemory.name}.
   */
  name?: string;
  /**
   * Size in bytes, an integer >= 1 and at most `buffer.constants.MAX_LENGTH`
   * (4 GiB on Node 20), since the whole segment is one `Buffer`. The memory
   * is zero-filled and reserved at once (`posix_fallocate` on Linux), so a full
   * `/dev/shm` fails `create` with `ENOSPC` instead of killing the process
   * with SIGBUS on a later write.
   */
  size: number;
  /** Permission bits for the new segment, subject to the process umask as with `fs.open` (and in Python). Default `0o600`. */
  mode?: number;
  /**
   * Remove the name when this process exits (normally, by `process.exit()` or
   * by an uncaught error), or, in a worker thread, when that worker ends
   * (returns, calls `process.exit()` or is terminated), unless it was unlinked
   * before. Not when the process is killed by a signal: it runs no code then
   * (handle `SIGINT`/`SIGTERM` and exit to get the clean-up). A name unlinked
   * by hand is forgotten, so a segment someone else creates later under that
   * name is not removed. Default `false`: removing the name stays an explicit
   * `unlink()`.
   */
  unlinkOnExit?: boolean;
}

/**
 * A named block of operating-system shared memory, mapped into this process
 * and exposed as a zero-copy `Buffer`.
 *
 * `close()` ends this process's use of it; `unlink()` removes the name so that
 * the system frees the memory once every process has closed it. They are
 * separate on purpose: typically every process closes, and one unlinks.
 * Nothing is unlinked behind your back (not on `close()`, `using`, GC or
 * exit) unless the creator asks for it with `unlinkOnExit`.
 *
 * Plain reads and writes of the buffer are not atomic across processes:
 * guard read-modify-write with a {@link Mutex} or {@link Semaphore}, or use
 * `Atomics` on an `Int32Array` over the buffer.
 *
 * @example
 * ```ts
 * using shm = SharedMemory.create({ name: 'jobs', size: 4096 });
 * shm.buffer.write('hello');
 * // another process: SharedMemory.open('jobs').buffer.toString('utf8', 0, 5) === 'hello'
 * shm.unlink(); // the name goes now; `using` closes the mapping at the end of the scope
 * ```
 */
export class SharedMemory implements Disposable {
  /**
   * The name as given (no leading '/'), or the generated one: pass it to
   * other processes for {@link SharedMemory.open}. A generated name is
   * `shm_<pid in base 36>_<tag>_<counter>`, at most 30 characters, where the
   * tag is 8 random hex digits drawn once per thread (worker threads share
   * the pid; a reused pid draws a new tag); a name that exists already is
   * skipped for the next counter.
   */
  readonly name: string;
  /**
   * Size in bytes: as created, or as the system reports it at `open`
   * (`fstat`; on Windows `VirtualQuery`), which rounds it up to a page on
   * macOS and Windows.
   */
  readonly size: number;
  // The mapping's ArrayBuffer, which is also its native handle; null once closed.
  #handle: ArrayBuffer | null;
  readonly #buffer: Buffer;
  // What close() runs first (pending waits settle); made on the first onClose().
  #closeHooks: Set<() => void> | undefined = undefined;

  static {
    handleOf = (shm) => shm.#handle;
    closeHooksOf = (shm) => (shm.#closeHooks ??= new Set());
    ownerOf = (ab) => {
      const shm = (ab as { [kOwner]?: unknown })[kOwner];
      // The property could be copied onto another buffer (the symbol shows in
      // Object.getOwnPropertySymbols): only the segment's own buffer counts.
      return typeof shm === 'object' && shm !== null && #buffer in shm && shm.#buffer.buffer === ab ? shm : undefined;
    };
  }

  private constructor(name: string, buffer: Buffer) {
    const arrayBuffer = buffer.buffer as ArrayBuffer;
    this.name = name;
    this.size = buffer.length;
    this.#handle = arrayBuffer;
    this.#buffer = buffer;
    (arrayBuffer as { [kOwner]?: SharedMemory })[kOwner] = this;
    defineDescription(this, { kind: 'shared-memory', name });
  }

  /** What another process or thread needs to open this segment: see {@link attach}. */
  declare readonly $shmem: SharedMemoryDescription;

  /**
   * `{ $shmem }`: what `JSON.stringify` writes, so that a segment can be put
   * in a message and opened at the other end with {@link attach}.
   *
   * @example
   * ```ts
   * import { fork } from 'node:child_process';
   * declare const shm: SharedMemory;
   * fork('./child.js').send({ shm }); // the child: const { shm } = attach(message)
   * ```
   */
  toJSON(): HandleJSON<SharedMemoryDescription> {
    return { $shmem: this.$shmem };
  }

  /**
   * Creates a new segment, exclusively, and maps it. If any step after the
   * name was created fails, the name is removed again. A segment of 1 MiB
   * or more gets its page tables filled here (`MADV_POPULATE_WRITE`, Linux
   * 5.14+, ignored elsewhere): the creator almost always writes next, and
   * one call costs less than a fault per page.
   *
   * @throws `EEXIST` if the name is taken; `ENOSPC` if the system cannot
   * reserve `size` bytes (a full `/dev/shm`); `ENOMEM` when the program has
   * as many segments mapped as Linux allows it (the mapping budget in
   * docs/design.md).
   * @throws `ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` (a bad name) or
   * `ERR_OUT_OF_RANGE` (a bad size or mode), before any system call.
   *
   * @example
   * ```ts
   * // Create the segment, or attach if another process was first.
   * let shm: SharedMemory;
   * try {
   *   shm = SharedMemory.create({ name: 'jobs', size: 4096, unlinkOnExit: true }); // zero-filled
   * } catch (err) {
   *   if (!isSystemError(err, 'EEXIST')) throw err;
   *   shm = SharedMemory.open('jobs');
   * }
   * ```
   */
  static create(options: SharedMemoryCreateOptions): SharedMemory {
    const opts = validateOptions<SharedMemoryCreateOptions>(options);
    const size = validateInteger(opts.size, 'options.size', 1, SIZE_MAX);
    const mode = validateMode(opts.mode);
    const atExit = validateBoolean(opts.unlinkOnExit, 'options.unlinkOnExit');
    const given = opts.name === undefined ? undefined : validateName(opts.name, 'options.name');
    const shm = createUnderName(given, 'shm_', (name) => new SharedMemory(name, native.shmCreate(osName(name), size, mode)));
    if (atExit) unlinkOnExit(ExitUnlinkKind.Segment, osName(shm.name));
    return shm;
  }

  /**
   * Attaches to an existing segment by name; its size comes from the system.
   * Names are POSIX names without the leading '/', so this attaches to what
   * Python's `SharedMemory(name='jobs', create=True)` made, and the reverse.
   *
   * @throws `ENOENT` if there is none; `EINVAL` (from `mmap`) if its creator
   * never set a size; `ENOMEM` past the mapping budget, as
   * {@link SharedMemory.create}.
   * @throws `ERR_INVALID_ARG_TYPE` or `ERR_INVALID_ARG_VALUE` for a bad name.
   *
   * @example
   * ```ts
   * using shm = SharedMemory.open('jobs'); // closed at the end of the scope
   * console.log(shm.size, shm.buffer.toString('utf8', 0, 5));
   * ```
   */
  static open(name: string): SharedMemory {
    validateName(name);
    return new SharedMemory(name, native.shmOpen(osName(name)));
  }

  /**
   * Removes a name, like `fs.unlinkSync`. Processes that have it mapped keep
   * their mapping; the memory is freed when the last one closes it. On
   * Windows a section lives while any process has it open and goes with the
   * last `close()`: this only checks that the name exists.
   *
   * @throws `ENOENT` if there is no such name.
   *
   * @example
   * ```ts
   * // Remove what a crashed run may have left behind.
   * try {
   *   SharedMemory.unlink('jobs');
   * } catch (err) {
   *   if (!isSystemError(err, 'ENOENT')) throw err;
   * }
   * ```
   */
  static unlink(name: string): void {
    validateName(name);
    unlinkName(osName(name));
  }

  /**
   * The whole mapping as a Buffer (the same object on every access): a write
   * is visible to every process at once. After `close()` it, and every view
   * made from it, has length 0.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * shm.buffer.writeDoubleLE(Math.PI, 8);
   * // Atomics work on a typed array over the same memory:
   * const words = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, shm.size >> 2);
   * Atomics.add(words, 0, 1);
   * ```
   */
  get buffer(): Buffer {
    return this.#buffer;
  }

  /** True after `close()`: the mapping is gone and {@link SharedMemory.buffer} is empty. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /**
   * Ends this process's use of the segment: unmaps it and detaches its
   * `ArrayBuffer`, so {@link SharedMemory.buffer} and every view made from it
   * (`subarray`, `new Int32Array(shm.buffer.buffer)`,
   * `Buffer.from(shm.buffer.buffer)`, a `DataView`) drop to length 0: a stale
   * view reads `undefined` or throws a `TypeError`, and can never crash the
   * process. Pending {@link waitAsync} calls and {@link Mutex.lock} calls on
   * it reject with `EBADF`. Idempotent. Never removes the name.
   *
   * An `ArrayBuffer` moved away before `close()` (`ab.transfer()`, a transfer
   * list) stays mapped for its new owner until it is collected; `close()`
   * detaches what it still owns.
   *
   * @example
   * ```ts
   * const shm = SharedMemory.open('jobs');
   * const view = shm.buffer.subarray(0, 8);
   * shm.close();
   * console.log(shm.closed, view.length); // true 0: a stale view is empty, it cannot crash
   * shm.close(); // idempotent; 'jobs' still exists for other processes
   * ```
   */
  close(): void {
    if (this.#handle === null) return;
    const hooks = this.#closeHooks;
    if (hooks) {
      this.#closeHooks = undefined;
      for (const hook of hooks) hook();
    }
    native.shmClose(this.#handle);
    this.#handle = null;
  }

  /**
   * Removes the name: later {@link SharedMemory.open} calls fail with
   * `ENOENT`. This mapping, and other processes' mappings, stay usable until
   * they close; works after `close()` too, as in Python. On Windows it
   * removes nothing, as the static {@link SharedMemory.unlink} says.
   *
   * @throws `ENOENT` if the name is already gone.
   *
   * @example
   * ```ts
   * const shm = SharedMemory.create({ name: 'jobs', size: 4096 });
   * shm.unlink();              // nobody can attach any more...
   * shm.buffer.write('still'); // ...but the mapping works until close()
   * shm.close();               // the memory is freed once every process closed it
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
   *   using shm = SharedMemory.open('jobs');
   *   shm.buffer[0] = 1;
   * } // shm.close() runs here, also when the block throws
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}
