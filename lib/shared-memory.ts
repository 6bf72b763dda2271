import { native } from './binding';
import { closedError, isSystemError } from './errors';
import { ExitUnlinkKind, forgetUnlinkOnExit, unlinkOnExit } from './exit-unlink';
import { generateName, osName } from './names';
import { SIZE_MAX, validateBoolean, validateInteger, validateMode, validateName, validateOptions } from './validators';

let handleOf: (shm: SharedMemory) => unknown;
let ownerOf: (ab: ArrayBufferLike) => SharedMemory | undefined;
// The SharedMemory that made an ArrayBuffer, as a symbol-keyed property on
// the buffer: finding the segment of a view (wait, notify) costs nothing at
// create/open, where a WeakMap entry made open() 20% slower.
const kOwner = Symbol('shmem.sharedMemory');
const closeHooks = new WeakMap<SharedMemory, Set<() => void>>();

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
  let hooks = closeHooks.get(shm);
  if (!hooks) closeHooks.set(shm, (hooks = new Set()));
  hooks.add(hook);
  return () => hooks.delete(hook);
}

function unlinkName(os: string): void {
  try {
    native.shmUnlink(os);
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) forgetUnlinkOnExit(ExitUnlinkKind.Segment, os);
    throw err;
  }
  forgetUnlinkOnExit(ExitUnlinkKind.Segment, os);
}

/** Options for {@link SharedMemory.create}. */
export interface SharedMemoryCreateOptions {
  /** Name other processes use to attach (no '/'). Generated when omitted: see {@link SharedMemory.name}. */
  name?: string;
  /** Size in bytes, an integer >= 1. The memory is zero-filled and reserved at once. */
  size: number;
  /** Permission bits for the new segment, subject to the process umask as with `fs.open`. Default `0o600`. */
  mode?: number;
  /**
   * Remove the name when this process exits (normally, by `process.exit()` or
   * by an uncaught error), or, in a worker thread, when that worker ends,
   * unless it was unlinked before. Not when the process is killed by a signal.
   * Default `false`: removing the name stays an explicit `unlink()`.
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
 *
 * @example
 * ```ts
 * using shm = SharedMemory.create({ name: 'jobs', size: 4096 });
 * shm.buffer.write('hello');
 * // another process: SharedMemory.open('jobs').buffer.toString('utf8', 0, 5) === 'hello'
 * shm.unlink();
 * ```
 */
export class SharedMemory implements Disposable {
  /** The name as given (no leading '/'), or the generated one. */
  readonly name: string;
  /** Size in bytes. */
  readonly size: number;
  // The mapping's ArrayBuffer, which is also its native handle; null once closed.
  #handle: ArrayBuffer | null;
  readonly #buffer: Buffer;

  static {
    handleOf = (shm) => shm.#handle;
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
  }

  /**
   * Creates a new segment. Fails with `EEXIST` if the name is taken. If any
   * step fails, nothing is left behind.
   */
  static create(options: SharedMemoryCreateOptions): SharedMemory {
    const opts = validateOptions<SharedMemoryCreateOptions>(options);
    const size = validateInteger(opts.size, 'options.size', 1, SIZE_MAX);
    const mode = validateMode(opts.mode);
    const atExit = validateBoolean(opts.unlinkOnExit, 'options.unlinkOnExit');
    let shm: SharedMemory;
    if (opts.name !== undefined) {
      const name = validateName(opts.name, 'options.name');
      shm = new SharedMemory(name, native.shmCreate(osName(name), size, mode));
    } else {
      for (;;) {
        const name = generateName('shm_');
        try {
          shm = new SharedMemory(name, native.shmCreate(osName(name), size, mode));
          break;
        } catch (err) {
          if (!isSystemError(err, 'EEXIST')) throw err;
        }
      }
    }
    if (atExit) unlinkOnExit(ExitUnlinkKind.Segment, osName(shm.name));
    return shm;
  }

  /** Attaches to an existing segment by name; its size comes from the system. `ENOENT` if there is none. */
  static open(name: string): SharedMemory {
    validateName(name);
    return new SharedMemory(name, native.shmOpen(osName(name)));
  }

  /** Removes a name, like `fs.unlinkSync`: `ENOENT` if absent. Processes that have it mapped keep their mapping. */
  static unlink(name: string): void {
    validateName(name);
    unlinkName(osName(name));
  }

  /**
   * The whole mapping as a Buffer (the same object on every access). After
   * `close()` it, and every view made from it, has length 0.
   */
  get buffer(): Buffer {
    return this.#buffer;
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#handle === null;
  }

  /**
   * Ends this process's use of the segment: unmaps it and detaches the
   * Buffer and all views over it (they become empty), so no access can fault.
   * Idempotent. Never removes the name.
   */
  close(): void {
    if (this.#handle === null) return;
    const hooks = closeHooks.get(this);
    if (hooks) {
      closeHooks.delete(this);
      for (const hook of hooks) hook();
    }
    native.shmClose(this.#handle);
    this.#handle = null;
  }

  /** Removes the name (`ENOENT` if already gone). This mapping stays usable until `close()`; works after `close()` too. */
  unlink(): void {
    unlinkName(osName(this.name));
  }

  /** Same as `close()`, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
