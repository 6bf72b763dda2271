// Writes structured-clone values in V8's own serialization format (what
// v8.serialize writes and v8.deserialize reads), for the plain data most
// messages are made of, several times faster than v8.serialize: Node builds
// and tears down a native Serializer object for every call, which costs more
// than the writing itself for small values.
//
// Only this subset is written here: strings, numbers, booleans, null,
// undefined, Dates, arrays without holes or extra properties, and objects
// whose prototype is Object.prototype or null, at most MAX_DEPTH deep and
// MAX_OBJECTS objects, none seen twice (no cycles, no shared references).
// Anything else (Map, Set, typed arrays, Error, BigInt, class instances, a
// getter that sends on a channel...) makes the whole value go to
// v8.serialize, so the result always decodes with v8.deserialize to what
// structured clone would give.
//
// The format (v8/src/objects/value-serializer.cc): a header 0xFF <version>;
// then tagged values: '"' one-byte string (varint length, Latin-1 bytes),
// 'c' two-byte string (varint byte length, UTF-16LE; preceded by a '\0' pad
// when that makes its bytes start at an even offset), 'I' int32 (zigzag
// varint), 'N' double (8 bytes LE), 'T' / 'F' / '0' / '_' (true, false,
// null, undefined), 'D' Date (its time as a double), 'o' ... '{' <count> an
// object (key, value pairs), 'A' <length> ... '$' <count> <length> a dense
// array (its elements). Integer keys are written as numbers, as V8 does.
import { types } from 'node:util';
import * as v8 from 'node:v8';

const MAX_DEPTH = 64;
const MAX_OBJECTS = 256;
// Above this many array elements v8.serialize (native) is as fast.
const MAX_ARRAY = 4096;

const T_PADDING = 0x00;
const T_ONE_BYTE = 0x22; // "
const T_TWO_BYTE = 0x63; // c
const T_INT32 = 0x49; // I
const T_DOUBLE = 0x4e; // N
const T_TRUE = 0x54; // T
const T_FALSE = 0x46; // F
const T_NULL = 0x30; // 0
const T_UNDEFINED = 0x5f; // _
const T_DATE = 0x44; // D
const T_OBJECT = 0x6f; // o
const T_END_OBJECT = 0x7b; // {
const T_DENSE_ARRAY = 0x41; // A
const T_END_DENSE_ARRAY = 0x24; // $

// The header exactly as this Node's V8 writes it (0xFF and its version).
const HEADER = (() => {
  const probe = v8.serialize(null);
  return probe.subarray(0, probe.length - 1); // all but the '0' of null
})();

const INDEX_KEY = /^(?:0|[1-9][0-9]{0,9})$/;
const LATIN1_ONLY = /^[\0-\xff]*$/;

class Unsupported {}
const UNSUPPORTED = new Unsupported();

let buf = Buffer.allocUnsafeSlow(1024);
let pos = 0;
let busy = false;
const seen: object[] = [];
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

function room(n: number): void {
  if (pos + n <= buf.length) return;
  let size = buf.length * 2;
  while (size < pos + n) size *= 2;
  const bigger = Buffer.allocUnsafeSlow(size);
  bigger.set(buf.subarray(0, pos));
  buf = bigger;
}

function varint(v: number): void {
  room(5);
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
}

function tagDouble(tag: number, v: number): void {
  room(9);
  buf[pos++] = tag;
  f64[0] = v;
  buf.set(f64Bytes, pos);
  pos += 8;
}

function writeNumber(v: number): void {
  if ((v | 0) === v && !Object.is(v, -0)) {
    room(1);
    buf[pos++] = T_INT32;
    varint(((v << 1) ^ (v >> 31)) >>> 0);
  } else {
    tagDouble(T_DOUBLE, v);
  }
}

function writeString(s: string): void {
  const n = s.length;
  let oneByte: boolean;
  if (n <= 32) {
    oneByte = true;
    for (let i = 0; i < n; i++) {
      if (s.charCodeAt(i) > 0xff) {
        oneByte = false;
        break;
      }
    }
  } else {
    oneByte = LATIN1_ONLY.test(s);
  }
  if (oneByte) {
    room(6 + n);
    buf[pos++] = T_ONE_BYTE;
    varint(n);
    if (n <= 32) for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i);
    else pos += buf.write(s, pos, 'latin1');
    return;
  }
  const bytes = n * 2;
  room(7 + bytes);
  let lenBytes = 1;
  for (let v = bytes; v >= 0x80; v >>>= 7) lenBytes++;
  if ((pos + 1 + lenBytes) & 1) buf[pos++] = T_PADDING;
  buf[pos++] = T_TWO_BYTE;
  varint(bytes);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    buf[pos++] = c & 0xff;
    buf[pos++] = c >>> 8;
  }
}

function writeKey(k: string): void {
  if (INDEX_KEY.test(k)) {
    const i = Number(k);
    if (i < 0xffffffff) {
      writeNumber(i);
      return;
    }
  }
  writeString(k);
}

function writeValue(v: unknown, depth: number): void {
  switch (typeof v) {
    case 'string':
      writeString(v);
      return;
    case 'number':
      writeNumber(v);
      return;
    case 'boolean':
      room(1);
      buf[pos++] = v ? T_TRUE : T_FALSE;
      return;
    case 'undefined':
      room(1);
      buf[pos++] = T_UNDEFINED;
      return;
    case 'object':
      break;
    default:
      throw UNSUPPORTED; // bigint, symbol, function: v8.serialize decides
  }
  if (v === null) {
    room(1);
    buf[pos++] = T_NULL;
    return;
  }
  if (depth >= MAX_DEPTH || seen.length >= MAX_OBJECTS || seen.includes(v)) throw UNSUPPORTED;
  seen.push(v);
  if (Array.isArray(v)) {
    const len = v.length;
    if (len > MAX_ARRAY || Object.getPrototypeOf(v) !== Array.prototype || types.isProxy(v)) throw UNSUPPORTED;
    // Own enumerable keys exactly 0 .. len-1: no holes, no extra properties.
    const keys = Object.keys(v);
    if (keys.length !== len || (len > 0 && keys[len - 1] !== String(len - 1))) throw UNSUPPORTED;
    room(1);
    buf[pos++] = T_DENSE_ARRAY;
    varint(len);
    for (let i = 0; i < len; i++) writeValue(v[i], depth + 1);
    room(1);
    buf[pos++] = T_END_DENSE_ARRAY;
    varint(0);
    varint(len);
    return;
  }
  const proto = Object.getPrototypeOf(v);
  // (Proxies, arguments and module namespaces look plain, but structured
  // clone refuses them.)
  if ((proto === Object.prototype || proto === null) && !types.isProxy(v) && !types.isArgumentsObject(v) && !types.isModuleNamespaceObject(v)) {
    const keys = Object.keys(v);
    room(1);
    buf[pos++] = T_OBJECT;
    for (let i = 0; i < keys.length; i++) {
      writeKey(keys[i]);
      writeValue((v as Record<string, unknown>)[keys[i]], depth + 1);
    }
    room(1);
    buf[pos++] = T_END_OBJECT;
    varint(keys.length);
    return;
  }
  if (v instanceof Date && proto === Date.prototype) {
    tagDouble(T_DATE, v.getTime());
    return;
  }
  throw UNSUPPORTED;
}

/**
 * The value in V8's serialization format, as `v8.serialize` would give it
 * (byte for byte, except that a Latin-1 string V8 holds as two-byte may be
 * written as one-byte). The result is valid until the next call: copy it
 * before anything else may serialize. Throws what `v8.serialize` throws
 * (a DataCloneError) for values structured clone refuses.
 */
export function serializeValue(value: unknown): Uint8Array {
  if (busy) return v8.serialize(value); // a getter of the value serializes too
  busy = true;
  try {
    pos = 0;
    room(HEADER.length);
    buf.set(HEADER, 0);
    pos = HEADER.length;
    writeValue(value, 0);
    return buf.subarray(0, pos);
  } catch (err) {
    if (err !== UNSUPPORTED) throw err;
    return v8.serialize(value);
  } finally {
    seen.length = 0;
    busy = false;
    if (buf.length > 1 << 20) buf = Buffer.allocUnsafeSlow(1024); // let a rare big one go
  }
}
