// Every error the package throws is built here, in the shapes Node users know:
// system errors like fs's (code, errno, syscall, path), ERR_* argument errors,
// EBADF for use after close, and AbortError.
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

/**
 * An error from the operating system, shaped like Node's `fs` errors, e.g.
 * `ENOENT: no such file or directory, shm_open '/jobs'`. Use after `close()`
 * throws one too, with `code: 'EBADF'`. Test for it with {@link isSystemError}.
 */
export interface SystemError extends Error {
  /** Name of the error, e.g. `'ENOENT'`. */
  code: string;
  /** Negative error number, as in Node (`-2` for ENOENT on Linux). */
  errno: number;
  /** The failing call, e.g. `'shm_open'`. */
  syscall: string;
  /** The OS object name the call was about, e.g. `'/jobs'`; absent when there is none. */
  path?: string;
}

let errorMap: Map<number, [string, string]> | undefined;

// Codes that libuv has no name for (so util.getSystemErrorMap() lacks them),
// with the strerror texts.
const EXTRA_CODES: Record<string, string> = {
  EDEADLK: 'resource deadlock avoided',
  EOWNERDEAD: 'owner died',
  ENOTRECOVERABLE: 'state not recoverable',
};

function systemErrorMap(): Map<number, [string, string]> {
  if (!errorMap) {
    errorMap = new Map(getSystemErrorMap());
    const errnos = osConstants.errno as Record<string, number>;
    for (const [code, text] of Object.entries(EXTRA_CODES)) {
      if (errnos[code] !== undefined && !errorMap.has(-errnos[code])) errorMap.set(-errnos[code], [code, text]);
    }
  }
  return errorMap;
}

/** Builds a SystemError; the native layer calls this for every OS failure. */
export function systemError(errno: number, syscall: string, path?: string): SystemError {
  const [code, description] = systemErrorMap().get(errno) ?? ['UNKNOWN', 'unknown error'];
  let message = `${code}: ${description}, ${syscall}`;
  if (path !== undefined) message += ` '${path}'`;
  if (code === 'ENOMEM' && syscall === 'mmap') {
    // Usually not memory but the number of mappings (vm.max_map_count): say what frees them.
    message +=
      ' (too many mappings? close() segments when done: one dropped without close() is unmapped only after' +
      ' the garbage collector has freed it and the event loop has turned)';
  }
  const err = new Error(message) as SystemError;
  err.errno = errno;
  err.code = code;
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  Error.captureStackTrace(err, systemError);
  return err;
}

/**
 * True if `err` is a {@link SystemError} (optionally with the given code),
 * and narrows its type. Argument errors (`ERR_*`) are not system errors.
 *
 * @example
 * ```ts
 * try {
 *   using shm = SharedMemory.open('jobs');
 *   console.log(shm.size);
 * } catch (err) {
 *   if (!isSystemError(err, 'ENOENT')) throw err;
 *   console.log(`${err.path} does not exist`); // '/jobs does not exist'
 * }
 * ```
 */
export function isSystemError(err: unknown, code?: string): err is SystemError {
  return (
    err instanceof Error &&
    typeof (err as SystemError).code === 'string' &&
    typeof (err as SystemError).syscall === 'string' &&
    (code === undefined || (err as SystemError).code === code)
  );
}

/** Use after close: like Node's FileHandle, `code: 'EBADF'`. */
export function closedError(what: string, syscall: string): SystemError {
  const err = new Error(`${what} closed`) as SystemError;
  err.code = 'EBADF';
  err.errno = errorMapErrno('EBADF');
  err.syscall = syscall;
  Error.captureStackTrace(err, closedError);
  return err;
}

/** A SystemError for an error name, e.g. `codeError('EPERM', 'mutex_unlock')`. */
export function codeError(code: string, syscall: string, path?: string): SystemError {
  const err = systemError(errorMapErrno(code), syscall, path);
  Error.captureStackTrace(err, codeError);
  return err;
}

function errorMapErrno(code: string): number {
  for (const [errno, [name]] of systemErrorMap()) if (name === code) return errno;
  return -9;
}

type NodeError<E extends Error> = E & { code: string };

function nodeError<E extends Error>(Base: new (message: string) => E, code: string, message: string, caller: Function): NodeError<E> {
  const err = new Base(message) as NodeError<E>;
  err.code = code;
  Error.captureStackTrace(err, caller);
  return err;
}

function describe(value: unknown): string {
  if (value === null) return 'Received null';
  if (value === undefined) return 'Received undefined';
  if (typeof value === 'function') return `Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor?.name;
    return ctor ? `Received an instance of ${ctor}` : 'Received an object';
  }
  let shown = String(value);
  if (typeof value === 'string') shown = `'${shown.length > 28 ? `${shown.slice(0, 25)}...` : shown}'`;
  if (typeof value === 'bigint') shown += 'n';
  return `Received type ${typeof value} (${shown})`;
}

export function invalidArgType(name: string, expected: string, actual: unknown): NodeError<TypeError> {
  return nodeError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be ${expected}. ${describe(actual)}`, invalidArgType);
}

export function outOfRange(name: string, range: string, actual: unknown): NodeError<RangeError> {
  return nodeError(RangeError, 'ERR_OUT_OF_RANGE', `The value of "${name}" is out of range. It must be ${range}. Received ${String(actual)}`, outOfRange);
}

export function invalidArgValue(name: string, actual: unknown, reason: string): NodeError<TypeError> {
  let shown = typeof actual === 'string' ? `'${actual.length > 40 ? `${actual.slice(0, 37)}...` : actual}'` : String(actual);
  shown = shown.replace(/\0/g, '\\x00');
  return nodeError(TypeError, 'ERR_INVALID_ARG_VALUE', `The argument '${name}' ${reason}. Received ${shown}`, invalidArgValue);
}

/**
 * The error a wait rejects with when its AbortSignal fires (as Node's
 * timers/promises): from {@link Semaphore.wait} and {@link Mutex.lock}, which
 * then have taken nothing. `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * declare const sem: Semaphore;
 * try {
 *   if (await sem.wait({ signal: AbortSignal.timeout(1000) })) sem.post();
 * } catch (err) {
 *   if (!(err instanceof AbortError)) throw err;
 *   console.log(err.code, err.cause); // 'ABORT_ERR', the signal's reason (a TimeoutError here)
 * }
 * ```
 */
export class AbortError extends Error {
  /** Always `'ABORT_ERR'`, the code of Node's own `AbortError`s. */
  readonly code = 'ABORT_ERR';
  /**
   * Creates one; the package does when a signal aborts a wait.
   *
   * @param message Defaults to `'The operation was aborted'`, Node's text.
   * @param options `cause`: why it was aborted, usually `signal.reason`.
   */
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AbortError';
  }
}
