// Interop with Python's multiprocessing.shared_memory (same POSIX names: Python
// adds the leading '/', as shmem does). Skipped, visibly, without python3.
import { spawnSync } from 'node:child_process';

import { SharedMemory } from '..';
import { cleanupNames, killChildren, shmExists, uniqueName } from './helpers';

afterEach(() => {
  cleanupNames();
  killChildren();
});

function findPython(): string | null {
  const r = spawnSync('python3', ['-c', 'import sys; from multiprocessing import shared_memory; print(sys.version_info[0])'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === '3' ? 'python3' : null;
}

const python = findPython();

/** Runs `code` with python3; argv[1..] = args. Returns parsed JSON from its last stdout line. */
function py(code: string, ...args: string[]): any {
  const r = spawnSync(python!, ['-c', code, ...args], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`python3 failed (status ${r.status}, signal ${r.signal}):\n${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return { result: JSON.parse(lines[lines.length - 1]), stderr: r.stderr };
}

// Python <= 3.12 registers even an attached (not created) segment with its
// resource tracker, which unlinks it when the process exits: unregister right
// after attaching/creating, as track=False (3.13+) would.
const PY_PRELUDE = `
import json, sys
from multiprocessing import shared_memory, resource_tracker
def untrack(shm):
    try:
        resource_tracker.unregister(shm._name, 'shared_memory')
    except Exception:
        pass
`;

const describeIfPython = python ? describe : describe.skip;
const title = python ? 'Python multiprocessing.shared_memory interop' : 'python3 not found: skipped';

describeIfPython(title, () => {
  test('Python creates and writes, Node opens by name and reads', () => {
    const name = uniqueName();
    const { result, stderr } = py(
      `${PY_PRELUDE}
name, size = sys.argv[1], int(sys.argv[2])
shm = shared_memory.SharedMemory(name=name, create=True, size=size)
untrack(shm)
shm.buf[:17] = b'hello from python'
for i in range(256):
    shm.buf[1000 + i] = i
shm.buf[size - 1] = 0x7f
print(json.dumps({'name': shm.name, 'size': shm.size}))
shm.close()
`,
      name,
      '10000',
    );
    expect(stderr).not.toMatch(/leaked shared_memory/);
    expect(result.name).toBe(name);
    expect(shmExists(name)).toBe(true);
    const shm = SharedMemory.open(name);
    try {
      expect(shm.size).toBe(10000);
      expect(shm.buffer.toString('utf8', 0, 17)).toBe('hello from python');
      expect([...shm.buffer.subarray(1000, 1256)]).toEqual(Array.from({ length: 256 }, (_, i) => i));
      expect(shm.buffer[9999]).toBe(0x7f);
      expect(shm.buffer[5000]).toBe(0); // zero-filled by Python / the OS too
    } finally {
      shm.close();
    }
  });

  test('Node creates, Python attaches, reads and writes; Node sees the writes', () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 4096 });
    try {
      shm.buffer.write('hello from node', 0);
      shm.buffer.writeUInt32LE(0xcafebabe, 64);
      const { result, stderr } = py(
        `${PY_PRELUDE}
shm = shared_memory.SharedMemory(name=sys.argv[1])
untrack(shm)
seen = bytes(shm.buf[:15]).decode()
word = int.from_bytes(bytes(shm.buf[64:68]), 'little')
shm.buf[100:117] = b'hello from python'
shm.buf[4095] = 0x42
print(json.dumps({'seen': seen, 'word': word, 'size': shm.size}))
shm.close()
`,
        name,
      );
      expect(stderr).not.toMatch(/leaked shared_memory/);
      expect(result).toEqual({ seen: 'hello from node', word: 0xcafebabe, size: 4096 });
      // Written by Python after Node created it: visible through Node's live mapping.
      expect(shm.buffer.toString('utf8', 100, 117)).toBe('hello from python');
      expect(shm.buffer[4095]).toBe(0x42);
      // Python's exit did not unlink the segment.
      expect(shmExists(name)).toBe(true);
    } finally {
      shm.close();
    }
  });

  test('Node unlinks a segment Python created', () => {
    const name = uniqueName();
    py(
      `${PY_PRELUDE}
shm = shared_memory.SharedMemory(name=sys.argv[1], create=True, size=128)
untrack(shm)
shm.close()
print(json.dumps({}))
`,
      name,
    );
    expect(shmExists(name)).toBe(true);
    SharedMemory.unlink(name);
    expect(shmExists(name)).toBe(false);
  });

  test('Python unlinks a segment Node created; Node keeps its mapping', () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 256 });
    try {
      shm.buffer.write('still here');
      const { result } = py(
        `${PY_PRELUDE}
shm = shared_memory.SharedMemory(name=sys.argv[1])
untrack(shm)
shm.close()
shm.unlink()
print(json.dumps({'ok': True}))
`,
        name,
      );
      expect(result).toEqual({ ok: true });
      expect(shmExists(name)).toBe(false);
      expect(shm.buffer.toString('utf8', 0, 10)).toBe('still here');
    } finally {
      shm.close();
    }
  });

  test('Python sees EEXIST-style failure when Node already created the name', () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 64 });
    try {
      const { result } = py(
        `${PY_PRELUDE}
try:
    shared_memory.SharedMemory(name=sys.argv[1], create=True, size=64)
    print(json.dumps({'error': None}))
except FileExistsError:
    print(json.dumps({'error': 'FileExistsError'}))
`,
        name,
      );
      expect(result).toEqual({ error: 'FileExistsError' });
    } finally {
      shm.close();
    }
  });
});

if (!python) {
  // Make the reason visible in the report even though the suite above is skipped.
  test.skip('python3 not found: skipped', () => {});
}
