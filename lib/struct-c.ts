// The C and Python (ctypes) declarations that match a Struct layout, so that a
// C program or a Python process reads the same bytes by the same names. A
// mutex is opaque there: 16 bytes aligned to 8, as uint64_t[2].
import { invalidArgValue } from './errors';
import type { Layout, PlacedField, ScalarType } from './struct-layout';

const C_TYPE: Readonly<Record<ScalarType, string>> = {
  i8: 'int8_t', u8: 'uint8_t', i16: 'int16_t', u16: 'uint16_t', i32: 'int32_t', u32: 'uint32_t',
  i64: 'int64_t', u64: 'uint64_t', f32: 'float', f64: 'double', bool: 'bool',
};

const CTYPES_TYPE: Readonly<Record<ScalarType, string>> = {
  i8: 'ctypes.c_int8', u8: 'ctypes.c_uint8', i16: 'ctypes.c_int16', u16: 'ctypes.c_uint16', i32: 'ctypes.c_int32',
  u32: 'ctypes.c_uint32', i64: 'ctypes.c_int64', u64: 'ctypes.c_uint64', f32: 'ctypes.c_float', f64: 'ctypes.c_double',
  bool: 'ctypes.c_bool',
};

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

// C and Python keywords cannot name a type.
const KEYWORDS = new Set([
  'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double', 'else', 'enum', 'extern', 'float', 'for',
  'goto', 'if', 'inline', 'int', 'long', 'register', 'restrict', 'return', 'short', 'signed', 'sizeof', 'static', 'struct',
  'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while', 'bool', 'and', 'as', 'assert', 'async', 'await',
  'class', 'def', 'del', 'elif', 'except', 'False', 'finally', 'from', 'global', 'import', 'in', 'is', 'lambda', 'None',
  'nonlocal', 'not', 'or', 'pass', 'raise', 'True', 'try', 'with', 'yield', 'ctypes',
]);

function validTypeName(name: unknown): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || KEYWORDS.has(name)) {
    throw invalidArgValue('name', String(name), 'must be an identifier that is not a C or Python keyword');
  }
  return name;
}

/** A C11 declaration: `typedef struct { … } name;`, nested layouts first as `name_field`. */
export function toC(layout: Layout, name: unknown): string {
  const out: string[] = ['#include <stdbool.h>', '#include <stdint.h>', ''];
  const emit = (l: Layout, typeName: string): void => {
    const members: string[] = [];
    for (const f of l.fields) members.push(`  ${cMember(f, typeName, emit)}`);
    if (l.pack !== undefined) out.push(`#pragma pack(push, ${l.pack})`);
    out.push('typedef struct {', ...members, `} ${typeName};`);
    if (l.pack !== undefined) out.push('#pragma pack(pop)');
    out.push(`_Static_assert(sizeof(${typeName}) == ${l.size}, "${typeName}: the size shmem computed");`, '');
  };
  emit(layout, validTypeName(name));
  return out.join('\n');
}

function cMember(f: PlacedField, owner: string, emit: (l: Layout, name: string) => void): string {
  switch (f.kind) {
    case 'scalar':
      return `${C_TYPE[f.scalar!]} ${f.name};`;
    case 'chars':
      return `char ${f.name}[${f.count}];`;
    case 'array':
      return `${C_TYPE[f.scalar!]} ${f.name}[${f.count}];`;
    case 'mutex':
      return `uint64_t ${f.name}[2]; /* a shmem Mutex: opaque */`;
    case 'struct':
      emit(f.inner!, `${owner}_${f.name}`);
      return `${owner}_${f.name} ${f.name};`;
    case 'structArray':
      emit(f.inner!, `${owner}_${f.name}`);
      return `${owner}_${f.name} ${f.name}[${f.count}];`;
  }
}

/** Python source: `class name(ctypes.Structure)` with `_pack_` and `_fields_`, nested layouts first. */
export function toCtypes(layout: Layout, name: unknown): string {
  const out: string[] = ['import ctypes', ''];
  const emit = (l: Layout, className: string): void => {
    const fields: string[] = [];
    for (const f of l.fields) {
      if (f.kind === 'mutex') fields.push(`        # ${f.name}: a shmem Mutex (opaque)`);
      fields.push(`        (${JSON.stringify(f.name)}, ${pyType(f, className, emit)}),`);
    }
    out.push('', `class ${className}(ctypes.Structure):`);
    if (l.pack !== undefined) out.push(`    _pack_ = ${l.pack}`);
    out.push('    _fields_ = [', ...fields, '    ]');
    out.push(`assert ctypes.sizeof(${className}) == ${l.size}, "${className}: the size shmem computed"`, '');
  };
  emit(layout, validTypeName(name));
  return `${out.join('\n')}\n`;
}

function pyType(f: PlacedField, owner: string, emit: (l: Layout, name: string) => void): string {
  switch (f.kind) {
    case 'scalar':
      return CTYPES_TYPE[f.scalar!];
    case 'chars':
      return `ctypes.c_char * ${f.count}`;
    case 'array':
      return `${CTYPES_TYPE[f.scalar!]} * ${f.count}`;
    case 'mutex':
      return 'ctypes.c_uint64 * 2';
    case 'struct':
      emit(f.inner!, `${owner}_${f.name}`);
      return `${owner}_${f.name}`;
    case 'structArray':
      emit(f.inner!, `${owner}_${f.name}`);
      return `${owner}_${f.name} * ${f.count}`;
  }
}
