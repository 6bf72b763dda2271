// ShareableList: Python's multiprocessing.shared_memory.ShareableList, byte
// for byte, so that a Node process and a Python process share one list by
// name. Its layout (CPython Lib/multiprocessing/shared_memory.py, native
// byte order, every part a multiple of 8 bytes but the last):
//
//   0                    int64   N, the number of items
//   8                    int64   offsets[N + 1]: where item i starts in the
//                                data area, and (last) the data area's size
//   (N + 2) * 8          data    item i at offsets[i]: int64 ('q'), double
//                                ('d'), 7 pad bytes and a bool ('xxxxxxx?'),
//                                6 pad bytes, a bool and a pad byte for None
//                                ('xxxxxx?x'), or bytes NUL-padded ('<n>s')
//   data + offsets[N]    char[8] the struct format of item i, NUL-padded
//   ... + 8 * N          int8    how to read item i back: 0 as is, 1 a str
//                                (UTF-8, trailing NULs stripped), 2 bytes
//                                (trailing NULs stripped), 3 None
//
// Where CPython is loose, this is strict on what it writes: a string's slot
// is sized by its UTF-8 bytes (CPython counts characters, gh-88336, and
// then cuts the bytes), and a string or bytes that ends in NUL is refused
// (Python would strip it, gh-106939).
import { codeError, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { defineDescription } from './handle-description';
import { SharedMemory } from './shared-memory';
import { validateOptions } from './validators';

/**
 * A value a ShareableList holds: as Python's int, float, bool, None, str and
 * bytes. A `number` that is a safe integer is written as an int, any other
 * `number` as a float; a `bigint` as an int.
 */
export type ShareableValue = number | bigint | boolean | null | string | Buffer;

/** Options for {@link ShareableList.create}. */
export interface ShareableListCreateOptions {
  /** The segment's name (generated when omitted), as {@link SharedMemory.create}'s. */
  name?: string;
  /** Permission bits, as {@link SharedMemory.create}'s. */
  mode?: number;
  /** Remove the name when this process exits, as {@link SharedMemory.create}'s. */
  unlinkOnExit?: boolean;
}

/** A list as JSON: its description alone. */
export interface ShareableListJSON {
  /** As {@link ShareableList.$shmem}. */
  $shmem: ShareableListDescription;
}

/** The JSON-safe description a list carries in `$shmem`. */
export interface ShareableListDescription {
  /** What kind of handle this describes. */
  kind: 'shareable-list';
  /** The segment's name. */
  name: string;
}

const ALIGN = 8;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

const FORMAT_INT = 'q';
const FORMAT_FLOAT = 'd';
const FORMAT_BOOL = 'xxxxxxx?';
const FORMAT_NONE = 'xxxxxx?x';

const CODE_AS_IS = 0;
const CODE_STR = 1;
const CODE_BYTES = 2;
const CODE_NONE = 3;

// What a value is written as.
interface Encoded {
  format: string; // for a str or bytes: 's', sized at the slot
  code: number;
  bytes?: Buffer; // str (UTF-8) or bytes
}

function encode(value: unknown, argName: string): Encoded {
  switch (typeof value) {
    case 'number':
      return { format: Number.isSafeInteger(value) ? FORMAT_INT : FORMAT_FLOAT, code: CODE_AS_IS };
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) throw outOfRange(argName, 'a bigint within int64 (Python packs ints as 8 bytes)', `${value}n`);
      return { format: FORMAT_INT, code: CODE_AS_IS };
    case 'boolean':
      return { format: FORMAT_BOOL, code: CODE_AS_IS };
    case 'string': {
      const bytes = Buffer.from(value, 'utf8');
      if (bytes.length > 0 && bytes[bytes.length - 1] === 0) throw invalidArgValue(argName, value, 'ends in NUL, which Python would strip when reading it');
      return { format: 's', code: CODE_STR, bytes };
    }
    case 'object':
      if (value === null) return { format: FORMAT_NONE, code: CODE_NONE };
      if (value instanceof Uint8Array) {
        const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
        if (bytes.length > 0 && bytes[bytes.length - 1] === 0) throw invalidArgValue(argName, 'a Buffer', 'ends in a NUL byte, which Python would strip when reading it');
        return { format: 's', code: CODE_BYTES, bytes };
      }
  }
  throw invalidArgType(argName, 'a number, bigint, boolean, null, string or Buffer (what a Python ShareableList holds)', value);
}

// A new list's slot for a value: 8 bytes, or for str/bytes the bytes rounded
// up to a multiple of 8 with at least one NUL (CPython: 8 * (len // 8 + 1)).
function slotSize(e: Encoded): number {
  return e.bytes === undefined ? ALIGN : ALIGN * (Math.floor(e.bytes.length / ALIGN) + 1);
}

// Bytes that are not what they should be (libuv has no EBADMSG to look up).
function badMessage(what: string, syscall: string, path: string): Error {
  return Object.assign(new Error(`EBADMSG: ${what}`), { code: 'EBADMSG', syscall, path });
}

function sameValue(a: ShareableValue, b: unknown): boolean {
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.compare(a, b) === 0;
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === 'number' || ta === 'bigint') && (tb === 'number' || tb === 'bigint')) return a == b; // eslint-disable-line eqeqeq
  return a === b;
}

// Set in ShareableList's static block: a list over a segment already open
// (attach() opens each segment once for all the handles that live in it).
let listFromSegment: (shm: SharedMemory) => ShareableList;

/** @internal A ShareableList over `shm`, which it then uses (and closes). */
export function shareableListOver(shm: SharedMemory): ShareableList {
  return listFromSegment(shm);
}

/**
 * A fixed-length list in a named segment, in the layout of Python's
 * `multiprocessing.shared_memory.ShareableList`: a Python process opens it
 * with `ShareableList(name=…)`, and Node opens Python's. Items are ints
 * (`number` when safe, else `bigint`), floats, booleans, `null` (None),
 * strings and `Buffer`s (bytes); each keeps the slot it was created with.
 *
 * @example
 * ```ts
 * using list = ShareableList.create(['howdy', 42, 3.5, true, null, Buffer.from('raw')], { name: 'shared-list' });
 * list.set(1, 43);
 * console.log(list.get(0), list.toArray()); // 'howdy' [ 'howdy', 43, 3.5, true, null, <Buffer 72 61 77> ]
 * // Python: ShareableList(name='shared-list')[1] == 43
 * ```
 */
export class ShareableList implements Iterable<ShareableValue> {
  static {
    listFromSegment = (shm) => new ShareableList(shm);
  }

  readonly #shm: SharedMemory;
  /** Where each item's bytes start in the data area; [length] is the area's size. */
  readonly #offsets: number[];
  readonly #length: number;
  readonly #dataStart: number;
  readonly #formatsStart: number;
  readonly #codesStart: number;
  /** Describes the list: what another process needs to open it (its segment's name). */
  declare readonly $shmem: ShareableListDescription;

  private constructor(shm: SharedMemory) {
    this.#shm = shm;
    const buf = shm.buffer;
    const fail = (what: string) => badMessage(`'${shm.name}' is not a ShareableList: ${what}`, 'shareable_list_open', shm.name);
    if (buf.length < 16) throw fail(`${buf.length} bytes`);
    const n = buf.readBigInt64LE(0);
    if (n < 0n || (n + 2n) * 8n > BigInt(buf.length)) throw fail(`a length of ${n}`);
    this.#length = Number(n);
    this.#offsets = [];
    for (let i = 0; i <= this.#length; i++) {
      const o = Number(buf.readBigInt64LE(8 + 8 * i));
      if (!Number.isSafeInteger(o) || o < 0 || (i > 0 && o < this.#offsets[i - 1])) throw fail(`offset ${i} is ${o}`);
      this.#offsets.push(o);
    }
    this.#dataStart = (this.#length + 2) * 8;
    this.#formatsStart = this.#dataStart + this.#offsets[this.#length];
    this.#codesStart = this.#formatsStart + 8 * this.#length;
    if (this.#codesStart + this.#length > buf.length) throw fail(`${buf.length} bytes for ${this.#length} items`);
    defineDescription(this, { kind: 'shareable-list', name: shm.name });
  }

  /**
   * Creates a segment holding `values`, laid out as CPython does. Each item
   * gets a slot of 8 bytes, or for a string or bytes its length rounded up
   * to a multiple of 8 with room for a NUL. Stricter than CPython on what it
   * writes: a string's slot is sized by its UTF-8 bytes (CPython counts
   * characters and then cuts the bytes, gh-88336), and a string or bytes
   * that ends in NUL is refused (Python would strip the NULs when reading,
   * gh-106939).
   *
   * @throws `ERR_INVALID_ARG_TYPE` for a value Python's list cannot hold;
   * `ERR_INVALID_ARG_VALUE` for a string or bytes ending in NUL;
   * `ERR_OUT_OF_RANGE` for a bigint outside int64; and what
   * {@link SharedMemory.create} throws (`EEXIST`, …). A failed create leaves no name.
   *
   * @example
   * ```ts
   * const list = ShareableList.create([1, 2.5, 'three'], { name: 'numbers', unlinkOnExit: true });
   * ```
   */
  static create(values: Iterable<ShareableValue>, options?: ShareableListCreateOptions): ShareableList {
    if (values === null || typeof values !== 'object' || typeof (values as Iterable<unknown>)[Symbol.iterator] !== 'function') {
      throw invalidArgType('values', 'an iterable', values);
    }
    const opts = validateOptions<ShareableListCreateOptions>(options);
    const items = [...values];
    const enc = items.map((v, i) => encode(v, `values[${i}]`));
    const n = enc.length;
    const offsets = [0];
    for (const e of enc) offsets.push(offsets[offsets.length - 1] + slotSize(e));
    const dataStart = (n + 2) * 8;
    const formatsStart = dataStart + offsets[n];
    const size = formatsStart + 9 * n;
    const shm = SharedMemory.create({ name: opts.name, size, mode: opts.mode, unlinkOnExit: opts.unlinkOnExit });
    try {
      const buf = shm.buffer;
      buf.writeBigInt64LE(BigInt(n), 0);
      offsets.forEach((o, i) => buf.writeBigInt64LE(BigInt(o), 8 + 8 * i));
      const list = new ShareableList(shm);
      enc.forEach((e, i) => list.#write(i, items[i], e));
      return list;
    } catch (err) {
      shm.close();
      shm.unlink();
      throw err;
    }
  }

  /**
   * Opens a list by name: one this package or Python's `ShareableList` made.
   * Lists Python made are read as Python reads them.
   *
   * @throws What {@link SharedMemory.open} throws (`ENOENT`, …); `EBADMSG` if
   * the segment does not hold a list.
   *
   * @example
   * ```ts
   * using list = ShareableList.open('numbers');
   * for (const v of list) console.log(v);
   * ```
   */
  static open(name: string): ShareableList {
    const shm = SharedMemory.open(name);
    try {
      return new ShareableList(shm);
    } catch (err) {
      shm.close();
      throw err;
    }
  }

  /** The segment holding the list (not an own property: a list travels as its description alone). */
  get shm(): SharedMemory {
    return this.#shm;
  }

  /** The number of items (fixed when the list was made). */
  get length(): number {
    return this.#length;
  }

  /** True after `close()`: reading or writing items then throws `EBADF`. */
  get closed(): boolean {
    return this.shm.closed;
  }

  #index(i: unknown): number {
    if (typeof i !== 'number') throw invalidArgType('index', 'of type number', i);
    if (!Number.isInteger(i) || i < 0 || i >= this.#length) throw outOfRange('index', `an integer >= 0 and < ${this.#length}`, i);
    return i;
  }

  #buf(syscall: string): Buffer {
    if (this.shm.closed) {
      const err = codeError('EBADF', syscall, this.shm.name);
      err.message = `EBADF: shareable list is closed, ${syscall}`;
      throw err;
    }
    return this.shm.buffer;
  }

  #format(buf: Buffer, i: number): string {
    const at = this.#formatsStart + 8 * i;
    let end = at + 8;
    while (end > at && buf[end - 1] === 0) end--;
    return buf.toString('latin1', at, end);
  }

  #read(buf: Buffer, i: number): ShareableValue {
    const fmt = this.#format(buf, i);
    const code = buf.readInt8(this.#codesStart + i);
    const at = this.#dataStart + this.#offsets[i];
    if (code === CODE_NONE) return null;
    if (fmt === FORMAT_INT) {
      const v = buf.readBigInt64LE(at);
      return v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v;
    }
    if (fmt === FORMAT_FLOAT) return buf.readDoubleLE(at);
    if (fmt === FORMAT_BOOL) return buf[at + 7] !== 0;
    const m = /^([0-9]+)s$/.exec(fmt);
    if (m !== null && (code === CODE_STR || code === CODE_BYTES)) {
      const len = Number(m[1]);
      let end = Math.min(at + len, buf.length);
      while (end > at && buf[end - 1] === 0) end--; // Python's rstrip(b'\0')
      return code === CODE_STR ? buf.toString('utf8', at, end) : Buffer.from(buf.subarray(at, end));
    }
    throw badMessage(`item ${i} of '${this.shm.name}' has format '${fmt}' and code ${code}, which a ShareableList does not write`, 'shareable_list_get', this.shm.name);
  }

  // Writes item i as Python's __setitem__ does, the format and code first.
  #write(i: number, value: unknown, e: Encoded): void {
    const buf = this.shm.buffer;
    const at = this.#dataStart + this.#offsets[i];
    const room = this.#offsets[i + 1] - this.#offsets[i];
    let format = e.format;
    if (e.bytes !== undefined) {
      if (e.bytes.length > room) throw outOfRange('value', `at most ${room} bytes (the slot item ${i} was made with)`, `${e.bytes.length} bytes`);
      const current = this.#format(buf, i);
      format = current.endsWith('s') ? current : `${room}s`;
    }
    const fmtAt = this.#formatsStart + 8 * i;
    buf.fill(0, fmtAt, fmtAt + 8);
    buf.write(format, fmtAt, 'latin1');
    buf.writeInt8(e.code, this.#codesStart + i);
    if (e.bytes !== undefined) {
      const len = Number(/^([0-9]+)s$/.exec(format)![1]);
      buf.fill(0, at, at + len);
      e.bytes.copy(buf, at);
    } else if (e.format === FORMAT_INT) {
      buf.writeBigInt64LE(BigInt(value as number | bigint), at);
    } else if (e.format === FORMAT_FLOAT) {
      buf.writeDoubleLE(value as number, at);
    } else {
      buf.fill(0, at, at + 8);
      if (e.format === FORMAT_BOOL) buf[at + 7] = value ? 1 : 0;
    }
  }

  /**
   * Item `index` (0 ≤ index < length).
   *
   * @throws `ERR_OUT_OF_RANGE` for another index; `EBADF` once closed.
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * const first = list.get(0);
   * ```
   */
  get(index: number): ShareableValue {
    const i = this.#index(index);
    return this.#read(this.#buf('shareable_list_get'), i);
  }

  /**
   * Replaces item `index`: any kind of value (the item may change kind),
   * within the bytes its slot was made with (8 for numbers, booleans and
   * null).
   *
   * @throws `ERR_OUT_OF_RANGE` for a bad index, a string or bytes over the
   * slot, or a bigint outside int64; `ERR_INVALID_ARG_VALUE` for a string or
   * bytes that ends in NUL; `ERR_INVALID_ARG_TYPE` for another kind of value;
   * `EBADF` once closed. Nothing is written then.
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * list.set(0, 'hi');
   * ```
   */
  set(index: number, value: ShareableValue): void {
    const i = this.#index(index);
    this.#buf('shareable_list_set');
    this.#write(i, value, encode(value, 'value'));
  }

  /**
   * As `Array.prototype.at`: a negative index counts from the end; `undefined` out of range.
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * const last = list.at(-1);
   * ```
   */
  at(index: number): ShareableValue | undefined {
    const buf = this.#buf('shareable_list_get');
    let i = Math.trunc(Number(index)) || 0;
    if (i < 0) i += this.#length;
    return i < 0 || i >= this.#length ? undefined : this.#read(buf, i);
  }

  /**
   * Every item, in a new array.
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * console.log(list.toArray());
   * ```
   */
  toArray(): ShareableValue[] {
    const buf = this.#buf('shareable_list_get');
    return Array.from({ length: this.#length }, (_, i) => this.#read(buf, i));
  }

  /**
   * The items in order.
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * for (const v of list) console.log(v);
   * ```
   */
  *[Symbol.iterator](): IterableIterator<ShareableValue> {
    for (let i = 0; i < this.#length; i++) yield this.#read(this.#buf('shareable_list_get'), i);
  }

  /**
   * The first index holding `value` (Buffers compared by content, a number
   * and a bigint by value), or -1.
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * if (list.indexOf('done') >= 0) console.log('finished');
   * ```
   */
  indexOf(value: ShareableValue): number {
    const buf = this.#buf('shareable_list_get');
    for (let i = 0; i < this.#length; i++) if (sameValue(this.#read(buf, i), value)) return i;
    return -1;
  }

  /**
   * How many items equal `value` (as {@link ShareableList.indexOf} compares).
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * console.log(list.count(null));
   * ```
   */
  count(value: ShareableValue): number {
    const buf = this.#buf('shareable_list_get');
    let c = 0;
    for (let i = 0; i < this.#length; i++) if (sameValue(this.#read(buf, i), value)) c++;
    return c;
  }

  /**
   * Closes the segment in this process (the name stays: see `unlink`).
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * list.close();
   * ```
   */
  close(): void {
    this.shm.close();
  }

  /**
   * Removes the name, as {@link SharedMemory.unlink}.
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * list.unlink(); // then close() when done
   * ```
   */
  unlink(): void {
    this.shm.unlink();
  }

  /**
   * `close()`, for `using`.
   *
   * @example
   * ```ts
   * {
   *   using list = ShareableList.open('numbers');
   *   console.log(list.length);
   * } // closed here
   * ```
   */
  [Symbol.dispose](): void {
    if (!this.shm.closed) this.shm.close();
  }

  /**
   * `{ $shmem }`: what `JSON.stringify` writes for a list.
   *
   * @example
   * ```ts
   * declare const list: ShareableList;
   * const text = JSON.stringify({ list }); // {"list":{"$shmem":{"kind":"shareable-list","name":"…"}}}
   * ```
   */
  toJSON(): ShareableListJSON {
    return { $shmem: this.$shmem };
  }
}
