// A Mutex survives a holder that dies (SIGKILL, exit, a zombie, a terminated
// worker thread), and is never stolen from a live one (even a stopped one).
// No assertion here is about time: only that the lock is (or is not) taken.
import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { Mutex, SharedMemory } from '..';
import { CHILD_NODE, cleanupNames, FIXTURES, forkFixture, killChildren, onceExit, PACKAGE_ROOT, uniqueName } from './helpers';
import { command, pollUntil, procState, sleep, startAgent } from './mutex-util';

const opened: SharedMemory[] = [];
const extra: ChildProcess[] = [];

afterEach(() => {
  killChildren();
  for (const p of extra.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const shm of opened.splice(0)) shm.close();
  cleanupNames();
});

function segment(size = 4096): SharedMemory {
  const shm = SharedMemory.create({ name: uniqueName(), size });
  opened.push(shm);
  return shm;
}

async function holderThenKill(shm: SharedMemory, signal: NodeJS.Signals = 'SIGKILL') {
  const holder = await startAgent('mutex-agent.js', [shm.name, '0']);
  expect(await command(holder.child, { cmd: 'lockSync' })).toMatchObject({ result: true, ownerDied: false });
  return {
    ...holder,
    kill: async () => {
      holder.child.kill(signal);
      await onceExit(holder.child);
    },
  };
}

describe('a holder killed with SIGKILL', () => {
  test('lockSync() in another process takes over, with ownerDied until unlock()', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const h = await holderThenKill(shm);
    expect(m.tryLock()).toBe(false);
    await h.kill();
    expect(m.lockSync()).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
    expect(m.ownerDied).toBe(false);
    // An ordinary acquisition afterwards: not a takeover.
    expect(m.lockSync()).toBe(true);
    expect(m.ownerDied).toBe(false);
    m.unlock();
  });

  test('lock() in another process takes over, with ownerDied', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const h = await holderThenKill(shm);
    await h.kill();
    await expect(m.lock()).resolves.toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
    expect(m.ownerDied).toBe(false);
  });

  test('tryLock() in another process takes over (polled), with ownerDied', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const h = await holderThenKill(shm);
    await h.kill();
    let got = false;
    for (let i = 0; i < 1000 && !got; i++) {
      got = m.tryLock();
      if (!got) await sleep(2);
    }
    expect(got).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
    expect(m.ownerDied).toBe(false);
  });

  test('waiters already asleep (lockSync in one process, lock() in another) get it in turn, the first with ownerDied', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const h = await holderThenKill(shm);
    const waiter = await startAgent('mutex-agent.js', [shm.name, '0']);
    const theirs = command(waiter.child, { cmd: 'lockSync' });
    const mine = m.lock().then((v) => ({ v, died: m.ownerDied }));
    await sleep(50);
    await h.kill();
    // One of the two takes over (ownerDied), the other gets it after an unlock (no ownerDied).
    const first = await Promise.race([theirs.then(() => 'theirs'), mine.then(() => 'mine')]);
    if (first === 'theirs') {
      expect(await theirs).toMatchObject({ result: true, ownerDied: true });
      await command(waiter.child, { cmd: 'unlock' });
      expect(await mine).toEqual({ v: true, died: false });
      m.unlock();
    } else {
      expect(await mine).toEqual({ v: true, died: true });
      m.unlock();
      expect(await theirs).toMatchObject({ result: true, ownerDied: false });
      await command(waiter.child, { cmd: 'unlock' });
    }
  });

  test('lock({ timeout: 0 }) in another process takes over (polled), with ownerDied', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const h = await holderThenKill(shm);
    await h.kill();
    let got = false;
    for (let i = 0; i < 1000 && !got; i++) {
      got = await m.lock({ timeout: 0 });
      if (!got) await sleep(2);
    }
    expect(got).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
  });

  test('lockSync(timeout) in another process also takes over', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const h = await holderThenKill(shm);
    await h.kill();
    // A generous timeout: only that it acquires is asserted.
    expect(m.lockSync(20000)).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
  });

  test('withLockSync over a dead holder runs fn (ownerDied visible inside) and unlocks', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const h = await holderThenKill(shm);
    await h.kill();
    expect(m.withLockSync(() => m.ownerDied)).toBe(true);
    expect(m.ownerDied).toBe(false);
    expect(m.tryLock()).toBe(true);
    m.unlock();
  });
});

describe('a holder that exits by itself', () => {
  test('process.exit() while holding: the next locker takes over', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = await startAgent('mutex-agent.js', [shm.name, '0']);
    holder.child.send({ id: 0, cmd: 'lockAndExit' });
    expect(await onceExit(holder.child)).toEqual({ code: 0, signal: null });
    expect(m.lockSync()).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
  });

  test('a zombie holder (exited, not yet reaped by its parent) is taken over', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const view = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, 64);
    const PID = 8;
    // `sleep` becomes the holder's parent and never reaps it.
    const script = `"$0" "$1" "$2" 0 ${PID} & exec sleep 60`;
    const sh = spawn('sh', ['-c', script, CHILD_NODE, path.join(FIXTURES, 'mutex-zombie-holder.js'), shm.name], { stdio: 'ignore' });
    extra.push(sh);
    expect(await pollUntil(() => Atomics.load(view, PID) !== 0, 1000)).toBe(true);
    const pid = Atomics.load(view, PID);
    expect(await pollUntil(() => procState(pid) === 'Z', 1000)).toBe(true);
    // It is a zombie, still holding the lock.
    expect((Atomics.load(view, 0) & 0x1fffffff)).toBe(pid);
    expect(m.lockSync()).toBe(true);
    expect(m.ownerDied).toBe(true);
    expect(procState(pid)).toBe('Z'); // taken over while it was still a zombie
    m.unlock();
  });
});

describe('a live holder is never robbed', () => {
  test('a SIGSTOPped holder keeps the lock; after SIGCONT it unlocks normally', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = await startAgent('mutex-agent.js', [shm.name, '0']);
    expect(await command(holder.child, { cmd: 'lockSync' })).toMatchObject({ result: true });
    holder.child.kill('SIGSTOP');
    expect(await pollUntil(() => procState(holder.pid) === 'T', 1000)).toBe(true);
    expect(m.lockSync(300)).toBe(false);
    expect(m.tryLock()).toBe(false);
    await sleep(10);
    expect(m.tryLock()).toBe(false); // past the probe interval: asks the kernel again
    await expect(m.lock({ timeout: 100 })).resolves.toBe(false);
    expect(procState(holder.pid)).toBe('T');
    holder.child.kill('SIGCONT');
    expect(await command(holder.child, { cmd: 'unlock' })).toMatchObject({ result: true });
    expect(m.lockSync()).toBe(true);
    expect(m.ownerDied).toBe(false);
    m.unlock();
  });

  test('a holder busy in a long critical section is not robbed', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const holder = await startAgent('mutex-agent.js', [shm.name, '0']);
    await command(holder.child, { cmd: 'lockSync' });
    for (let i = 0; i < 5; i++) {
      expect(m.lockSync(40)).toBe(false);
      await sleep(6);
      expect(m.tryLock()).toBe(false);
    }
    await command(holder.child, { cmd: 'unlock' });
    expect(m.tryLock()).toBe(true);
    expect(m.ownerDied).toBe(false);
    m.unlock();
  });
});

describe('a worker thread that holds the lock and ends', () => {
  const workerCode = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { SharedMemory, Mutex } = require(workerData.root);
    const shm = SharedMemory.open(workerData.name);
    const m = Mutex.attach(shm, 0);
    m.lockSync();
    parentPort.postMessage('locked');
    if (workerData.exit) process.exit(0); // ends this worker only
    setInterval(() => {}, 1000); // otherwise stays alive until terminated
  `;

  test('worker.terminate(): the main thread takes over with ownerDied', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const w = new Worker(workerCode, { eval: true, workerData: { root: PACKAGE_ROOT, name: shm.name } });
    await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    expect(m.tryLock()).toBe(false);
    expect(m.lockSync(50)).toBe(false); // a live worker keeps it
    await w.terminate();
    expect(m.lockSync()).toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
    expect(m.ownerDied).toBe(false);
  });

  test('a worker terminated with lock() pending leaves the lock untaken', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    m.lockSync();
    const w = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const { SharedMemory, Mutex } = require(workerData.root);
       const m = Mutex.attach(SharedMemory.open(workerData.name), 0);
       m.lock().then((v) => parentPort.postMessage('got ' + v), (e) => parentPort.postMessage('err ' + e.code));
       parentPort.postMessage('pending');`,
      { eval: true, workerData: { root: PACKAGE_ROOT, name: shm.name } },
    );
    const messages: string[] = [];
    w.on('message', (msg) => messages.push(msg));
    expect(await pollUntil(() => messages.includes('pending'), 1000)).toBe(true);
    await sleep(30);
    await w.terminate();
    m.unlock();
    // Free for this thread now, and not as a takeover (nobody died holding it)…
    // unless the cancelled wait grabbed it for a moment before giving it back: poll.
    let got = false;
    for (let i = 0; i < 1000 && !got; i++) {
      got = m.tryLock();
      if (!got) await sleep(2);
    }
    expect(got).toBe(true);
    expect(m.ownerDied).toBe(false);
    m.unlock();
    expect(messages).toEqual(['pending']);
  });

  test('a worker that exits by itself while holding: lock() takes over with ownerDied', async () => {
    const shm = segment();
    const m = Mutex.create(shm, 0);
    const w = new Worker(workerCode, { eval: true, workerData: { root: PACKAGE_ROOT, name: shm.name, exit: true } });
    await new Promise((resolve) => w.once('exit', resolve));
    await expect(m.lock()).resolves.toBe(true);
    expect(m.ownerDied).toBe(true);
    m.unlock();
  });
});

describe('SIGKILL at random moments in a long race', () => {
  // Layout: see test/fixtures/mutex-kill-race.js.
  const COUNTER = 4;
  const STOP = 5;
  const TAKEOVERS = 6;
  const VIOLATIONS = 7;
  const INSIDE = 8;
  const DONE = 16;
  const SLOTS = 240;

  test('survivors never deadlock, and every takeover repairs counter = 1 + sum(done)', async () => {
    const shm = segment(4 * (DONE + SLOTS));
    const m = Mutex.create(shm, 0);
    const view = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, shm.size >> 2);
    view[COUNTER] = 1;
    const modes = ['sync', 'async', 'try', 'mixed'];
    let slot = 0;
    const live = new Map<number, ChildProcess>();
    const exits: Array<Promise<unknown>> = [];
    const start = () => {
      const s = slot++;
      const child = forkFixture('mutex-kill-race.js', [shm.name, String(s), modes[s % modes.length]]);
      live.set(child.pid!, child);
      const exited = onceExit(child).then((r) => {
        live.delete(child.pid!);
        return r;
      });
      exits.push(exited);
      return { child, exited };
    };
    for (let i = 0; i < 4; i++) start();

    let kills = 0;
    let holderKills = 0;
    const sumDone = () => {
      let s = 0;
      for (let i = 0; i < SLOTS; i++) s += view[DONE + i];
      return s;
    };
    // Keep killing and re-forking, until enough kills and progress.
    for (let round = 0; round < 40 && slot < SLOTS - 8; round++) {
      // Racers are at work (under CPU emulation a new one takes a second to start).
      const progress = sumDone();
      await pollUntil(() => sumDone() > progress, 2000, 5);
      await sleep(40 + Math.floor(Math.random() * 80));
      let victim: ChildProcess | undefined;
      if (round % 2 === 0) {
        // Kill the holder itself: freeze whoever the lock word names, and kill
        // it if it still holds the lock while frozen.
        const owner = (Atomics.load(view, 0) & 0x1fffffff);
        const c = live.get(owner);
        if (c) {
          c.kill('SIGSTOP');
          await pollUntil(() => procState(owner) === 'T' || procState(owner) === null, 200, 2);
          if ((Atomics.load(view, 0) & 0x1fffffff) === owner) holderKills++;
          victim = c;
        }
      }
      if (!victim) {
        const all = [...live.values()];
        victim = all[Math.floor(Math.random() * all.length)];
      }
      if (victim) {
        victim.kill('SIGKILL');
        await onceExit(victim);
        kills++;
      }
      while (live.size < 4) start();
    }
    // Let the survivors work on, then stop them all; each must exit by itself.
    const before = sumDone();
    expect(await pollUntil(() => sumDone() > before + 100, 2000, 5)).toBe(true);
    Atomics.store(view, STOP, 1);
    const results = (await Promise.all(exits)) as Array<{ code: number | null; signal: string | null }>;
    // Killed ones ended by SIGKILL; every other one exited 0 (no error, no deadlock).
    expect(results.filter((r) => r.signal === 'SIGKILL').length).toBe(kills);
    expect(results.filter((r) => r.signal !== 'SIGKILL').every((r) => r.code === 0)).toBe(true);

    // A racer killed last may still hold it: take over if so, and repair.
    expect(m.lockSync()).toBe(true);
    let takeovers = Atomics.load(view, TAKEOVERS);
    if (m.ownerDied) {
      takeovers++;
      view[COUNTER] = 1 + sumDone();
      view[INSIDE] = 0;
    }
    if (process.env.SHMEM_DEBUG) console.log({ kills, holderKills, takeovers, done: sumDone(), forked: slot });
    expect(view[VIOLATIONS]).toBe(0);
    expect(view[COUNTER]).toBe(1 + sumDone());
    expect(view[INSIDE]).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(20);
    expect(holderKills).toBeGreaterThan(0);
    expect(takeovers).toBeGreaterThan(0);
    expect(sumDone()).toBeGreaterThan(0);
    m.unlock();
  });
});
