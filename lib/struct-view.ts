// Views of a Struct layout over a segment: a class generated once per layout
// (and per alignment its start is known to have), whose getters and setters
// read and write the segment's bytes through typed arrays shared by every
// view of that segment. A field access is then one typed-array access at a
// constant index from the view's base: no lookup by name, no allocation.
import { endianness } from 'node:os';

import { invalidArgType, invalidArgValue, outOfRange } from './errors';
import { Mutex } from './mutex';
import type { SharedMemory } from './shared-memory';
import { elementAlignment, fieldAlignment, isAligned, type Layout, type ScalarType } from './struct-layout';

/** Typed arrays over a segment's whole ArrayBuffer, shared by its views. */
export interface Memory {
  readonly buf: Buffer;
  readonly u8: Uint8Array;
  readonly i8: Int8Array;
  readonly i16: Int16Array;
  readonly u16: Uint16Array;
  readonly i32: Int32Array;
  readonly u32: Uint32Array;
  readonly i64: BigInt64Array;
  readonly u64: BigUint64Array;
  readonly f32: Float32Array;
  readonly f64: Float64Array;
  readonly dv: DataView;
}

const memories = new WeakMap<ArrayBufferLike, Memory>();

export function memoryOf(shm: SharedMemory): Memory {
  const ab = shm.buffer.buffer;
  let m = memories.get(ab);
  if (m === undefined) {
    const n = ab.byteLength;
    m = {
      buf: Buffer.from(ab, 0, n),
      u8: new Uint8Array(ab, 0, n),
      i8: new Int8Array(ab, 0, n),
      i16: new Int16Array(ab, 0, n >> 1),
      u16: new Uint16Array(ab, 0, n >> 1),
      i32: new Int32Array(ab, 0, n >> 2),
      u32: new Uint32Array(ab, 0, n >> 2),
      i64: new BigInt64Array(ab, 0, n >> 3),
      u64: new BigUint64Array(ab, 0, n >> 3),
      f32: new Float32Array(ab, 0, n >> 2),
      f64: new Float64Array(ab, 0, n >> 3),
      dv: new DataView(ab, 0, n),
    };
    memories.set(ab, m);
  }
  return m;
}

/** Which typed array of a Memory holds a scalar type, and its element size's log2. */
export const ARRAY_OF: Readonly<Record<Exclude<ScalarType, 'bool'>, { key: keyof Memory; shift: number; dv: string }>> = {
  i8: { key: 'i8', shift: 0, dv: 'Int8' },
  u8: { key: 'u8', shift: 0, dv: 'Uint8' },
  i16: { key: 'i16', shift: 1, dv: 'Int16' },
  u16: { key: 'u16', shift: 1, dv: 'Uint16' },
  i32: { key: 'i32', shift: 2, dv: 'Int32' },
  u32: { key: 'u32', shift: 2, dv: 'Uint32' },
  i64: { key: 'i64', shift: 3, dv: 'BigInt64' },
  u64: { key: 'u64', shift: 3, dv: 'BigUint64' },
  f32: { key: 'f32', shift: 2, dv: 'Float32' },
  f64: { key: 'f64', shift: 3, dv: 'Float64' },
};

const TYPED_ARRAY = {
  i8: Int8Array, u8: Uint8Array, i16: Int16Array, u16: Uint16Array, i32: Int32Array, u32: Uint32Array,
  i64: BigInt64Array, u64: BigUint64Array, f32: Float32Array, f64: Float64Array,
} as const;

const LITTLE_ENDIAN = endianness() === 'LE';

/** Where a view is and what it is a view of. */
export interface ViewInfo {
  readonly shm: SharedMemory;
  readonly memory: Memory;
  /** Byte offset of the view in the segment. */
  readonly base: number;
  readonly layout: Layout;
  /** The alignment the view's start is known to have. */
  readonly guaranteed: number;
}

const infos = new WeakMap<object, ViewInfo>();

export function viewInfo(view: unknown): ViewInfo | undefined {
  return typeof view === 'object' && view !== null ? infos.get(view) : undefined;
}

// ---- conversions the generated setters call ------------------------------

/** A 64-bit field's value: a bigint, or a safe integer. */
export function toBig(v: unknown, name: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return BigInt(v);
    throw outOfRange(name, 'a bigint or a safe integer', v);
  }
  throw invalidArgType(name, 'of type bigint or number', v);
}

function toBool(v: unknown, name: string): number {
  if (typeof v !== 'boolean') throw invalidArgType(name, 'of type boolean', v);
  return v ? 1 : 0;
}

function readChars(m: Memory, at: number, n: number): string | undefined {
  if (m.buf.length === 0) return undefined; // closed, as the numbers read
  const end = Math.min(at + n, m.buf.length);
  let stop = m.buf.indexOf(0, at);
  if (stop < 0 || stop > end) stop = end;
  return m.buf.toString('utf8', at, stop);
}

function writeChars(m: Memory, at: number, n: number, v: unknown, name: string): void {
  if (typeof v !== 'string') throw invalidArgType(name, 'of type string', v);
  const len = Buffer.byteLength(v);
  if (len > n) throw outOfRange(name, `at most ${n} bytes of UTF-8 (char[${n}])`, `${len} bytes`);
  if (v.includes('\0')) throw invalidArgValue(name, v, 'must not contain NUL (char fields end at the first NUL)');
  if (m.buf.length === 0) return; // closed: writes go nowhere, as a typed array's do
  m.buf.write(v, at, len, 'utf8');
  m.buf.fill(0, at + len, at + n);
}

// ---- code generation -----------------------------------------------------

type Helpers = {
  toBig: typeof toBig;
  toBool: typeof toBool;
  readChars: typeof readChars;
  writeChars: typeof writeChars;
  infos: typeof infos;
  LE: boolean;
};

const HELPERS: Helpers = { toBig, toBool, readChars, writeChars, infos, LE: LITTLE_ENDIAN };

export interface ViewClass {
  new (info: ViewInfo, subs: Record<string, unknown>, description: object): object;
}

/**
 * The view class of a layout for starts aligned to `guaranteed` bytes: its
 * accessors, generated as source once and compiled with `new Function`. Field
 * names are identifiers (checked at define), offsets integers.
 */
export function generateViewClass(layout: Layout, guaranteed: number): ViewClass {
  const used = new Set<string>();
  const members: string[] = [];
  const subs: string[] = [];
  for (const f of layout.fields) {
    const n = f.name;
    const label = JSON.stringify(n);
    switch (f.kind) {
      case 'scalar': {
        if (f.scalar === 'bool') {
          used.add('u8');
          // (undefined once the segment is closed, as the numbers read)
          members.push(`get ${n}() { const v = this.#u8[this.#b + ${f.offset}]; return v === undefined ? undefined : v !== 0; }`);
          members.push(`set ${n}(v) { this.#u8[this.#b + ${f.offset}] = H.toBool(v, ${label}); }`);
          break;
        }
        const a = ARRAY_OF[f.scalar!];
        const big = f.scalar === 'i64' || f.scalar === 'u64';
        const value = big ? `H.toBig(v, ${label})` : 'v';
        if (isAligned(f, guaranteed)) {
          used.add(a.key);
          const index = `this.#b${1 << a.shift} + ${f.offset >> a.shift}`;
          members.push(`get ${n}() { return this.#${a.key}[${index}]; }`);
          members.push(`set ${n}(v) { this.#${a.key}[${index}] = ${value}; }`);
        } else {
          used.add('dv');
          members.push(`get ${n}() { return this.#dv.get${a.dv}(this.#b + ${f.offset}, H.LE); }`);
          members.push(`set ${n}(v) { this.#dv.set${a.dv}(this.#b + ${f.offset}, ${value}, H.LE); }`);
        }
        break;
      }
      case 'chars':
        members.push(`get ${n}() { return H.readChars(this.#m, this.#b + ${f.offset}, ${f.count}); }`);
        members.push(`set ${n}(v) { H.writeChars(this.#m, this.#b + ${f.offset}, ${f.count}, v, ${label}); }`);
        break;
      default:
        // A typed array, a nested view, an array of views or a Mutex, made once per view.
        subs.push(`this.#f_${n} = subs[${label}];`);
        members.push(`#f_${n};`);
        members.push(`get ${n}() { return this.#f_${n}; }`);
    }
  }
  const fieldsOf = [...used].map((k) => `#${k};`).join(' ');
  const bases = [1, 2, 4, 8].map((s) => `#b${s};`).join(' ');
  const src = `
    'use strict';
    return class StructView {
      #m; #b; ${bases} ${fieldsOf}
      constructor(info, subs, description) {
        const m = info.memory;
        const b = info.shm.buffer.byteOffset + info.base; // in the ArrayBuffer m's arrays view from 0
        this.#m = m;
        this.#b = b;
        this.#b1 = b; this.#b2 = b >> 1; this.#b4 = b >> 2; this.#b8 = b >> 3;
        ${[...used].map((k) => `this.#${k} = m.${k};`).join(' ')}
        ${subs.join(' ')}
        Object.defineProperty(this, '$shmem', { value: Object.freeze(description), enumerable: true });
        H.infos.set(this, info);
      }
      toJSON() { return { $shmem: this.$shmem }; }
      ${members.join('\n      ')}
    };`;
  return new Function('H', src)(HELPERS) as ViewClass;
}

/** Makes the typed arrays, nested views and mutexes of a view at `base` (all validated before). */
export function makeSubs(
  info: ViewInfo,
  create: boolean,
  nestedView: (layout: Layout, shm: SharedMemory, base: number, guaranteed: number, create: boolean) => object,
): Record<string, unknown> {
  const subs: Record<string, unknown> = {};
  const ab = info.shm.buffer.buffer;
  const start = info.shm.buffer.byteOffset + info.base;
  for (const f of info.layout.fields) {
    const at = fieldAlignment(f, info.guaranteed);
    if (f.kind === 'array') {
      subs[f.name] = new TYPED_ARRAY[f.scalar as Exclude<ScalarType, 'bool'>](ab as ArrayBuffer, start + f.offset, f.count);
    } else if (f.kind === 'mutex') {
      subs[f.name] = create ? Mutex.create(info.shm, info.base + f.offset) : Mutex.attach(info.shm, info.base + f.offset);
    } else if (f.kind === 'struct') {
      subs[f.name] = nestedView(f.inner!, info.shm, info.base + f.offset, at, create);
    } else if (f.kind === 'structArray') {
      const inner = f.inner!;
      // One class for all the elements, for the least aligned.
      const step = elementAlignment(inner, at);
      const items: object[] = [];
      for (let i = 0; i < f.count!; i++) items.push(nestedView(inner, info.shm, info.base + f.offset + i * inner.size, step, create));
      subs[f.name] = Object.freeze(items);
    }
  }
  return subs;
}
