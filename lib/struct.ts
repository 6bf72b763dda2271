// Struct: a C-compatible layout defined once, and live typed views of it over
// a segment, with atomic operations and cross-process wait/notify on its
// fields. The layout arithmetic is in struct-layout.ts, the generated views
// in struct-view.ts, the C and ctypes declarations in struct-c.ts.
import { closedError, invalidArgType, invalidArgValue, outOfRange } from './errors';
import type { Mutex } from './mutex';
import { SharedMemory } from './shared-memory';
import { toC, toCtypes } from './struct-c';
import { computeLayout, type HasLayout, isAligned, type Layout, type PlacedField } from './struct-layout';
import { ARRAY_OF, generateViewClass, makeSubs, memoryOf, toBig, type ViewClass, type ViewInfo, viewInfo } from './struct-view';
import { notify, wait, waitAsync, type WaitResult } from './wait';

/** The scalar field types: integers (64-bit ones read as `bigint`), floats, and a 1-byte `bool`. */
export type StructScalarType = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'f32' | 'f64' | 'bool';

/** The numeric types, which also make arrays (`'i32[8]'`). */
export type StructNumericType = Exclude<StructScalarType, 'bool'>;

/**
 * A field's type in {@link Struct.define}:
 *
 * - `i8 u8 i16 u16 i32 u32 i64 u64`: integers. The 64-bit ones read as a
 *   `bigint` and are written from a `bigint` or a safe integer; the others
 *   convert as a typed-array store does.
 * - `f32 f64`: floats, converted as a typed-array store does.
 * - `bool`: 1 byte; any non-zero byte reads `true`; writes take a boolean.
 * - `char[N]`: a UTF-8 string, NUL-padded in N bytes (exactly N bytes fit).
 * - `T[N]` of a numeric type: a live typed array over the segment
 *   ({@link StructArrayOf}); `Atomics` and shmem's {@link wait} and
 *   {@link notify} work on its elements.
 * - another layout: a nested view; `[layout, N]`: a frozen array of N views
 *   (`t.pts[3].x`).
 * - `'mutex'`: a {@link Mutex}, 16 bytes aligned to 8.
 */
export type StructFieldType =
  | StructScalarType
  | `char[${number}]`
  | `${StructNumericType}[${number}]`
  | 'mutex'
  | StructLayout<any> // eslint-disable-line @typescript-eslint/no-explicit-any
  | readonly [StructLayout<any>, number]; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Fields: an object (insertion order) or `[name, type]` pairs. */
export type StructFields = { readonly [name: string]: StructFieldType } | ReadonlyArray<readonly [string, StructFieldType]>;

/** The typed array a `'T[N]'` field reads as. */
export type StructArrayOf<T extends string> = T extends `i8[${number}]` ? Int8Array
  : T extends `u8[${number}]` ? Uint8Array
  : T extends `i16[${number}]` ? Int16Array
  : T extends `u16[${number}]` ? Uint16Array
  : T extends `i32[${number}]` ? Int32Array
  : T extends `u32[${number}]` ? Uint32Array
  : T extends `i64[${number}]` ? BigInt64Array
  : T extends `u64[${number}]` ? BigUint64Array
  : T extends `f32[${number}]` ? Float32Array
  : T extends `f64[${number}]` ? Float64Array
  : never;

/** What a field of type `T` reads as. */
export type StructFieldValue<T> = T extends 'i64' | 'u64' ? bigint
  : T extends 'bool' ? boolean
  : T extends StructNumericType ? number
  : T extends 'mutex' ? Mutex
  : T extends `char[${number}]` ? string
  : T extends string ? StructArrayOf<T>
  : T extends StructLayout<infer G> ? StructView<G>
  : T extends readonly [StructLayout<infer G>, number] ? readonly StructView<G>[]
  : never;

/** Fields given as `[name, type]` pairs, as the object they stand for. */
export type StructFieldsObject<F> = F extends ReadonlyArray<readonly [string, StructFieldType]> ? { [P in F[number] as P[0]]: P[1] } : F;

/** Whether a field of type `T` can be assigned (scalars and `char[N]`; the others are read-only objects). */
export type StructSettable<T> = T extends StructScalarType | `char[${number}]` ? true : false;

/** The JSON-safe description a view carries in `$shmem`: enough to attach it again elsewhere. */
export interface StructDescription {
  /** What kind of handle this describes. */
  kind: 'struct';
  /** The segment's name. */
  name: string;
  /** The view's byte offset in the segment. */
  offset: number;
  /** The layout, as {@link StructLayout.toJSON} gives it. */
  layout: StructLayoutDescription;
}

/** A layout as plain data: `Struct.define(d.fields, { pack: d.pack })` makes it again. */
export interface StructLayoutDescription {
  /** The fields in order, as `[name, type]`, nested layouts as their descriptions. */
  fields: Array<[string, string | StructLayoutDescription | [StructLayoutDescription, number]]>;
  /** The `pack` option, if one was given. */
  pack?: 1 | 2 | 4 | 8;
}

/**
 * A live view of a layout over a segment: each field a property that reads
 * and writes the segment's bytes (`bigint` for 64-bit integers, `number` for
 * the other numbers, `boolean`, `string` for `char[N]`; typed arrays, nested
 * views and {@link Mutex}es read-only). The accessors are generated once per
 * layout: a field access is one typed-array access (a scalar that `pack`
 * left misaligned goes through a `DataView`).
 *
 * A write that is not allowed throws before anything is written: a `char[N]`
 * value over N bytes, or a 64-bit value that is neither a `bigint` nor a
 * safe integer, `ERR_OUT_OF_RANGE`; a `char[N]` value with a NUL
 * `ERR_INVALID_ARG_VALUE`; a value of the wrong type (a `bool` field takes
 * only a boolean) `ERR_INVALID_ARG_TYPE`. After the segment is closed a
 * view reads `undefined` (a `DataView` field throws) and writes go nowhere;
 * it never crashes.
 *
 * Its only own property is `$shmem`, its JSON-safe description (see
 * {@link StructDescription}); `JSON.stringify` gives `{ $shmem }`, and so
 * does structured clone.
 */
export type StructView<F> = {
  -readonly [K in keyof StructFieldsObject<F> as StructSettable<StructFieldsObject<F>[K]> extends true ? K : never]: StructFieldValue<StructFieldsObject<F>[K]>;
} & {
  readonly [K in keyof StructFieldsObject<F> as StructSettable<StructFieldsObject<F>[K]> extends true ? never : K]: StructFieldValue<StructFieldsObject<F>[K]>;
} & StructViewBase;

/** What every Struct view has besides its fields. */
export interface StructViewBase {
  /** Where the view is and what layout it has: what {@link Struct} needs to attach it again elsewhere. */
  readonly $shmem: StructDescription;
  /**
   * `{ $shmem }`: what `JSON.stringify` writes for a view.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64' });
   * const text = JSON.stringify({ stats: Stats.attach(shm) }); // {"stats":{"$shmem":{"kind":"struct",...}}}
   * ```
   */
  toJSON(): StructHandleJSON;
}

/** A view as JSON: its description alone. */
export interface StructHandleJSON {
  /** As {@link StructViewBase.$shmem}. */
  $shmem: StructDescription;
}

/** Options for {@link Struct.define}. */
export interface StructOptions {
  /**
   * As ctypes' `_pack_` and C's `#pragma pack(n)`: no field aligned to more
   * than this. A `mutex` or `T[N]` field it would leave misaligned is refused
   * at define; a scalar it leaves misaligned is read and written through a
   * `DataView`, and takes no atomic operations.
   */
  pack?: 1 | 2 | 4 | 8;
}

/** One field, as {@link StructLayout.fields} lists it. */
export interface StructFieldInfo {
  /** The field's name. */
  name: string;
  /** As given to define: a type string, a layout, or [layout, N]. */
  type: StructFieldType;
  /** Its byte offset from the start of an instance. */
  offset: number;
  /** The bytes it takes. */
  size: number;
}

type IntegerField = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64';

const layouts = new WeakSet<object>();

function isLayout(v: unknown): v is HasLayout {
  return typeof v === 'object' && v !== null && layouts.has(v);
}

function describeLayout(layout: Layout): StructLayoutDescription {
  const fields = layout.fields.map((f): [string, string | StructLayoutDescription | [StructLayoutDescription, number]] => {
    if (f.kind === 'struct') return [f.name, describeLayout(f.inner!)];
    if (f.kind === 'structArray') return [f.name, [describeLayout(f.inner!), f.count!]];
    return [f.name, f.spec as string];
  });
  return layout.pack === undefined ? { fields } : { fields, pack: layout.pack as 1 | 2 | 4 | 8 };
}

/**
 * A layout made by {@link Struct.define}: its size, alignment and offsets,
 * views of it over segments, atomic operations on its fields, and the
 * matching C and Python declarations. Two layouts defined alike are
 * interchangeable.
 *
 * @example
 * ```ts
 * const Point = Struct.define({ x: 'f32', y: 'f32' });
 * console.log(Point.size, Point.align, Point.offsetOf('y')); // 8 4 4
 * ```
 */
export class StructLayout<F = StructFields> {
  /** @internal */
  readonly layout: Layout;
  readonly #classes = new Map<number, ViewClass>();
  readonly #description: StructLayoutDescription;

  /** @internal */
  constructor(layout: Layout) {
    this.layout = layout;
    this.#description = describeLayout(layout);
    layouts.add(this);
  }

  /** Bytes one instance takes (a multiple of {@link StructLayout.align}). */
  get size(): number {
    return this.layout.size;
  }

  /** Its alignment: a view's offset must be a multiple of it. */
  get align(): number {
    return this.layout.align;
  }

  /** The `pack` it was defined with, if any. */
  get pack(): number | undefined {
    return this.layout.pack;
  }

  /** Its fields in order: `{ name, type, offset, size }`. */
  get fields(): StructFieldInfo[] {
    return this.layout.fields.map((f) => ({ name: f.name, type: f.spec as StructFieldType, offset: f.offset, size: f.size }));
  }

  /**
   * The byte offset of a field from the start of an instance.
   *
   * @throws `ERR_INVALID_ARG_VALUE` if there is no such field.
   *
   * @example
   * ```ts
   * const Stats = Struct.define({ hits: 'u64', ratio: 'f64' });
   * console.log(Stats.offsetOf('ratio')); // 8
   * ```
   */
  offsetOf(field: keyof StructFieldsObject<F> & string): number {
    return this.#field(field).offset;
  }

  #field(field: unknown): PlacedField {
    if (typeof field !== 'string') throw invalidArgType('field', 'of type string', field);
    const f = this.layout.byName.get(field);
    if (f === undefined) throw invalidArgValue('field', field, 'is not a field of this layout');
    return f;
  }

  #place(shm: unknown, offset: unknown, syscall: string): { shm: SharedMemory; offset: number } {
    if (!(shm instanceof SharedMemory)) throw invalidArgType('shm', 'an instance of SharedMemory', shm);
    if (shm.closed) throw closedError('shared memory', syscall);
    const at = offset === undefined ? 0 : offset;
    if (typeof at !== 'number') throw invalidArgType('offset', 'of type number', at);
    const { size, align } = this.layout;
    if (!Number.isInteger(at) || at < 0 || at % align !== 0 || at + size > shm.size) {
      throw outOfRange('offset', `an integer >= 0, a multiple of ${align}, and <= ${shm.size - size} (the segment has ${shm.size} bytes, the struct ${size})`, at);
    }
    return { shm, offset: at };
  }

  #classFor(guaranteed: number): ViewClass {
    const g = Math.min(guaranteed, 4096); // beyond a page nothing needs more
    let cls = this.#classes.get(g);
    if (cls === undefined) {
      cls = generateViewClass(this.layout, g);
      this.#classes.set(g, cls);
    }
    return cls;
  }

  /** @internal A view at `base`, its start known to be aligned to `guaranteed`. */
  view(shm: SharedMemory, base: number, guaranteed: number, create: boolean): StructView<F> {
    const info: ViewInfo = { shm, memory: memoryOf(shm), base, layout: this.layout, guaranteed };
    const subs = makeSubs(info, create, (inner, s, b, g, c) => layoutOf(inner).view(s, b, g, c));
    const description: StructDescription = { kind: 'struct', name: shm.name, offset: base, layout: this.#description };
    return new (this.#classFor(guaranteed))(info, subs, description) as StructView<F>;
  }

  /**
   * Zero-fills this layout's bytes at `offset` of `shm`, initialises its
   * `mutex` fields, and returns a view. Do it once, before other processes
   * {@link StructLayout.attach}.
   *
   * @throws `ERR_INVALID_ARG_TYPE` if `shm` is not a SharedMemory; `EBADF` if
   * it is closed; `ERR_OUT_OF_RANGE` for an offset that is negative, not an
   * integer, not a multiple of {@link StructLayout.align}, or too close to
   * the end.
   *
   * @example
   * ```ts
   * const Stats = Struct.define({ hits: 'u64', lock: 'mutex' });
   * using shm = SharedMemory.create({ size: 4096 });
   * const s = Stats.create(shm);
   * s.lock.withLockSync(() => { s.hits += 1n; });
   * ```
   */
  create(shm: SharedMemory, offset = 0): StructView<F> {
    const place = this.#place(shm, offset, 'struct_create');
    place.shm.buffer.fill(0, place.offset, place.offset + this.layout.size);
    return this.view(place.shm, place.offset, this.layout.align, true);
  }

  /**
   * A view of an instance that {@link StructLayout.create} made at `offset` of
   * `shm`, in this process or another.
   *
   * @throws As {@link StructLayout.create}; `ERR_INVALID_ARG_VALUE` if a
   * `mutex` field holds no Mutex (the instance was never created).
   *
   * @example
   * ```ts
   * using shm = SharedMemory.open('stats');
   * const Stats = Struct.define({ hits: 'u64', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * s.lock.withLockSync(() => { s.hits += 1n; });
   * ```
   */
  attach(shm: SharedMemory, offset = 0): StructView<F> {
    const place = this.#place(shm, offset, 'struct_attach');
    return this.view(place.shm, place.offset, this.layout.align, false);
  }

  // The typed array and index of an integer field of a view, for Atomics.
  #target(view: unknown, field: unknown, syscall: string, only32 = false): { arr: Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array; index: number; big: boolean; f: PlacedField; info: ViewInfo } {
    const info = viewInfo(view);
    if (info === undefined) throw invalidArgType('view', 'a view made by a Struct layout\'s create() or attach()', view);
    if (info.layout.signature !== this.layout.signature) throw invalidArgValue('view', 'a view', 'is a view of another layout');
    const f = this.#field(field);
    if (f.kind !== 'scalar' || f.scalar === 'f32' || f.scalar === 'f64' || f.scalar === 'bool') {
      throw invalidArgValue('field', f.name, `is of type ${typeof f.spec === 'string' ? f.spec : 'struct'}; atomic operations take integer fields (i8 … u64)`);
    }
    if (only32 && f.scalar !== 'i32' && f.scalar !== 'u32') throw invalidArgValue('field', f.name, `is of type ${f.scalar}; wait and notify take i32 and u32 fields`);
    if (!isAligned(f, info.guaranteed)) throw invalidArgValue('field', f.name, `is not aligned to ${f.natural} bytes (pack ${this.layout.pack}): atomic operations need it`);
    if (info.shm.closed) throw closedError('shared memory', syscall);
    const a = ARRAY_OF[f.scalar as IntegerField];
    const arr = (only32 ? info.memory.i32 : info.memory[a.key]) as Int32Array;
    return { arr, index: (info.shm.buffer.byteOffset + info.base + f.offset) >> a.shift, big: a.shift === 3, f, info };
  }

  #value(v: unknown, big: boolean, name = 'value'): number | bigint {
    if (big) return toBig(v, name);
    if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
    return v;
  }

  // One of Atomics' read-modify-writes on a field: validated, converted, done.
  #modify(op: (a: Int32Array, i: number, v: number) => number, view: unknown, field: unknown, value: unknown, syscall: string): number | bigint {
    const t = this.#target(view, field, syscall);
    return op(t.arr as Int32Array, t.index, this.#value(value, t.big) as number);
  }

  /**
   * `Atomics.load` on an integer field (64-bit ones as `bigint`).
   *
   * @throws As {@link StructLayout.add}.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * const hits = Stats.load(s, 'hits'); // a bigint
   * ```
   */
  load(view: StructView<F>, field: keyof StructFieldsObject<F> & string): number | bigint {
    const t = this.#target(view, field, 'struct_load');
    return Atomics.load(t.arr as Int32Array, t.index);
  }

  /**
   * `Atomics.store`; returns the value stored.
   *
   * @throws As {@link StructLayout.add}.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * Stats.store(s, 'flags', 1);
   * ```
   */
  store(view: StructView<F>, field: keyof StructFieldsObject<F> & string, value: number | bigint): number | bigint {
    const t = this.#target(view, field, 'struct_store');
    return Atomics.store(t.arr as Int32Array, t.index, this.#value(value, t.big) as number);
  }

  /**
   * `Atomics.add` on an integer field, across processes; returns the old
   * value. As in every atomic operation of a layout, a 64-bit field takes a
   * `bigint` or a safe integer and gives back a `bigint`.
   *
   * @throws `ERR_INVALID_ARG_VALUE` for an unknown field, one that is not an
   * integer (a float, a `bool`), one `pack` left misaligned, or a view of
   * another layout; `ERR_INVALID_ARG_TYPE` if `view` is not a Struct view or
   * the value is of the wrong type; `ERR_OUT_OF_RANGE` for a 64-bit value
   * that is a number but not a safe integer; `EBADF` once the segment is
   * closed. Nothing is written then.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32' });
   * const s = Stats.attach(shm);
   * Stats.add(s, 'hits', 1n);
   * ```
   */
  add(view: StructView<F>, field: keyof StructFieldsObject<F> & string, value: number | bigint): number | bigint {
    return this.#modify(Atomics.add, view, field, value, 'struct_add');
  }

  /**
   * `Atomics.sub`; returns the old value.
   *
   * @throws As {@link StructLayout.add}.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * Stats.sub(s, 'hits', 1n);
   * ```
   */
  sub(view: StructView<F>, field: keyof StructFieldsObject<F> & string, value: number | bigint): number | bigint {
    return this.#modify(Atomics.sub, view, field, value, 'struct_sub');
  }

  /**
   * `Atomics.and`; returns the old value.
   *
   * @throws As {@link StructLayout.add}.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * Stats.and(s, 'flags', ~4); // clear bit 2
   * ```
   */
  and(view: StructView<F>, field: keyof StructFieldsObject<F> & string, value: number | bigint): number | bigint {
    return this.#modify(Atomics.and, view, field, value, 'struct_and');
  }

  /**
   * `Atomics.or`; returns the old value.
   *
   * @throws As {@link StructLayout.add}.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * Stats.or(s, 'flags', 4); // set bit 2
   * ```
   */
  or(view: StructView<F>, field: keyof StructFieldsObject<F> & string, value: number | bigint): number | bigint {
    return this.#modify(Atomics.or, view, field, value, 'struct_or');
  }

  /**
   * `Atomics.xor`; returns the old value.
   *
   * @throws As {@link StructLayout.add}.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * Stats.xor(s, 'flags', 4); // flip bit 2
   * ```
   */
  xor(view: StructView<F>, field: keyof StructFieldsObject<F> & string, value: number | bigint): number | bigint {
    return this.#modify(Atomics.xor, view, field, value, 'struct_xor');
  }

  /**
   * `Atomics.exchange`; returns the old value.
   *
   * @throws As {@link StructLayout.add}.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * const before = Stats.exchange(s, 'flags', 0);
   * ```
   */
  exchange(view: StructView<F>, field: keyof StructFieldsObject<F> & string, value: number | bigint): number | bigint {
    return this.#modify(Atomics.exchange, view, field, value, 'struct_exchange');
  }

  /**
   * `Atomics.compareExchange`: stores `replacement` if the field holds `expected`; returns the old value.
   *
   * @throws As {@link StructLayout.add}.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * if (Stats.compareExchange(s, 'flags', 0, 1) === 0) console.log('we set it');
   * ```
   */
  compareExchange(view: StructView<F>, field: keyof StructFieldsObject<F> & string, expected: number | bigint, replacement: number | bigint): number | bigint {
    const t = this.#target(view, field, 'struct_compare_exchange');
    return Atomics.compareExchange(t.arr as Int32Array, t.index, this.#value(expected, t.big, 'expected') as number, this.#value(replacement, t.big, 'replacement') as number);
  }

  /**
   * Sleeps while an `i32`/`u32` field holds `value`, until {@link StructLayout.notify}
   * from any process, or `timeoutMs`; as shmem's {@link wait}.
   *
   * @throws `ERR_INVALID_ARG_VALUE` for a field that is not `i32`/`u32`; as
   * {@link StructLayout.add} and {@link wait}.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * while (Stats.load(s, 'flags') === 0) Stats.wait(s, 'flags', 0); // until another process stores and notifies
   * ```
   */
  wait(view: StructView<F>, field: keyof StructFieldsObject<F> & string, value: number, timeoutMs?: number): WaitResult {
    const t = this.#target(view, field, 'struct_wait', true);
    return wait(t.arr as Int32Array, t.index, this.#value(value, false) as number, timeoutMs);
  }

  /**
   * As {@link StructLayout.wait}, without blocking the thread (shmem's {@link waitAsync}).
   * Errors reject the promise.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * const result = await Stats.waitAsync(s, 'flags', 0, 1000); // 'ok', 'not-equal' or 'timed-out'
   * ```
   */
  waitAsync(view: StructView<F>, field: keyof StructFieldsObject<F> & string, value: number, timeoutMs?: number): Promise<WaitResult> {
    try {
      const t = this.#target(view, field, 'struct_wait', true);
      return waitAsync(t.arr as Int32Array, t.index, this.#value(value, false) as number, timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Wakes up to `count` (default all) waiters on an `i32`/`u32` field, in any process; returns how many.
   *
   * @throws As {@link StructLayout.wait}; as {@link notify} for a bad count.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * Stats.store(s, 'flags', 1);
   * Stats.notify(s, 'flags');
   * ```
   */
  notify(view: StructView<F>, field: keyof StructFieldsObject<F> & string, count?: number): number {
    const t = this.#target(view, field, 'struct_notify', true);
    return notify(t.arr as Int32Array, t.index, count);
  }

  /**
   * A C11 declaration with the same offsets: `typedef struct { … } name;`
   * (nested layouts first, as `name_field`), with a `_Static_assert` on the
   * size. A mutex is opaque there: `uint64_t field[2]`.
   *
   * @example
   * ```ts
   * const Stats = Struct.define({ hits: 'u64', tag: 'char[16]' });
   * console.log(Stats.toC('stats_t')); // typedef struct { uint64_t hits; char tag[16]; } stats_t; ...
   * ```
   */
  toC(name: string): string {
    return toC(this.layout, name);
  }

  /**
   * Python source for a matching `ctypes.Structure` subclass, with the same
   * offsets: in Python, `Name.from_buffer(shm.buf, offset)` is a view of the
   * same bytes.
   *
   * @example
   * ```ts
   * const Stats = Struct.define({ hits: 'u64', tag: 'char[16]' });
   * console.log(Stats.toCtypes('Stats')); // class Stats(ctypes.Structure): ...
   * ```
   */
  toCtypes(name: string): string {
    return toCtypes(this.layout, name);
  }

  /**
   * The layout as plain data (see {@link StructLayoutDescription}).
   *
   * @example
   * ```ts
   * const Point = Struct.define({ x: 'f32', y: 'f32' }, { pack: 4 });
   * const again = Struct.define(Point.toJSON().fields as Array<[string, 'f32']>, { pack: 4 });
   * ```
   */
  toJSON(): StructLayoutDescription {
    return this.#description;
  }
}

// Every Layout has its StructLayout (nested ones included).
const ofLayout = new WeakMap<Layout, StructLayout<unknown>>();

function layoutOf(layout: Layout): StructLayout<unknown> {
  let l = ofLayout.get(layout);
  if (l === undefined) {
    l = new StructLayout(layout);
    ofLayout.set(layout, l);
  }
  return l;
}

/**
 * C-compatible layouts over shared memory: define one, then make live typed
 * views of it over segments, in as many processes as you like.
 *
 * @example
 * ```ts
 * const Point = Struct.define({ x: 'f32', y: 'f32' });
 * const Stats = Struct.define({ hits: 'u64', tag: 'char[16]', where: Point, lock: 'mutex' });
 * using shm = SharedMemory.create({ size: 4096 });
 * const s = Stats.create(shm);
 * s.lock.withLockSync(() => { s.hits += 1n; });
 * s.where.x = 1.5;
 * Stats.add(s, 'hits', 1n); // atomic
 * ```
 */
export class Struct {
  private constructor() {}

  /**
   * Defines a layout: `fields` as an object (insertion order) or `[name, type]`
   * pairs. Types: `i8 u8 i16 u16 i32 u32 i64 u64 f32 f64 bool`, `char[N]`,
   * a numeric type `[N]`, `'mutex'`, another layout, or `[layout, N]` (what
   * each reads as: {@link StructFieldType}). Names are identifiers of at most
   * 63 characters, not `toJSON`, `constructor` or `__proto__`.
   *
   * The layout is C's: each field at its natural alignment (or as
   * {@link StructOptions.pack} says), the size rounded up to the largest
   * alignment, in native byte order; so {@link StructLayout.toC} and
   * {@link StructLayout.toCtypes} declare the same bytes.
   *
   * @throws `ERR_INVALID_ARG_VALUE` for no fields, an unknown type, a bad or
   * repeated name, a count that is not a positive integer, a bad `pack`, or
   * a mutex or typed array that `pack` would leave misaligned;
   * `ERR_INVALID_ARG_TYPE` if `fields` is neither an object nor an array.
   *
   * @example
   * ```ts
   * const Point = Struct.define({ x: 'f32', y: 'f32' });
   * const Stats = Struct.define([['hits', 'u64'], ['where', Point], ['pts', [Point, 10]], ['lock', 'mutex']]);
   * ```
   */
  static define<const F extends StructFields>(fields: F, options?: StructOptions): StructLayout<F> {
    if (options !== undefined && (options === null || typeof options !== 'object')) throw invalidArgType('options', 'of type object', options);
    const layout = computeLayout(fields, options?.pack, isLayout);
    const l = new StructLayout<F>(layout);
    ofLayout.set(layout, l as StructLayout<unknown>);
    return l;
  }

  /**
   * The SharedMemory a view lives in.
   *
   * @throws `ERR_INVALID_ARG_TYPE` if `view` is not a Struct view.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * Struct.segmentOf(s).close(); // the segment the view lives in
   * ```
   */
  static segmentOf(view: object): SharedMemory {
    const info = viewInfo(view);
    if (info === undefined) throw invalidArgType('view', 'a view made by a Struct layout\'s create() or attach()', view);
    return info.shm;
  }

  /**
   * The layout a view was made with.
   *
   * @throws `ERR_INVALID_ARG_TYPE` if `view` is not a Struct view.
   *
   * @example
   * ```ts
   * declare const shm: SharedMemory;
   * const Stats = Struct.define({ hits: 'u64', flags: 'u32', lock: 'mutex' });
   * const s = Stats.attach(shm);
   * console.log(Struct.layoutOf(s).size);
   * ```
   */
  static layoutOf(view: object): StructLayout<unknown> {
    const info = viewInfo(view);
    if (info === undefined) throw invalidArgType('view', 'a view made by a Struct layout\'s create() or attach()', view);
    return layoutOf(info.layout);
  }

  /**
   * Whether `value` is a view made by a layout's `create()` or `attach()`.
   *
   * @example
   * ```ts
   * declare const m: unknown;
   * if (Struct.isView(m)) console.log('a struct view');
   * ```
   */
  static isView(value: unknown): boolean {
    return viewInfo(value) !== undefined;
  }
}
