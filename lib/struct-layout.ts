// The layout of a Struct: where each field lives, by C's rules (natural
// alignment, size rounded up to the largest alignment; `pack` as MSVC's and
// GCC's #pragma pack, ctypes' _pack_: no field aligned to more than `pack`).
// Pure arithmetic over the definition; no memory is touched here.
import { invalidArgType, invalidArgValue } from './errors';

/** The scalar types of a field. */
export type ScalarType = 'i8' | 'u8' | 'i16' | 'u16' | 'i32' | 'u32' | 'i64' | 'u64' | 'f32' | 'f64' | 'bool';

export const SCALAR_SIZE: Readonly<Record<ScalarType, number>> = {
  i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8, f32: 4, f64: 8, bool: 1,
};

const NUMERIC_ARRAY = /^(i8|u8|i16|u16|i32|u32|i64|u64|f32|f64)\[([0-9]+)\]$/;
const CHARS = /^char\[([0-9]+)\]$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['toJSON', 'constructor', '__proto__']);

/** Bytes and alignment of a mutex field (a shmem Mutex). */
export const MUTEX_SIZE = 16;
export const MUTEX_ALIGN = 8;

/** Something that has a computed layout (a Struct layout). */
export interface HasLayout {
  readonly layout: Layout;
}

export type FieldKind = 'scalar' | 'chars' | 'array' | 'struct' | 'structArray' | 'mutex';

/** One field, placed. */
export interface PlacedField {
  readonly name: string;
  /** As given (normalised): a type string, a layout, or [layout, N]. */
  readonly spec: string | HasLayout | readonly [HasLayout, number];
  readonly kind: FieldKind;
  readonly offset: number;
  readonly size: number;
  /** Natural alignment (before pack). */
  readonly natural: number;
  readonly scalar?: ScalarType; // scalar, or the element of an array
  readonly count?: number; // chars, array, structArray
  readonly inner?: Layout; // struct, structArray
}

export interface Layout {
  readonly fields: readonly PlacedField[];
  readonly byName: ReadonlyMap<string, PlacedField>;
  readonly size: number;
  readonly align: number;
  readonly pack: number | undefined;
  /** Equal for two layouts made from the same fields and pack. */
  readonly signature: string;
}

function roundUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

function positiveCount(text: string, what: unknown, name: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw invalidArgValue(`fields.${name}`, what, 'must have a count N that is a positive integer');
  return n;
}

// What a field type says: its kind, size, natural alignment.
function parseType(name: string, type: unknown, isLayout: (v: unknown) => v is HasLayout): Omit<PlacedField, 'name' | 'offset'> {
  if (typeof type === 'string') {
    if (Object.prototype.hasOwnProperty.call(SCALAR_SIZE, type)) {
      const size = SCALAR_SIZE[type as ScalarType];
      return { spec: type, kind: 'scalar', size, natural: size, scalar: type as ScalarType };
    }
    if (type === 'mutex') return { spec: type, kind: 'mutex', size: MUTEX_SIZE, natural: MUTEX_ALIGN };
    let m = CHARS.exec(type);
    if (m) {
      const count = positiveCount(m[1], type, name);
      return { spec: type, kind: 'chars', size: count, natural: 1, count };
    }
    m = NUMERIC_ARRAY.exec(type);
    if (m) {
      const scalar = m[1] as ScalarType;
      const count = positiveCount(m[2], type, name);
      return { spec: type, kind: 'array', size: count * SCALAR_SIZE[scalar], natural: SCALAR_SIZE[scalar], scalar, count };
    }
    throw invalidArgValue(`fields.${name}`, type,
      "is not a field type (i8 u8 i16 u16 i32 u32 i64 u64 f32 f64 bool, char[N], a numeric type[N], 'mutex', a Struct layout or [layout, N])");
  }
  if (isLayout(type)) {
    const inner = type.layout;
    return { spec: type, kind: 'struct', size: inner.size, natural: inner.align, inner };
  }
  if (Array.isArray(type) && type.length === 2 && isLayout(type[0])) {
    const count = type[1];
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) {
      throw invalidArgValue(`fields.${name}`, `[layout, ${String(count)}]`, 'must have a count N that is a positive integer');
    }
    const inner = type[0].layout;
    return { spec: [type[0], count] as const, kind: 'structArray', size: inner.size * count, natural: inner.align, inner, count };
  }
  throw invalidArgValue(`fields.${name}`, typeof type === 'object' && type !== null ? JSON.stringify(type) ?? String(type) : String(type),
    'is not a field type (a type string, a Struct layout, or [layout, N])');
}

function typeSignature(f: Omit<PlacedField, 'name' | 'offset'>): string {
  if (f.kind === 'struct') return `{${f.inner!.signature}}`;
  if (f.kind === 'structArray') return `{${f.inner!.signature}}[${f.count}]`;
  return f.spec as string;
}

// The largest power of two that divides n (n = 0: any).
function alignmentOf(n: number): number {
  return n === 0 ? Infinity : n & -n;
}

/** The alignment field `f` has in an instance whose start is aligned to `guaranteed`. */
export function fieldAlignment(f: PlacedField, guaranteed: number): number {
  return Math.min(guaranteed, alignmentOf(f.offset));
}

/** The alignment every element of an array of `inner` has, the array itself aligned to `at` (element i starts i sizes further). */
export function elementAlignment(inner: Layout, at: number): number {
  return Math.min(at, alignmentOf(inner.size));
}

/** Whether field `f` can be reached through a typed array (and so by Atomics) where its instance starts aligned to `guaranteed`. */
export function isAligned(f: PlacedField, guaranteed: number): boolean {
  return fieldAlignment(f, guaranteed) >= f.natural;
}

/**
 * Checks that every field that must be aligned (a mutex, a numeric array, and
 * so on inside nested layouts) is, whenever the layout starts at a multiple
 * of `guaranteed`; throws naming the first that is not.
 */
export function checkAlignment(layout: Layout, guaranteed: number, path = ''): void {
  for (const f of layout.fields) {
    const at = fieldAlignment(f, guaranteed);
    const where = `${path}${f.name}`;
    if ((f.kind === 'mutex' || f.kind === 'array') && at < f.natural) {
      throw invalidArgValue(`fields.${where}`, typeof f.spec === 'string' ? f.spec : where,
        `would not be aligned to ${f.natural} bytes with pack ${layout.pack ?? 'none'} (a ${f.kind === 'mutex' ? 'mutex' : 'typed array'} needs it)`);
    }
    if (f.kind === 'struct' || f.kind === 'structArray') {
      const step = f.kind === 'structArray' ? elementAlignment(f.inner!, at) : at;
      checkAlignment(f.inner!, step, `${where}.`);
    }
  }
}

/** Computes the layout of a definition: an object (insertion order) or [name, type] pairs. */
export function computeLayout(fields: unknown, pack: unknown, isLayout: (v: unknown) => v is HasLayout): Layout {
  let entries: Array<[unknown, unknown]>;
  if (Array.isArray(fields)) {
    entries = fields.map((pair, i) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw invalidArgValue(`fields[${i}]`, String(pair), 'must be a [name, type] pair');
      return [pair[0], pair[1]];
    });
  } else if (fields !== null && typeof fields === 'object' && !isLayout(fields)) {
    entries = Object.entries(fields);
  } else {
    throw invalidArgType('fields', 'an object or an array of [name, type] pairs', fields);
  }
  if (entries.length === 0) throw invalidArgValue('fields', '{}', 'must define at least one field');
  if (pack !== undefined && pack !== 1 && pack !== 2 && pack !== 4 && pack !== 8) {
    throw invalidArgValue('options.pack', String(pack), 'must be 1, 2, 4 or 8');
  }
  const seen = new Set<string>();
  const placed: PlacedField[] = [];
  const sigs: string[] = [];
  let end = 0;
  let align = 1;
  for (const [name, type] of entries) {
    if (typeof name !== 'string' || !NAME.test(name) || name.length > 63 || RESERVED.has(name)) {
      throw invalidArgValue('fields', String(name), 'names a field badly (an identifier [A-Za-z_][A-Za-z0-9_]* of at most 63 characters, not toJSON, constructor or __proto__)');
    }
    if (seen.has(name)) throw invalidArgValue('fields', name, 'names a field twice');
    seen.add(name);
    const t = parseType(name, type, isLayout);
    const eff = pack === undefined ? t.natural : Math.min(t.natural, pack);
    const offset = roundUp(end, eff);
    placed.push({ name, offset, ...t });
    sigs.push(`${name}:${typeSignature(t)}`);
    end = offset + t.size;
    align = Math.max(align, eff);
  }
  const layout: Layout = {
    fields: placed,
    byName: new Map(placed.map((f) => [f.name, f])),
    size: roundUp(end, align),
    align,
    pack: pack as number | undefined,
    signature: `${sigs.join(';')}|pack=${pack ?? 0}`,
  };
  checkAlignment(layout, layout.align);
  return layout;
}
