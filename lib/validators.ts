// Argument checks, done before anything reaches the OS so that a bad call has
// no side effect. Error codes follow Node's lib/internal/validators.js.
import { constants as bufferConstants } from 'node:buffer';

import { invalidArgType, invalidArgValue, outOfRange } from './errors';

/**
 * Longest name, in UTF-8 bytes, without the leading '/'. macOS allows 31 bytes
 * including the '/' (PSHMNAMLEN); Linux keeps names as files in /dev/shm
 * (NAME_MAX 255) and glibc prefixes semaphores with "sem." there.
 */
export const NAME_MAX_BYTES =
  process.platform === 'darwin' ? 30 : process.platform === 'win32' ? 259 : 255;
export const SEM_NAME_MAX_BYTES = process.platform === 'linux' ? 251 : NAME_MAX_BYTES;

/** Largest value a semaphore may hold (SEM_VALUE_MAX). */
export const SEM_VALUE_MAX = process.platform === 'darwin' ? 32767 : 2147483647;

/** Largest segment: the whole mapping is exposed as one Buffer. */
export const SIZE_MAX = bufferConstants.MAX_LENGTH;

export function validateName(name: unknown, argName = 'name', maxBytes = NAME_MAX_BYTES): string {
  if (typeof name !== 'string') throw invalidArgType(argName, 'of type string', name);
  if (name.length === 0) throw invalidArgValue(argName, name, 'must be a non-empty string');
  if (name.includes('/')) throw invalidArgValue(argName, name, "must not contain '/'");
  if (name.includes('\0')) throw invalidArgValue(argName, name, 'must not contain null bytes');
  // A UTF-16 code unit is at most 3 bytes of UTF-8: short names need no count.
  if (name.length * 3 > maxBytes && Buffer.byteLength(name) > maxBytes) {
    throw invalidArgValue(argName, name, `is too long: at most ${maxBytes} bytes on ${process.platform}`);
  }
  return name;
}

export function validateOptions<T extends object>(options: unknown, argName = 'options'): Partial<T> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalidArgType(argName, 'of type object', options);
  return options as Partial<T>;
}

export function validateBoolean(value: unknown, argName: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalidArgType(argName, 'of type boolean', value);
  return value;
}

export function validateInteger(value: unknown, argName: string, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidArgType(argName, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(argName, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

export function validateMode(mode: unknown, argName = 'options.mode'): number {
  if (mode === undefined) return 0o600;
  return validateInteger(mode, argName, 0, 0o777);
}

/**
 * Longest timeout taken literally (about 31 years); longer ones wait forever.
 * Keeps deadline arithmetic in the native layer (nanoseconds in 64 bits) exact.
 */
export const TIMEOUT_FOREVER_FROM_MS = 1e12;

/** Timeout in ms: undefined, Infinity or beyond TIMEOUT_FOREVER_FROM_MS = forever (returned as -1). */
export function validateTimeout(timeout: unknown, argName = 'timeout'): number {
  if (timeout === undefined) return -1;
  if (typeof timeout !== 'number') throw invalidArgType(argName, 'of type number', timeout);
  if (Number.isNaN(timeout) || timeout < 0) throw outOfRange(argName, 'a number >= 0 (milliseconds) or Infinity', timeout);
  return timeout >= TIMEOUT_FOREVER_FROM_MS ? -1 : timeout;
}

export function validateAbortSignal(signal: unknown, argName = 'options.signal'): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (signal === null || typeof signal !== 'object' || !('aborted' in signal) || typeof (signal as AbortSignal).addEventListener !== 'function') {
    throw invalidArgType(argName, 'an instance of AbortSignal', signal);
  }
  return signal as AbortSignal;
}
