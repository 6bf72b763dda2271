// ShareableList: the layout of Python's multiprocessing.shared_memory.ShareableList,
// checked against Python itself both ways, and its errors.
import { spawnSync } from 'node:child_process';

import { ShareableList, SharedMemory } from '..';
import { cleanupNames, shmExists, uniqueName } from './helpers';

const opened: ShareableList[] = [];
afterEach(() => {
  for (const l of opened.splice(0)) if (!l.closed) l.close();
  cleanupNames();
});

function create(values: Parameters<typeof ShareableList.create>[0]) {
  const l = ShareableList.create(values, { name: uniqueName() });
  opened.push(l);
  return l;
}

const python = (() => {
  const r = spawnSync('python3', ['-c', 'from multiprocessing import shared_memory; shared_memory.ShareableList'], { encoding: 'utf8' });
  return r.status === 0 ? 'python3' : null;
})();

// Runs Python with the list `name` open as `l` (untracked: Python <= 3.12
// would unlink an attached segment at exit); prints `out` as JSON.
function py(name: string, body: string): any {
  const code = `
import json, sys
from multiprocessing import shared_memory, resource_tracker
l = shared_memory.ShareableList(name=sys.argv[1])
try:
    resource_tracker.unregister(l.shm._name, 'shared_memory')
except Exception:
    pass
def js(v):
    if isinstance(v, bytes):
        return {'bytes': list(v)}
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
        return {'int': str(v)}
    return v
out = None
${body}
l.shm.close()
print(json.dumps(out))
`;
  const r = spawnSync(python!, ['-c', code, name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const VALUES = ['howdy', 42, -7, 3.5, true, false, null, Buffer.from('raw'), 2n ** 62n, -(2n ** 63n), 'ééééééé', '', Buffer.alloc(0), 2 ** 53 - 1];
const AS_PYTHON = ['howdy', 42, -7, 3.5, true, false, null, { bytes: [114, 97, 119] }, { int: `${2n ** 62n}` }, { int: `${-(2n ** 63n)}` }, 'ééééééé', '', { bytes: [] }, 2 ** 53 - 1];

(python ? describe : describe.skip)(python ? 'ShareableList and Python' : 'python3 not found: skipped', () => {
  test('Python reads every kind of value Node wrote, with the formats CPython gives', () => {
    const l = create(VALUES);
    const got = py(l.shm.name, "out = {'items': [js(v) for v in l], 'format': l.format, 'len': len(l)}");
    expect(got.items).toEqual(AS_PYTHON);
    expect(got.len).toBe(VALUES.length);
    // Strings are sized by UTF-8 bytes: 'ééééééé' is 14 bytes, so 16s (CPython would say 8s and cut it).
    expect(got.format).toBe('8sqqdxxxxxxx?xxxxxxx?xxxxxx?x8sqq16s8s8sq');
  });

  test('Node reads every kind of value Python wrote, and each side sees the other\'s changes', () => {
    const name = uniqueName();
    const r = spawnSync(python!, ['-c', `
import sys
from multiprocessing import shared_memory, resource_tracker
l = shared_memory.ShareableList(['howdy', 42, -7, 3.5, True, False, None, b'raw', 2**62, -2**63, 'abc', 2**53 - 1], name=sys.argv[1])
resource_tracker.unregister(l.shm._name, 'shared_memory')
l.shm.close()
`, name], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const l = ShareableList.open(name);
    opened.push(l);
    expect(l.toArray()).toEqual(['howdy', 42, -7, 3.5, true, false, null, Buffer.from('raw'), 2n ** 62n, -(2n ** 63n), 'abc', 2 ** 53 - 1]);
    l.set(0, 1.25);
    l.set(1, 'in slot');
    l.set(2, null);
    l.set(3, Buffer.from([1, 2]));
    l.set(4, 99n);
    expect(py(name, "out = [js(v) for v in l][:5]\nl[5] = 'py'\nl[6] = 2**60\nl[7] = 0.5")).toEqual([1.25, 'in slot', null, { bytes: [1, 2] }, 99]);
    expect(l.toArray().slice(5, 8)).toEqual(['py', 2n ** 60n, 0.5]);
  });
});

describe('ShareableList', () => {
  test('get, set, at, iteration, toArray, indexOf, count, length', () => {
    const l = create(['a', 1, 2n, 1.5, true, null, Buffer.from('b'), 1]);
    expect(l.length).toBe(8);
    expect([l.get(0), l.get(2), l.at(-1), l.at(8), l.at(-9)]).toEqual(['a', 2, 1, undefined, undefined]);
    expect([...l]).toEqual(l.toArray());
    expect([l.indexOf(1), l.indexOf(1n), l.indexOf(Buffer.from('b')), l.indexOf('zz'), l.count(1), l.count(null)]).toEqual([1, 1, 6, -1, 2, 1]);
    l.set(0, 'abcdefgh'); // a new list gives 'a' 8 bytes
    expect(l.get(0)).toBe('abcdefgh');
    l.set(0, 7);
    expect(l.get(0)).toBe(7);
    l.set(0, 'x'); // back to a string: the slot keeps its 8 bytes
    expect(l.get(0)).toBe('x');
    expect(l.shm).toBeInstanceOf(SharedMemory);
    expect(Object.keys(l)).toEqual(['$shmem']);
    expect(JSON.parse(JSON.stringify(l))).toEqual({ $shmem: { kind: 'shareable-list', name: l.shm.name } });
    const again = ShareableList.open(l.shm.name);
    expect(again.toArray()).toEqual(l.toArray());
    again.close();
  });

  test('errors: index, type, NUL at the end, too long, int64 range; nothing written', () => {
    const l = create(['abc', 1]);
    for (const i of [-1, 2, 1.5]) {
      expect(() => l.get(i)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => l.set(i, 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
    expect(() => l.get('0' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => l.set(0, 'x'.repeat(9))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => l.set(0, 'ab\0')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => l.set(0, Buffer.from([1, 0]))).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => l.set(1, 2n ** 63n)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => l.set(1, undefined as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => l.set(1, {} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(l.toArray()).toEqual(['abc', 1]);
    l.close();
    expect(() => l.get(0)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => l.set(0, 1)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => l.toArray()).toThrow(expect.objectContaining({ code: 'EBADF' }));
  });

  test('a create that fails leaves no name; open of something else is EBADMSG', () => {
    const name = uniqueName();
    expect(() => ShareableList.create(['ok', 'bad\0'], { name })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => ShareableList.create([2n ** 64n], { name })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ShareableList.create(5 as never, { name })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(shmExists(name)).toBe(false);
    const l = create([1]);
    expect(() => ShareableList.create([1], { name: l.shm.name })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    const junk = SharedMemory.create({ name: uniqueName(), size: 64 });
    junk.buffer.writeBigInt64LE(1000n, 0);
    expect(() => ShareableList.open(junk.name)).toThrow(expect.objectContaining({ code: 'EBADMSG' }));
    junk.close();
    expect(() => ShareableList.open(uniqueName())).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    const empty = create([]);
    expect(empty.length).toBe(0);
    expect(empty.toArray()).toEqual([]);
  });
});
