// wait / waitAsync / notify on Int32Array words of a SharedMemory, across
// processes: results, wake counts, ping-pong sequences, spin, errors.
import { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

import { notify, SharedMemory, wait, waitAsync } from '..';
import { cleanupNames, forkFixture, killChildren, onceExit, uniqueName } from './helpers';
import { ask, command, nextMessage, pollUntil, sleep, startAgent } from './mutex-util';

const opened: SharedMemory[] = [];

afterEach(() => {
  killChildren();
  for (const shm of opened.splice(0)) shm.close();
  cleanupNames();
});

function setup(size = 4096) {
  const shm = SharedMemory.create({ name: uniqueName(), size });
  opened.push(shm);
  const view = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, shm.size >> 2);
  return { shm, view };
}

async function agent(shm: SharedMemory) {
  return startAgent('wait-agent.js', [shm.name]);
}

// futex's number in /proc/<pid>/syscall: the kernel's, which is x86-64's (202)
// also for an arm64 Node under qemu-user on an x86 machine (the emulator makes
// the call), and arm64's (98) on arm64.
const FUTEX_SYSCALLS = new Set([202, 98]);

/** The address where `pid` maps byte `offset` of segment `name` (from /proc/<pid>/maps). */
function mappedAddress(pid: number, name: string, offset: number): bigint | null {
  const maps = fs.readFileSync(`/proc/${pid}/maps`, 'utf8');
  const line = maps.split('\n').find((l) => l.endsWith(`/dev/shm/${name}`) || l.includes(`/dev/shm/${name} `));
  if (!line) return null;
  const [range, , fileOffset] = line.split(/\s+/);
  return BigInt(`0x${range.split('-')[0]}`) - BigInt(`0x${fileOffset}`) + BigInt(offset);
}

/** True if the main thread of `pid` sleeps in futex() on `address`. */
function sleepsOn(pid: number, address: bigint): boolean {
  try {
    const [nr, addr] = fs.readFileSync(`/proc/${pid}/syscall`, 'utf8').trim().split(' ');
    return FUTEX_SYSCALLS.has(Number(nr)) && BigInt(addr) === address;
  } catch {
    return false;
  }
}

describe('wait results', () => {
  test("'not-equal' when the word differs, 'timed-out' when nobody notifies", () => {
    const { view } = setup();
    view[3] = 7;
    expect(wait(view, 3, 8)).toBe('not-equal');
    expect(wait(view, 3, 8, 0)).toBe('not-equal');
    expect(wait(view, 3, 7, 0)).toBe('timed-out');
    expect(wait(view, 3, 7, 20)).toBe('timed-out');
    expect(wait(view, 3, 7, 0.5)).toBe('timed-out');
  });

  test('the value is compared as an int32, as with Atomics.wait', () => {
    const { view } = setup();
    view[0] = -1;
    expect(wait(view, 0, 0xffffffff, 5)).toBe('timed-out');
    expect(wait(view, 0, -1.7, 5)).toBe('timed-out');
    view[1] = 5;
    expect(wait(view, 1, 2 ** 32 + 5, 5)).toBe('timed-out');
  });

  test('a view at an offset into the segment addresses its own words', () => {
    const { shm, view } = setup();
    const sub = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset + 64, 4);
    view[16 + 3] = 9;
    expect(wait(sub, 3, 9, 1)).toBe('timed-out');
    expect(wait(sub, 3, 8, 1)).toBe('not-equal');
    expect(notify(sub, 3)).toBe(0);
    expect(() => wait(sub, 4, 0, 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test("waitAsync: 'not-equal' and 'timed-out'", async () => {
    const { view } = setup();
    view[2] = 1;
    await expect(waitAsync(view, 2, 0)).resolves.toBe('not-equal');
    await expect(waitAsync(view, 2, 1, 0)).resolves.toBe('timed-out');
    await expect(waitAsync(view, 2, 1, 20)).resolves.toBe('timed-out');
  });

  test('notify with no waiters returns 0; count 0 wakes nobody', () => {
    const { view } = setup();
    expect(notify(view, 0)).toBe(0);
    expect(notify(view, 0, 0)).toBe(0);
    expect(notify(view, 0, 5)).toBe(0);
    expect(notify(view, 0, Infinity)).toBe(0);
  });

  test('the spin option: a spinning wait still times out or sees not-equal', () => {
    const { view } = setup();
    expect(wait(view, 0, 1, 10, { spin: 100 })).toBe('not-equal');
    expect(wait(view, 0, 0, 10, { spin: 100 })).toBe('timed-out');
    expect(wait(view, 0, 0, 10, { spin: 0 })).toBe('timed-out');
    expect(wait(view, 0, 0, 10, {})).toBe('timed-out');
  });
});

describe('across processes', () => {
  test('a wait in another process is woken by notify here', async () => {
    const { shm, view } = setup();
    const { child } = await agent(shm);
    const w = ask(child, { cmd: 'wait', index: 5, value: 0, timeout: 60000 }, true);
    await w.waiting;
    // Value unchanged: only a real wake ends that wait with 'ok'.
    let woken = 0;
    for (let i = 0; i < 5000 && woken === 0; i++) {
      woken = notify(view, 5, 1);
      if (woken === 0) await sleep(1);
    }
    expect(woken).toBe(1);
    expect(await w.reply).toMatchObject({ result: 'ok' });
  });

  test('a wait here is woken by notify from another process', async () => {
    const { shm, view } = setup();
    const { child } = await agent(shm);
    const notifier = command(child, { cmd: 'notifyUntil', index: 6, total: 1 });
    // Blocks this thread; the child keeps notifying until it wakes someone.
    expect(wait(view, 6, 0, 60000)).toBe('ok');
    expect(await notifier).toMatchObject({ result: 1 });
  });

  test('a wait with spin here is woken by a store and notify from another process', async () => {
    const { shm, view } = setup();
    const { child } = await agent(shm);
    const notifier = command(child, { cmd: 'notifyUntil', index: 6, total: 1 });
    expect(wait(view, 6, 0, 60000, { spin: 50 })).toBe('ok');
    expect(await notifier).toMatchObject({ result: 1 });
  });

  test('store then notify from another process ends a wait with ok, not a timeout', async () => {
    const { shm, view } = setup();
    const { child, pid } = await agent(shm);
    const w = ask(child, { cmd: 'wait', index: 1, value: 0, timeout: 60000 }, true);
    await w.waiting;
    // Store only once the child sleeps in futex() on the word: a store before
    // its wait began would rightly give 'not-equal' (a fixed 20 ms pause was
    // not always enough under CPU emulation).
    if (process.platform === 'linux') {
      const asleep = () => {
        const address = mappedAddress(pid, shm.name, 1 * 4);
        return address !== null && sleepsOn(pid, address);
      };
      expect(await pollUntil(asleep, 2000, 5)).toBe(true);
    } else {
      await sleep(20);
    }
    Atomics.store(view, 1, 1);
    notify(view, 1);
    expect(await w.reply).toMatchObject({ result: 'ok' });
  });

  test('notify(view, i, count) wakes exactly count of 3 sleeping processes, and returns that number', async () => {
    const { shm, view } = setup();
    const agents = await Promise.all([agent(shm), agent(shm), agent(shm)]);
    const INDEX = 10;
    const waits = agents.map((a) => ask(a.child, { cmd: 'wait', index: INDEX, value: 0, timeout: 60000 }, true));
    await Promise.all(waits.map((w) => w.waiting));
    const replies: Array<string | undefined> = [undefined, undefined, undefined];
    waits.forEach((w, i) => w.reply.then((r) => (replies[i] = r.result), () => {}));
    if (process.platform === 'linux') {
      // Until all three sleep in futex() on that word (bounded).
      const asleep = () =>
        agents.every((a) => {
          const address = mappedAddress(a.pid, shm.name, INDEX * 4);
          return address !== null && sleepsOn(a.pid, address);
        });
      expect(await pollUntil(asleep, 2000, 5)).toBe(true);
      expect(notify(view, INDEX, 2)).toBe(2);
      expect(await pollUntil(() => replies.filter((r) => r === 'ok').length === 2, 2000, 5)).toBe(true);
      expect(notify(view, INDEX)).toBe(1); // the one left
    } else {
      let woken = 0;
      for (let i = 0; i < 5000 && woken < 3; i++) {
        woken += notify(view, INDEX, 1);
        await sleep(1);
      }
      expect(woken).toBe(3);
    }
    expect((await Promise.all(waits.map((w) => w.reply))).map((r) => r.result)).toEqual(['ok', 'ok', 'ok']);
    expect(notify(view, INDEX)).toBe(0);
  });

  const maybeLinuxFutex = process.platform === 'linux' ? test : test.skip;
  maybeLinuxFutex('notify(view, i, 0) wakes nobody while a process sleeps on the word', async () => {
    const { shm, view } = setup();
    const a = await agent(shm);
    const w = ask(a.child, { cmd: 'wait', index: 12, value: 0, timeout: 60000 }, true);
    await w.waiting;
    let done = false;
    w.reply.then(() => (done = true), () => {});
    const asleep = () => {
      const address = mappedAddress(a.pid, shm.name, 12 * 4);
      return address !== null && sleepsOn(a.pid, address);
    };
    expect(await pollUntil(asleep, 2000, 5)).toBe(true);
    expect(notify(view, 12, 0)).toBe(0);
    expect(notify(view, 12, 0.5)).toBe(0);
    await sleep(50);
    expect(done).toBe(false);
    expect(notify(view, 12)).toBe(1);
    expect(await w.reply).toMatchObject({ result: 'ok' });
  });

  test('notify(view, i, 1) in a loop wakes 3 waiting processes one by one; the sum of returns is 3', async () => {
    const { shm, view } = setup();
    const agents = await Promise.all([agent(shm), agent(shm), agent(shm)]);
    const waits = agents.map((a) => ask(a.child, { cmd: 'wait', index: 11, value: 0, timeout: 60000 }, true));
    await Promise.all(waits.map((w) => w.waiting));
    let sum = 0;
    for (let i = 0; i < 10000 && sum < 3; i++) {
      const n = notify(view, 11, 1);
      expect(n === 0 || n === 1).toBe(true);
      sum += n;
      if (sum < 3) await sleep(1);
    }
    expect(sum).toBe(3);
    for (const w of waits) expect(await w.reply).toMatchObject({ result: 'ok' });
  });

  test('notify only wakes waiters on that word, not on its neighbours', async () => {
    const { shm, view } = setup();
    const a = await agent(shm);
    const b = await agent(shm);
    const wa = ask(a.child, { cmd: 'wait', index: 20, value: 0, timeout: 60000 }, true);
    const wb = ask(b.child, { cmd: 'wait', index: 21, value: 0, timeout: 60000 }, true);
    await Promise.all([wa.waiting, wb.waiting]);
    let woken = 0;
    for (let i = 0; i < 5000 && woken === 0; i++) {
      woken = notify(view, 20);
      if (!woken) await sleep(1);
    }
    expect(woken).toBe(1);
    expect(await wa.reply).toMatchObject({ result: 'ok' });
    let bDone = false;
    wb.reply.then(() => (bDone = true), () => {});
    await sleep(50);
    expect(bDone).toBe(false);
    for (let i = 0; i < 5000 && notify(view, 21) === 0; i++) await sleep(1);
    expect(await wb.reply).toMatchObject({ result: 'ok' });
  });

  test('waitAsync here resolves ok on a store and notify from another process', async () => {
    const { shm, view } = setup();
    const { child } = await agent(shm);
    const p = waitAsync(view, 7, 0, 60000);
    await sleep(20);
    await command(child, { cmd: 'storeAndNotify', index: 7, value: 1 });
    await expect(p).resolves.toBe('ok');
  });

  test('8 pending waitAsync: the event loop and threadpool stay free; notify from another process wakes all 8', async () => {
    const { shm, view } = setup();
    const { child } = await agent(shm);
    const settled: string[] = [];
    const ps = Array.from({ length: 8 }, () => waitAsync(view, 9, 0, 60000).then((r) => (settled.push(r), r)));
    await sleep(20);
    await Promise.all([1, 2, 3, 4, 5].map(() => fs.promises.readFile(__filename)));
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toEqual([]);
    // Value unchanged: each 'ok' is a real wake, counted by notify's return.
    expect(await command(child, { cmd: 'notifyUntil', index: 9, total: 8, max: 20000 })).toMatchObject({ result: 8 });
    expect(await Promise.all(ps)).toEqual(Array(8).fill('ok'));
  });
});

describe('ping-pong between two processes', () => {
  const ROUNDS = 10000;

  async function pingPong(pingArgs: string[], pongArgs: string[]) {
    const { shm, view } = setup();
    const ping = forkFixture('wait-pingpong.js', [shm.name, 'ping', String(ROUNDS), ...pingArgs]);
    const pong = forkFixture('wait-pingpong.js', [shm.name, 'pong', String(ROUNDS), ...pongArgs]);
    const results = [nextMessage(ping), nextMessage(pong)];
    Atomics.store(view, 2, 1);
    notify(view, 2);
    const [a, b] = await Promise.all(results);
    expect(a).toEqual({ rounds: ROUNDS, errors: 0 });
    expect(b).toEqual({ rounds: ROUNDS, errors: 0 });
    expect(view[0]).toBe(ROUNDS);
    expect(view[1]).toBe(ROUNDS);
    expect((await Promise.all([onceExit(ping), onceExit(pong)])).map((r) => r.code)).toEqual([0, 0]);
  }

  test('10,000 round trips with wait on both sides', async () => {
    await pingPong(['sync'], ['sync']);
  });

  test('10,000 round trips with waitAsync on one side', async () => {
    await pingPong(['sync'], ['async']);
  });

  test('10,000 round trips with spinning waits', async () => {
    await pingPong(['sync', '20'], ['sync', '20']);
  });
});

describe('errors', () => {
  test('view must be an Int32Array → ERR_INVALID_ARG_TYPE', async () => {
    const { shm } = setup();
    const ab = shm.buffer.buffer;
    for (const bad of [undefined, null, [0], shm.buffer, new Uint32Array(ab, shm.buffer.byteOffset, 4), new BigInt64Array(ab, shm.buffer.byteOffset, 2), new DataView(ab)]) {
      expect(() => wait(bad as any, 0, 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => notify(bad as any, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      await expect(waitAsync(bad as any, 0, 0, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    }
  });

  test('an Int32Array not over a SharedMemory → ERR_INVALID_ARG_VALUE', async () => {
    for (const bad of [new Int32Array(4), new Int32Array(new SharedArrayBuffer(16))]) {
      expect(() => wait(bad, 0, 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      expect(() => notify(bad, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
      await expect(waitAsync(bad, 0, 0, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    }
  });

  test("a buffer dressed up as a segment's (its owner property copied over) is still refused", async () => {
    // lib/ finds a view's segment through a symbol-keyed property on the
    // ArrayBuffer; a copy of that property on a larger plain buffer must not
    // lead the native side to an offset beyond the segment.
    const { shm } = setup(64);
    const ab = shm.buffer.buffer;
    const fake = new ArrayBuffer(1 << 20);
    for (const key of Object.getOwnPropertySymbols(ab)) (fake as any)[key] = (ab as any)[key];
    const view = new Int32Array(fake);
    expect(() => wait(view, 200_000, 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => notify(view, 200_000)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    await expect(waitAsync(view, 200_000, 0, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
  });

  test('index out of range → ERR_OUT_OF_RANGE; not a number → ERR_INVALID_ARG_TYPE', async () => {
    const { view } = setup(64);
    for (const bad of [-1, 16, 17, 1.5, NaN, Infinity]) {
      expect(() => wait(view, bad, 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => notify(view, bad)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      await expect(waitAsync(view, bad, 0, 0)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    }
    for (const bad of ['0', undefined, 0n]) {
      expect(() => wait(view, bad as any, 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      expect(() => notify(view, bad as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    expect(wait(view, 15, 0, 0)).toBe('timed-out');
  });

  test('bad value, timeout, count, options', async () => {
    const { view } = setup();
    expect(() => wait(view, 0, '0' as any, 0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => wait(view, 0, 0, -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => wait(view, 0, 0, NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => wait(view, 0, 0, '5' as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    await expect(waitAsync(view, 0, 0, -1)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(waitAsync(view, 0, 'x' as any, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(() => notify(view, 0, -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => notify(view, 0, NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => notify(view, 0, '1' as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => wait(view, 0, 0, 0, { spin: -1 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => wait(view, 0, 0, 0, { spin: NaN })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => wait(view, 0, 0, 0, { spin: Infinity })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => wait(view, 0, 0, 0, { spin: '1' as any })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => wait(view, 0, 0, 0, null as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => wait(view, 0, 0, 0, 5 as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('use after close → EBADF; a pending waitAsync rejects with EBADF on close', async () => {
    const { shm, view } = setup();
    const pending = waitAsync(view, 0, 0, 60000);
    const pending2 = waitAsync(view, 1, 0);
    await sleep(20);
    shm.close();
    await expect(pending).rejects.toMatchObject({ code: 'EBADF' });
    await expect(pending2).rejects.toMatchObject({ code: 'EBADF' });
    // The views are detached (length 0); still an error, never a crash.
    expect(() => wait(view, 0, 0, 0)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    expect(() => notify(view, 0)).toThrow(expect.objectContaining({ code: 'EBADF' }));
    await expect(waitAsync(view, 0, 0, 0)).rejects.toMatchObject({ code: 'EBADF' });
  });

  test('close() right after waitAsync() (before its thread sleeps) rejects with EBADF', async () => {
    const { shm, view } = setup();
    const p = waitAsync(view, 0, 0);
    shm.close();
    await expect(p).rejects.toMatchObject({ code: 'EBADF' });
  });
});
