// White-box tests of how a waiter proves a Mutex holder dead (src-native/mutex_core.h,
// owner.h): the lock word holds the holder's thread id, the next word its tag (a moment,
// in clock ticks since boot, at which the holder's thread existed), the fourth the
// domain (pid namespace) of every process that uses the mutex. These write those words
// directly to stage what a crash or a reused thread id would leave behind, with a real
// live process under the id; and run a real holder in another pid namespace.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

import { Mutex, SharedMemory } from '..';
import { CHILD_NODE, cleanupNames, forkFixture, killChildren, onceExit, uniqueName } from './helpers';
import { command, startAgent } from './mutex-util';

const linux = process.platform === 'linux' ? describe : describe.skip;

let shm: SharedMemory | undefined;
const sleepers: ChildProcess[] = [];

afterEach(() => {
  shm?.close();
  shm = undefined;
  for (const p of sleepers.splice(0)) p.kill('SIGKILL');
  killChildren();
  cleanupNames();
});

/** A live process that does nothing: its pid is a running thread id. */
function sleeper(): number {
  const p = spawn('sleep', ['60'], { stdio: 'ignore' });
  sleepers.push(p);
  return p.pid!;
}

/** The start time of a thread, in clock ticks since boot (field 22 of /proc/<tid>/stat). */
function startTicks(tid: number): number {
  const stat = fs.readFileSync(`/proc/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]); // counted from field 3
}

/** The tag that names the moment `ticks` (owner_linux.cc: ticks mod 2^31 - 2, plus 1). */
function tagAt(ticks: number): number {
  return (ticks % 0x7ffffffe) + 1;
}

/** This process's domain: its pid namespace's inode number, low 31 bits. */
function ownDomain(): number {
  return Number(fs.statSync('/proc/self/ns/pid').ino) & 0x7fffffff;
}

/** A mutex whose words say: held by `tid` with tag `tag` (and waiters flagged). */
function staged(tid: number, tag: number): { m: Mutex; words: Int32Array } {
  shm = SharedMemory.create({ name: uniqueName(), size: 64 });
  const m = Mutex.create(shm, 0);
  const words = new Int32Array(shm.buffer.buffer, 0, 4);
  words[1] = tag;
  words[0] = tid | 0x40000000;
  return { m, words };
}

linux('proving a holder dead', () => {
  test('the id now belongs to a thread that started after the holder\'s tag (reused id): taken over, ownerDied', () => {
    const pid = sleeper();
    const { m } = staged(pid, tagAt(startTicks(pid) - 50));
    expect(m.lockSync(5000)).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
    expect(m.ownerDied).toBe(false);
  });

  test('tryLock takes over too', () => {
    const pid = sleeper();
    const { m } = staged(pid, tagAt(startTicks(pid) - 10));
    expect(m.tryLock()).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
  });

  test('a thread that started before the tag\'s moment may be the holder: never taken', () => {
    const pid = sleeper();
    const { m } = staged(pid, tagAt(startTicks(pid) + 100));
    expect(m.lockSync(100)).toBe(false);
    expect(m.tryLock()).toBe(false);
  });

  test('a start within two ticks of the tag (clock rounding) proves nothing', () => {
    const pid = sleeper();
    const { m } = staged(pid, tagAt(startTicks(pid) - 2));
    expect(m.lockSync(100)).toBe(false);
  });

  test('a tag of 0 (holder between its compare-and-swap and its tag store) counts as alive', () => {
    const pid = sleeper();
    const { m } = staged(pid, 0);
    expect(m.lockSync(100)).toBe(false);
  });

  test('the tag of a holder that could not read the clock (0x7fffffff) never proves a reuse', () => {
    const pid = sleeper();
    const { m } = staged(pid, 0x7fffffff);
    expect(m.lockSync(100)).toBe(false);
  });

  test('no thread has the id (holder gone): taken over whatever the tag says', async () => {
    const gone = spawn('true');
    await onceExit(gone);
    const { m } = staged(gone.pid!, 0);
    expect(m.lockSync(5000)).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
  });

  test('a holder\'s tag names a moment after its start as another process reads it: the same identity for every reader', async () => {
    shm = SharedMemory.create({ name: uniqueName(), size: 64 });
    Mutex.create(shm, 0);
    const { child, pid } = await startAgent('mutex-agent.js', [shm.name, '0']);
    expect((await command(child, { cmd: 'lockSync' })).result).toBe(true);
    const words = new Int32Array(shm.buffer.buffer, 0, 4);
    expect(words[0] & 0x1fffffff).toBe(pid);
    // Ticks modulo the tag period: not before its start, and not in the future.
    const period = 0x7ffffffe;
    const sinceStart = (words[1] - 1 - (startTicks(pid) % period) + period) % period;
    const uptimeTicks = Math.floor(Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
    expect(sinceStart).toBeLessThanOrEqual(uptimeTicks);
    expect(await command(child, { cmd: 'unlock' })).toMatchObject({ result: true });
    child.kill('SIGKILL');
  });
});

linux('the domain: every user in one pid namespace', () => {
  test('create() records this process\'s pid namespace; attach() from the same one keeps it', () => {
    shm = SharedMemory.create({ name: uniqueName(), size: 64 });
    Mutex.create(shm, 0);
    const words = new Int32Array(shm.buffer.buffer, 0, 4);
    expect(words[3]).toBe(ownDomain());
    Mutex.attach(shm, 0);
    expect(words[3]).toBe(ownDomain());
  });

  test('attach() by a process of another domain marks the mutex as mixed (-1), for good', () => {
    shm = SharedMemory.create({ name: uniqueName(), size: 64 });
    Mutex.create(shm, 0);
    const words = new Int32Array(shm.buffer.buffer, 0, 4);
    words[3] = ownDomain() ^ 1; // as if another pid namespace had created it
    Mutex.attach(shm, 0);
    expect(words[3]).toBe(-1);
    Mutex.attach(shm, 0);
    expect(words[3]).toBe(-1);
  });

  test.each([
    ['mixed (-1)', () => -1],
    ['another pid namespace', () => ownDomain() ^ 1],
    ['none recorded (0)', () => 0],
  ])('a gone holder of a mutex whose domain is %s is never taken over', async (_what, domain) => {
    const gone = spawn('true');
    await onceExit(gone);
    const { m, words } = staged(gone.pid!, 0);
    words[3] = domain();
    expect(m.lockSync(100)).toBe(false);
    expect(m.tryLock()).toBe(false);
  });
});

// A real holder in a pid namespace of its own (unshare, as a container has):
// there its thread id is 1, which here is init, alive, started long before.
const canUnshare = process.platform === 'linux' && spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true']).status === 0;
(canUnshare ? describe : describe.skip)('a holder in another pid namespace (needs unshare --pid)', () => {
  if (!canUnshare) test.skip('unshare --pid is not permitted here', () => {});

  function agentInNamespace(name: string): ChildProcess {
    return forkFixture('mutex-agent.js', [name, '0'], {
      execPath: 'unshare',
      execArgv: ['--pid', '--fork', '--mount-proc', '--kill-child', CHILD_NODE],
    });
  }

  test('is never robbed, and unlocks normally', async () => {
    shm = SharedMemory.create({ name: uniqueName(), size: 64 });
    const m = Mutex.create(shm, 0);
    const agent = agentInNamespace(shm.name);
    expect((await command(agent, { cmd: 'lockSync' })).result).toBe(true);
    expect(new Int32Array(shm.buffer.buffer, 0, 4)[3]).toBe(-1);
    expect(m.tryLock()).toBe(false);
    expect(m.lockSync(300)).toBe(false); // a few sleep slices, each ending in a probe
    expect(await command(agent, { cmd: 'unlock' })).toMatchObject({ result: true });
    expect(m.lockSync(5000)).toBe(true);
    expect(m.ownerDied).toBe(false);
    m.unlock();
    agent.kill('SIGKILL');
  });

  test('killed while holding: not proven dead from here (waiters time out)', async () => {
    shm = SharedMemory.create({ name: uniqueName(), size: 64 });
    const m = Mutex.create(shm, 0);
    const agent = agentInNamespace(shm.name);
    expect((await command(agent, { cmd: 'lockSync' })).result).toBe(true);
    agent.kill('SIGKILL');
    await onceExit(agent);
    expect(m.lockSync(100)).toBe(false);
  });
});

