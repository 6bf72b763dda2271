// White-box tests of how a waiter proves a Mutex holder dead (src-native/mutex_core.h):
// the lock word holds the holder's thread id, the next word its tag (from the thread's
// start time). These write those words directly to stage what a crash or a reused
// thread id would leave behind, with a real live process under the id.
import { spawn } from 'node:child_process';

import { Mutex, SharedMemory } from '..';
import { cleanupNames, onceExit, uniqueName } from './helpers';

const linux = process.platform === 'linux' ? describe : describe.skip;

let shm: SharedMemory | undefined;
const sleepers: Array<ReturnType<typeof spawn>> = [];

afterEach(() => {
  shm?.close();
  shm = undefined;
  for (const p of sleepers.splice(0)) p.kill('SIGKILL');
  cleanupNames();
});

/** A live process that does nothing: its pid is a running thread id. */
function sleeper(): number {
  const p = spawn('sleep', ['60'], { stdio: 'ignore' });
  sleepers.push(p);
  return p.pid!;
}

/** The tag the native layer derives for a running thread: its start time + 1 (mod 2^31 - 2). */
function tagOf(pid: number): number {
  const stat = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(BigInt(fields[19]) % 0x7ffffffen) + 1; // field 22 (starttime), counted from field 3
}

/** A mutex whose words say: held by `tid` with tag `tag` (and waiters flagged). */
function staged(tid: number, tag: number): Mutex {
  shm = SharedMemory.create({ name: uniqueName(), size: 64 });
  const m = Mutex.create(shm, 0);
  const words = new Int32Array(shm.buffer.buffer, 0, 4);
  words[1] = tag;
  words[0] = tid | 0x40000000;
  return m;
}

linux('proving a holder dead', () => {
  test('the id now belongs to a thread with another start time (reused id): taken over, ownerDied', () => {
    const pid = sleeper();
    const m = staged(pid, tagOf(pid) + 7);
    expect(m.lockSync(5000)).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
    expect(m.ownerDied).toBe(false);
  });

  test('tryLock takes over too', () => {
    const pid = sleeper();
    const m = staged(pid, tagOf(pid) + 1);
    expect(m.tryLock()).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
  });

  test('the id belongs to the holder (same start time): never taken', () => {
    const pid = sleeper();
    const m = staged(pid, tagOf(pid));
    expect(m.lockSync(100)).toBe(false);
    expect(m.tryLock()).toBe(false);
  });

  test('a tag of 0 (holder between its compare-and-swap and its tag store) counts as alive', () => {
    const pid = sleeper();
    const m = staged(pid, 0);
    expect(m.lockSync(100)).toBe(false);
  });

  test('no thread has the id (holder gone): taken over whatever the tag says', async () => {
    const gone = spawn('true');
    await onceExit(gone);
    const m = staged(gone.pid!, 0);
    expect(m.lockSync(5000)).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
  });
});
