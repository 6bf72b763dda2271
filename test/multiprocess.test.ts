// Real cross-process sharing: the parent creates, a forked child attaches by
// name, and each sees the other's writes (handshakes over IPC).
import type { ChildProcess } from 'node:child_process';

import { SharedMemory } from '..';
import { cleanupNames, forkFixture, killChildren, onceExit, onceMessage, shmExists, uniqueName } from './helpers';

afterEach(() => {
  cleanupNames();
  killChildren();
});

/** Sends a command to an attach.js child and resolves with its reply of type `reply`. */
function ask(child: ChildProcess, cmd: Record<string, unknown>, reply: string): Promise<any> {
  const p = onceMessage(child, (m) => m.type === reply);
  child.send(cmd);
  return p;
}

function checksum(buf: Buffer, offset: number, length: number): number {
  let sum = 0;
  for (let i = offset; i < offset + length; i++) sum = (sum + buf[i] * ((i % 251) + 1)) % 0x7fffffff;
  return sum;
}

async function attach(name: string): Promise<ChildProcess> {
  const child = forkFixture('attach.js', [name]);
  await onceMessage(child, (m) => m.type === 'attached');
  return child;
}

describe('parent creates, child attaches by name', () => {
  const SIZE = 1 << 20;

  test('each sees the other’s writes, both directions, several rounds', async () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: SIZE });
    try {
      shm.buffer.write('parent hello', 0);
      const child = forkFixture('attach.js', [name]);
      const attached = await onceMessage(child, (m) => m.type === 'attached');
      expect(attached.size).toBe(SIZE);

      // Parent -> child: data written before the child attached.
      expect(await ask(child, { cmd: 'read', offset: 0, length: 12 }, 'read')).toEqual({ type: 'read', text: 'parent hello' });

      // Child -> parent.
      await ask(child, { cmd: 'write', offset: 100, text: 'child hello' }, 'written');
      expect(shm.buffer.toString('utf8', 100, 111)).toBe('child hello');

      // Parent -> child: data written after the child attached.
      shm.buffer.write('second round', 200);
      expect(await ask(child, { cmd: 'read', offset: 200, length: 12 }, 'read')).toEqual({ type: 'read', text: 'second round' });

      // Bulk: 64 KiB each way, compared by checksum; the last page too.
      for (let i = 0; i < 65536; i++) shm.buffer[4096 + i] = (i * 7) & 255;
      expect((await ask(child, { cmd: 'checksum', offset: 4096, length: 65536 }, 'checksum')).sum).toBe(checksum(shm.buffer, 4096, 65536));
      await ask(child, { cmd: 'pattern', offset: SIZE - 65536, length: 65536, mul: 13 }, 'patterned');
      for (const i of [0, 1, 255, 256, 65535]) expect(shm.buffer[SIZE - 65536 + i]).toBe((i * 13 + 1) & 255);
      expect((await ask(child, { cmd: 'checksum', offset: SIZE - 65536, length: 65536 }, 'checksum')).sum).toBe(
        checksum(shm.buffer, SIZE - 65536, 65536),
      );

      // Overwrites are seen too.
      await ask(child, { cmd: 'write', offset: 0, text: 'CHILD!' }, 'written');
      expect(shm.buffer.toString('utf8', 0, 12)).toBe('CHILD! hello');

      child.send({ cmd: 'exit' });
      expect(await onceExit(child)).toEqual({ code: 0, signal: null });
      // The child's close() did not remove the name or touch the parent's mapping.
      expect(shmExists(name)).toBe(true);
      expect(shm.buffer.toString('utf8', 100, 111)).toBe('child hello');
    } finally {
      shm.close();
    }
  });

  test('Atomics on the same Int32 from parent and child add up exactly', async () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 4096 });
    try {
      const child = await attach(name);
      const n = 300_000;
      const i32 = new Int32Array(shm.buffer.buffer, 512, 1);
      const counted = ask(child, { cmd: 'count', offset: 512, n }, 'counted');
      for (let i = 0; i < n; i++) Atomics.add(i32, 0, 1);
      await counted;
      expect(Atomics.load(i32, 0)).toBe(2 * n);
      child.send({ cmd: 'exit' });
      expect(await onceExit(child)).toEqual({ code: 0, signal: null });
    } finally {
      shm.close();
    }
  });

  test('three children at once all see the parent’s data and all their writes land', async () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 4096 });
    try {
      shm.buffer.write('shared by all', 0);
      const children = await Promise.all([0, 1, 2].map(() => attach(name)));
      const reads = await Promise.all(children.map((c) => ask(c, { cmd: 'read', offset: 0, length: 13 }, 'read')));
      expect(reads.map((r) => r.text)).toEqual(['shared by all', 'shared by all', 'shared by all']);
      await Promise.all(children.map((c, i) => ask(c, { cmd: 'write', offset: 1000 + i * 10, text: `child ${i}` }, 'written')));
      expect([0, 1, 2].map((i) => shm.buffer.toString('utf8', 1000 + i * 10, 1007 + i * 10))).toEqual(['child 0', 'child 1', 'child 2']);
      // Each child sees the others' writes.
      expect((await ask(children[0], { cmd: 'read', offset: 1020, length: 7 }, 'read')).text).toBe('child 2');
      const n = 100_000;
      await Promise.all(children.map((c) => ask(c, { cmd: 'count', offset: 2048, n }, 'counted')));
      expect(Atomics.load(new Int32Array(shm.buffer.buffer, 2048, 1), 0)).toBe(3 * n);
      for (const c of children) c.send({ cmd: 'exit' });
      expect(await Promise.all(children.map(onceExit))).toEqual(new Array(3).fill({ code: 0, signal: null }));
    } finally {
      shm.close();
    }
  });

  test('a child unlinks the name: the parent’s mapping keeps working, new opens fail', async () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 4096 });
    try {
      const child = await attach(name);
      await ask(child, { cmd: 'unlink' }, 'unlinked');
      expect(shmExists(name)).toBe(false);
      expect(() => SharedMemory.open(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
      // Still one segment between the two processes.
      shm.buffer.write('after unlink', 0);
      expect((await ask(child, { cmd: 'read', offset: 0, length: 12 }, 'read')).text).toBe('after unlink');
      await ask(child, { cmd: 'write', offset: 50, text: 'child too' }, 'written');
      expect(shm.buffer.toString('utf8', 50, 59)).toBe('child too');
      child.send({ cmd: 'exit' });
      expect(await onceExit(child)).toEqual({ code: 0, signal: null });
    } finally {
      shm.close();
    }
  });

  test('a child killed while attached: its writes persist, the parent is unaffected, a new child can attach', async () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 4096 });
    try {
      const child = await attach(name);
      await ask(child, { cmd: 'write', offset: 0, text: 'written before SIGKILL' }, 'written');
      child.kill('SIGKILL');
      expect(await onceExit(child)).toEqual({ code: null, signal: 'SIGKILL' });
      expect(shm.buffer.toString('utf8', 0, 22)).toBe('written before SIGKILL');
      const next = await attach(name);
      expect((await ask(next, { cmd: 'read', offset: 0, length: 22 }, 'read')).text).toBe('written before SIGKILL');
      next.send({ cmd: 'exit' });
      expect(await onceExit(next)).toEqual({ code: 0, signal: null });
    } finally {
      shm.close();
    }
  });

  test('the data outlives every handle: parent closes before the child attaches', async () => {
    const name = uniqueName();
    const shm = SharedMemory.create({ name, size: 4096 });
    shm.buffer.write('left behind', 10);
    shm.close();
    const child = await attach(name);
    expect((await ask(child, { cmd: 'read', offset: 10, length: 11 }, 'read')).text).toBe('left behind');
    child.send({ cmd: 'exit' });
    expect(await onceExit(child)).toEqual({ code: 0, signal: null });
  });
});
