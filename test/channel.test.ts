// Channel in one process: message kinds, sizes and wrap-around, full and
// empty with timeouts and abort, end(), zero copy, close with waits pending,
// and every bad input with its error.
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';

import { AbortError, Channel, SharedMemory } from '..';
import { cleanupNames, uniqueName } from './helpers';
import { track } from './race-helpers';

const open: Array<{ close(): void }> = [];

afterEach(() => {
  for (const h of open.splice(0)) h.close();
  cleanupNames();
});

function make(capacity = 4096): Channel<any> {
  const ch = Channel.create({ name: uniqueName(), capacity });
  open.push(ch);
  return ch;
}

function reopen(ch: Channel<any>): Channel<any> {
  const other = Channel.open(ch.name);
  open.push(other);
  return other;
}

describe('messages keep their kind', () => {
  const values: Array<[string, unknown]> = [
    ['a string', 'héllo, wörld ✓'],
    ['an empty string', ''],
    ['an object', { id: 1, name: 'job', tags: ['a', 'b', 'c'], nested: { deep: [1, 2, 3] } }],
    ['an array', [1, 'two', { three: 3 }]],
    ['a Map', new Map<unknown, unknown>([['a', 1], [2, { b: true }]])],
    ['a Set', new Set([1, 'x', 3n])],
    ['a Date', new Date('2026-12-04T12:00:00Z')],
    ['a BigInt', 12345678901234567890n],
    ['null', null],
    ['a number', 42.5],
    ['a boolean', false],
    ['a nested typed array', { f: new Float64Array([1.5, -2]) }],
  ];
  test.each(values)('%s', (_label, value) => {
    const ch = make();
    const other = reopen(ch);
    expect(ch.trySend(value)).toBe(true);
    expect(other.tryReceive()).toEqual(value);
    expect(other.tryReceive()).toBeUndefined();
  });

  test('an Error arrives as an Error with its message', () => {
    const ch = make();
    ch.trySend(new RangeError('boom'));
    const e = ch.tryReceive() as Error;
    expect(e.name).toBe('RangeError');
    expect(Object.prototype.toString.call(e)).toBe('[object Error]');
    expect(e.message).toBe('boom');
  });

  test('a Buffer, a Uint8Array, a DataView and a Float32Array arrive as Buffers the receiver owns', () => {
    const ch = make();
    const f = new Float32Array([1, 2]);
    const sent = [Buffer.from('abc'), new Uint8Array([1, 2, 3]), new DataView(new Uint8Array([9, 8]).buffer), f];
    for (const s of sent) ch.trySend(s);
    const got = sent.map(() => ch.tryReceive() as Buffer);
    for (const g of got) expect(Buffer.isBuffer(g)).toBe(true);
    expect(got[0].toString()).toBe('abc');
    expect([...got[1]]).toEqual([1, 2, 3]);
    expect([...got[2]]).toEqual([9, 8]);
    expect(got[3]).toEqual(Buffer.from(f.buffer));
    // A copy: later traffic through the ring does not change it.
    for (let i = 0; i < 200; i++) {
      ch.trySend(Buffer.alloc(100, 0xee));
      ch.tryReceive();
    }
    expect(got[0].toString()).toBe('abc');
    expect(got[0].buffer).not.toBe(ch.tryReserve(1)!.buffer);
    ch.commit();
  });

  test('a pooled Buffer inside a value carries its own bytes only, not the pool it lives in', () => {
    const ch = make();
    const b = Buffer.from('x'); // a view into Buffer's shared 8 KiB pool
    expect(b.buffer.byteLength).toBeGreaterThan(1);
    ch.trySend({ b });
    const got = ch.tryReceive() as { b: Buffer };
    expect(got.b).toHaveLength(1);
    expect(got.b.buffer.byteLength).toBeLessThan(64);
    expect(Buffer.from(got.b).toString()).toBe('x');
  });

  test('a value with a typed array inside is decoded from a copy, not in place', () => {
    const ch = make();
    ch.trySend({ data: new Uint8Array([1, 2, 3]) });
    const v = ch.tryReceive() as { data: Uint8Array };
    for (let i = 0; i < 100; i++) {
      ch.trySend(Buffer.alloc(200, 0xff));
      ch.tryReceive();
    }
    expect([...v.data]).toEqual([1, 2, 3]);
  });

  test('undefined cannot be sent; values structured clone refuses throw DataCloneError; nothing is written', () => {
    const ch = make();
    expect(() => ch.trySend(undefined)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => ch.trySend({ f() {} })).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    expect(() => ch.trySend(Symbol('s'))).toThrow(expect.objectContaining({ name: 'DataCloneError' }));
    expect(ch.tryReceive()).toBeUndefined();
  });
});

describe('sizes', () => {
  test('maxMessageSize is the largest that fits an empty channel; one byte more throws ERR_OUT_OF_RANGE before writing', () => {
    for (const capacity of [64, 100, 4096, 65536]) {
      const ch = make(capacity);
      expect(ch.capacity).toBe(capacity);
      const max = ch.maxMessageSize;
      expect(max).toBe(((capacity + 7) & ~7) - 8);
      // At every position of the ring: move the cursors first.
      for (let shift = 0; shift < 5; shift++) {
        for (let i = 0; i < shift; i++) {
          ch.trySend(Buffer.alloc(3 + i * 5));
          ch.tryReceive();
        }
        const big = randomBytes(max);
        expect(ch.trySend(big)).toBe(true);
        expect(ch.trySend(Buffer.alloc(0))).toBe(false);
        expect((ch.tryReceive() as Buffer).equals(big)).toBe(true);
      }
      expect(() => ch.trySend(Buffer.alloc(max + 1))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => ch.trySend('x'.repeat(max + 1))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => ch.trySend('é'.repeat(Math.ceil((max + 1) / 2)))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(() => ch.tryReserve(max + 1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(ch.tryReceive()).toBeUndefined();
    }
  });

  test('wrap-around: every size from 0 to 1 KiB, several laps each', () => {
    const ch = make(3200); // two records of 1032 bytes and a pad of up to 1031
    for (let size = 0; size <= 1024; size++) {
      for (let k = 0; k < 3; k++) {
        const b = Buffer.alloc(size, (size + k) & 255);
        expect(ch.trySend(b)).toBe(true);
        if (k === 1) expect(ch.trySend(b)).toBe(true);
        expect((ch.tryReceive() as Buffer).equals(b)).toBe(true);
        if (k === 1) expect((ch.tryReceive() as Buffer).equals(b)).toBe(true);
      }
    }
    expect(ch.tryReceive()).toBeUndefined();
  });

  test('the 64 KiB edges, and random sizes up to 3 x 64 KiB, through a ring of 256 KiB with up to 3 queued', () => {
    const ch = make(256 * 1024);
    const K = 64 * 1024;
    const sizes = [K - 9, K - 8, K - 1, K, K + 1, K + 7, K + 8, 2 * K, 3 * K];
    for (let i = 0; i < 60; i++) sizes.push(Math.floor(Math.random() * 3 * K) + 1);
    const queue: Buffer[] = [];
    for (const size of sizes) {
      const b = randomBytes(size);
      while (!ch.trySend(b)) expect((ch.tryReceive() as Buffer).equals(queue.shift()!)).toBe(true);
      queue.push(b);
      if (queue.length > 3) expect((ch.tryReceive() as Buffer).equals(queue.shift()!)).toBe(true);
    }
    while (queue.length) expect((ch.tryReceive() as Buffer).equals(queue.shift()!)).toBe(true);
    expect(ch.tryReceive()).toBeUndefined();
  });

  test('strings are sized by UTF-8 bytes', () => {
    const ch = make(64);
    const s = '€'.repeat(Math.floor(ch.maxMessageSize / 3));
    expect(ch.trySend(s)).toBe(true);
    expect(ch.tryReceive()).toBe(s);
  });
});

describe('full and empty', () => {
  test('trySend says false when full; receiveSync and receive time out with undefined; sendSync and send with false', async () => {
    const ch = make(64);
    expect(ch.tryReceive()).toBeUndefined();
    expect(ch.receiveSync(0)).toBeUndefined();
    expect(ch.receiveSync(20)).toBeUndefined();
    expect(await ch.receive({ timeout: 20 })).toBeUndefined();
    expect(ch.trySend(Buffer.alloc(ch.maxMessageSize))).toBe(true);
    expect(ch.trySend('x')).toBe(false);
    expect(ch.sendSync('x', 20)).toBe(false);
    expect(await ch.send('x', { timeout: 20 })).toBe(false);
    expect(ch.reserveSync(1, 10)).toBeUndefined();
    expect(await ch.reserve(1, { timeout: 10 })).toBeUndefined();
    expect((ch.tryReceive() as Buffer).length).toBe(ch.maxMessageSize);
    expect(ch.peekSync(10)).toBeUndefined();
    expect(await ch.peek({ timeout: 10 })).toBeUndefined();
  });

  test('a pending send completes when a receiver makes room; a pending receive when a message comes', async () => {
    const ch = make(64);
    const other = reopen(ch);
    ch.trySend(Buffer.alloc(48)); // 56 of the 64 bytes
    const send = track(ch.send('second'));
    await new Promise((r) => setTimeout(r, 20));
    expect(send.settled()).toBe(false);
    expect((other.tryReceive() as Buffer).length).toBe(48);
    expect((await send.promise).value).toBe(true);
    expect(other.tryReceive()).toBe('second');
    const recv = track(other.receive());
    await new Promise((r) => setTimeout(r, 20));
    expect(recv.settled()).toBe(false);
    ch.trySend({ late: true });
    expect((await recv.promise).value).toEqual({ late: true });
  });

  test('AbortSignal: an already aborted signal rejects at once; aborting a pending wait rejects with AbortError and takes or sends nothing', async () => {
    const ch = make(64);
    const aborted = AbortSignal.abort('no');
    await expect(ch.receive({ signal: aborted })).rejects.toBeInstanceOf(AbortError);
    await expect(ch.send('x', { signal: aborted })).rejects.toBeInstanceOf(AbortError);
    expect(ch.tryReceive()).toBeUndefined();

    const ac = new AbortController();
    const recv = ch.receive({ signal: ac.signal });
    setTimeout(() => ac.abort('stop'), 10);
    await expect(recv).rejects.toMatchObject({ name: 'AbortError', cause: 'stop' });

    ch.trySend(Buffer.alloc(ch.maxMessageSize));
    const ac2 = new AbortController();
    const send = ch.send('lost', { signal: ac2.signal });
    setTimeout(() => ac2.abort(), 10);
    await expect(send).rejects.toBeInstanceOf(AbortError);
    expect((ch.tryReceive() as Buffer).length).toBe(ch.maxMessageSize);
    expect(ch.tryReceive()).toBeUndefined();
  });

  test('8 pending receives leave the event loop and the threadpool free; 8 messages then resolve all 8', async () => {
    const ch = make();
    const waits = Array.from({ length: 8 }, () => track(ch.receive()));
    const contents = await Promise.all(Array.from({ length: 6 }, () => fs.promises.readFile(__filename, 'utf8')));
    for (const c of contents) expect(c).toContain('threadpool');
    await new Promise((r) => setTimeout(r, 10));
    expect(waits.every((w) => !w.settled())).toBe(true);
    for (let i = 0; i < 8; i++) ch.trySend(i);
    const got = (await Promise.all(waits.map((w) => w.promise))).map((o) => o.value);
    expect((got as number[]).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('end()', () => {
  test('messages sent before end() are delivered; then receives return undefined at once; every send form fails with EPIPE', async () => {
    const ch = make();
    const other = reopen(ch);
    ch.trySend('a');
    ch.trySend({ b: 2 });
    expect(other.ended).toBe(false);
    ch.end();
    expect(ch.ended).toBe(true);
    expect(other.ended).toBe(true);
    expect(() => other.trySend('x')).toThrow(expect.objectContaining({ code: 'EPIPE' }));
    expect(() => other.sendSync('x')).toThrow(expect.objectContaining({ code: 'EPIPE' }));
    await expect(other.send('x')).rejects.toMatchObject({ code: 'EPIPE' });
    expect(() => other.tryReserve(4)).toThrow(expect.objectContaining({ code: 'EPIPE' }));
    expect(other.receiveSync()).toBe('a');
    expect(await other.receive()).toEqual({ b: 2 });
    expect(other.receiveSync()).toBeUndefined(); // no timeout given: would wait forever if it waited
    expect(await other.receive()).toBeUndefined();
    expect(other.peekSync()).toBeUndefined();
  });

  test('a pending receive resolves undefined at end()', async () => {
    const ch = make(64);
    const other = reopen(ch);
    const pending = other.receive();
    setTimeout(() => ch.end(), 10);
    expect(await pending).toBeUndefined();
  });

  test('a send waiting for room rejects with EPIPE at end(); for await then drains what was sent before and ends', async () => {
    const ch = make(4096);
    const other = reopen(ch);
    for (let i = 0; i < 20; i++) await ch.send(i);
    let fillers = 0;
    while (ch.trySend('filler')) fillers++;
    const blocked = ch.send('never');
    setTimeout(() => ch.end(), 10);
    await expect(blocked).rejects.toMatchObject({ code: 'EPIPE' });
    const seen: unknown[] = [];
    for await (const m of other) seen.push(m);
    expect(seen.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(seen).toHaveLength(20 + fillers);
  });

  test('breaking out of for await takes nothing more', async () => {
    const ch = make();
    for (let i = 0; i < 5; i++) ch.trySend(i);
    for await (const m of ch) if (m === 1) break;
    expect(ch.tryReceive()).toBe(2);
  });
});

describe('zero copy', () => {
  test('tryReserve gives a writable view in the channel; commit publishes it; tryPeek shows it in place; release frees it', () => {
    const ch = make(4096);
    const other = reopen(ch);
    const view = ch.tryReserve(100)!;
    expect(view).toHaveLength(100);
    view.fill(7);
    expect(other.tryPeek()).toBeUndefined(); // not published yet
    ch.commit();
    const seen = other.tryPeek()!;
    expect(seen).toHaveLength(100);
    expect(seen.every((b) => b === 7)).toBe(true);
    expect(other.tryPeek()).toBe(seen); // the same, until released
    seen[0] = 1; // in place: the receiver may even write
    other.release();
    expect(other.tryReceive()).toBeUndefined();
    // commit(n) publishes the first n bytes
    ch.tryReserve(64)!.write('hello');
    ch.commit(5);
    expect((other.tryReceive() as Buffer).toString()).toBe('hello');
  });

  test('poll gives every message there now, bytes as views in place, up to limit', () => {
    const ch = make(4096);
    for (let i = 0; i < 10; i++) ch.trySend(Buffer.from([i]));
    ch.trySend('text');
    ch.trySend({ v: 1 });
    const got: unknown[] = [];
    expect(ch.poll((m) => got.push(Buffer.isBuffer(m) ? m[0] : m), 4)).toBe(4);
    expect(ch.poll((m) => got.push(Buffer.isBuffer(m) ? m[0] : m))).toBe(8);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 'text', { v: 1 }]);
    expect(ch.poll(() => {})).toBe(0);
    // A view in place: its buffer is the channel's memory.
    ch.trySend(Buffer.from('in place'));
    let viewBuffer: ArrayBufferLike | undefined;
    ch.poll((m) => {
      viewBuffer = (m as Buffer).buffer;
    });
    expect(viewBuffer).toBe(ch.tryReserve(1)!.buffer);
    ch.commit();
  });

  test('poll takes what is there when it looks: messages sent meanwhile, by any handle, wait for the next call', () => {
    const ch = make(4096);
    const sender = reopen(ch);
    for (let i = 0; i < 3; i++) sender.trySend(Buffer.from([i]));
    expect(ch.poll(() => {}, 1)).toBe(1); // this handle has now seen TAIL with two more behind it
    for (let i = 3; i < 6; i++) sender.trySend(Buffer.from([i]));
    const got: number[] = [];
    // Every message there now, also those sent after this handle last looked...
    expect(
      ch.poll((m) => {
        got.push(m[0]);
        if (m[0] === 1) sender.trySend(Buffer.from([6])); // ...but not one sent while it runs
      }),
    ).toBe(5);
    expect(got).toEqual([1, 2, 3, 4, 5]);
    expect(ch.poll((m) => got.push(m[0]))).toBe(1);
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ch.poll(() => {})).toBe(0);
  });

  test('a throwing poll callback: the error propagates, that message is taken, the rest stay', () => {
    const ch = make();
    ch.trySend('a');
    ch.trySend('b');
    expect(() =>
      ch.poll(() => {
        throw new Error('cb');
      }),
    ).toThrow('cb');
    expect(ch.tryReceive()).toBe('b');
  });

  test('misuse: commit without reserve, release without peek, a send or a second reserve while reserving, peek at a string', () => {
    const ch = make();
    expect(() => ch.commit()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(() => ch.release()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    ch.tryReserve(8);
    expect(() => ch.trySend('x')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(() => ch.tryReserve(8)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(() => ch.commit(9)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    ch.commit(0);
    expect((ch.tryReceive() as Buffer).length).toBe(0);
    ch.trySend('str');
    expect(() => ch.tryPeek()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(ch.tryReceive()).toBe('str'); // the failed peek left it there
  });
});

describe('close()', () => {
  test('pending sends and receives reject with EBADF; views drop to length 0; every call then throws EBADF', async () => {
    const ch = Channel.create({ name: uniqueName(), capacity: 64 });
    const other = reopen(ch);
    const recv = ch.receive(); // empty: it waits
    await new Promise((r) => setTimeout(r, 10));
    ch.close();
    await expect(recv).rejects.toMatchObject({ code: 'EBADF' });
    expect(ch.closed).toBe(true);
    const peeker = reopen(other);
    const peek = peeker.peek();
    other.trySend(Buffer.alloc(other.maxMessageSize));
    await expect(peek).resolves.toHaveLength(other.maxMessageSize);
    const view = peeker.tryPeek()!;
    peeker.close();
    expect(view.length).toBe(0);
    // The peeked message stayed for others.
    expect((other.tryReceive() as Buffer).length).toBe(other.maxMessageSize);

    const sender = reopen(other);
    sender.trySend(Buffer.alloc(sender.maxMessageSize));
    const send = sender.send('x');
    const reserved = other.tryReserve(0);
    expect(reserved).toBeUndefined(); // full
    sender.close();
    await expect(send).rejects.toMatchObject({ code: 'EBADF' });
    for (const call of [
      () => ch.trySend('x'),
      () => ch.tryReceive(),
      () => ch.receiveSync(),
      () => ch.tryReserve(1),
      () => ch.tryPeek(),
      () => ch.poll(() => {}),
      () => ch.end(),
    ]) {
      expect(call).toThrow(expect.objectContaining({ code: 'EBADF' }));
    }
    await expect(ch.receive()).rejects.toMatchObject({ code: 'EBADF' });
    ch.close(); // idempotent
  });

  test('close() while a pending receive() or send() is being given its lock: the lock is let go, nothing is lost or doubled', async () => {
    // Another thread holds both locks (a peek and a reservation) and lets go
    // after a random moment; this thread closes the waiting handle at about
    // that moment. (Two handles in one thread share its locks.)
    const holderCode = `
      const { workerData, parentPort } = require('node:worker_threads');
      const { Channel } = require(workerData.pkg);
      const a = Channel.open(workerData.name);
      a.tryPeek(); a.tryReserve(8);
      parentPort.postMessage('held');
      const t = Date.now(); while (Date.now() - t < workerData.delay);
      a.close();
      parentPort.postMessage('released');`;
    const { Worker } = await import('node:worker_threads');
    const pkg = require.resolve('..');
    for (let round = 0; round < 30; round++) {
      const b = make(256);
      const c = reopen(b);
      b.trySend(Buffer.from('m'));
      const w = new Worker(holderCode, { eval: true, workerData: { pkg, name: b.name, delay: 20 } });
      const exited = new Promise((res) => w.once('exit', res));
      await new Promise((r) => w.once('message', r)); // 'held'
      const receiving = b.receive().then((m) => ({ m }), (err) => ({ err }));
      const sending = b.send('sent').then((ok) => ({ ok }), (err) => ({ err }));
      // Close at about the moment the holder lets go (20 ms after 'held',
      // less the message's way here): a little before, or after.
      const spin = performance.now();
      while (performance.now() - spin < 14 + (round % 10));
      b.close();
      const [r, s2] = await Promise.all([receiving, sending]);
      await exited;
      if ('err' in r) expect(r.err).toMatchObject({ code: 'EBADF' });
      if ('err' in s2) expect(s2.err).toMatchObject({ code: 'EBADF' });
      // The locks are free (these would wait 10 s, then fail, if one were stuck).
      const rest: unknown[] = [];
      for (let m; (m = c.receiveSync(0)) !== undefined; ) rest.push(m);
      expect(c.sendSync('ok', 10000)).toBe(true);
      expect(c.receiveSync(10000)).toBe('ok');
      const got = 'm' in r ? [r.m, ...rest] : rest;
      expect(got.filter((m) => Buffer.isBuffer(m))).toEqual([Buffer.from('m')]); // exactly once
      expect(got.filter((m) => m === 'sent')).toHaveLength('ok' in s2 && s2.ok ? 1 : 0);
    }
  });

  test('close() drops an open reservation (nothing sent) and lets other senders go on', () => {
    const ch = Channel.create({ name: uniqueName(), capacity: 256 });
    const other = reopen(ch);
    const view = ch.tryReserve(16)!;
    view.fill(1);
    ch.close();
    expect(view.length).toBe(0);
    expect(other.tryReceive()).toBeUndefined();
    expect(other.trySend('after')).toBe(true);
    expect(other.tryReceive()).toBe('after');
  });

  test('close() inside a poll callback: that message is taken, its room is free, the lock is let go', () => {
    const ch = Channel.create({ name: uniqueName(), capacity: 64 });
    const other = reopen(ch);
    other.trySend(Buffer.alloc(20, 1));
    other.trySend(Buffer.alloc(20, 2));
    let len = -1;
    const n = ch.poll((m) => {
      ch.close();
      len = (m as Buffer).length;
    });
    expect(n).toBe(1);
    expect(len).toBe(0);
    expect((other.tryReceive() as Buffer)[0]).toBe(2);
    expect(other.trySend(Buffer.alloc(other.maxMessageSize))).toBe(true);
  });

  test('using closes; unlink removes the name', () => {
    const name = uniqueName();
    {
      using ch = Channel.create({ name, capacity: 128 });
      ch.trySend('x');
    }
    const again = Channel.open(name);
    expect(again.tryReceive()).toBe('x');
    again.unlink();
    again.close();
    expect(() => Channel.open(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => Channel.unlink(name)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});

describe('bad inputs', () => {
  test('create: capacity out of range or not an integer is ERR_OUT_OF_RANGE; wrong types ERR_INVALID_ARG_TYPE; a taken name EEXIST', () => {
    for (const capacity of [0, 63, 2 ** 30 + 1, 100.5, NaN, -1, Infinity]) {
      expect(() => Channel.create({ capacity })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    }
    expect(() => Channel.create({ capacity: '64' as any })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => (Channel.create as any)()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => Channel.create({ name: 'a/b', capacity: 64 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    const ch = make();
    expect(() => Channel.create({ name: ch.name, capacity: 64 })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(ch.trySend('still fine')).toBe(true);
  });

  test('open of a segment that is not a channel, of another version, or with an overwritten header: ERR_INVALID_ARG_VALUE naming why, the segment untouched', () => {
    const plain = SharedMemory.create({ name: uniqueName(), size: 4096 });
    open.push(plain);
    plain.buffer.write('not a channel at all');
    const before = Buffer.from(plain.buffer);
    expect(() => Channel.open(plain.name)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/is not a channel/) }));
    expect(plain.buffer.equals(before)).toBe(true);

    const small = SharedMemory.create({ name: uniqueName(), size: 16 });
    open.push(small);
    small.buffer.fill(1);
    expect(() => Channel.open(small.name)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/16 bytes/) }));

    const ch = make();
    const raw = SharedMemory.open(ch.name);
    open.push(raw);
    raw.buffer.writeInt32LE(99, 4); // the layout version
    expect(() => Channel.open(ch.name)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/incompatible version/) }));
    raw.buffer.writeInt32LE(1, 4);
    raw.buffer.writeInt32LE(1 << 20, 8); // the capacity
    expect(() => Channel.open(ch.name)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/damaged/) }));
  });

  test('open of a segment of zeros waits for a creator, then fails saying so', () => {
    const zeros = SharedMemory.create({ name: uniqueName(), size: 4096 });
    open.push(zeros);
    expect(() => Channel.open(zeros.name)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(/still being created/) }));
  });

  test('an open handle on a channel whose memory is overwritten throws EBADMSG or returns garbage, never crashes or hangs', () => {
    for (let round = 0; round < 30; round++) {
      const ch = make(512);
      const raw = SharedMemory.open(ch.name);
      open.push(raw);
      for (let i = 0; i < 5; i++) ch.trySend(randomBytes(i * 10));
      randomBytes(raw.size - 128).copy(raw.buffer, 128);
      for (let i = 0; i < 20; i++) {
        for (const call of [() => ch.tryReceive(), () => ch.trySend(Buffer.alloc(i)), () => ch.poll(() => {}), () => ch.receiveSync(1)]) {
          try {
            call();
          } catch (err: any) {
            expect(typeof err.code).toBe('string');
          }
        }
      }
    }
  });

  test('bad arguments of the other calls', async () => {
    const ch = make();
    expect(() => ch.receiveSync(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ch.sendSync('x', NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await expect(ch.receive({ timeout: -5 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(ch.receive({ signal: 'no' as any })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(ch.send('x', 5 as any)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(ch.send(undefined)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(() => ch.poll('fn' as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => ch.poll(() => {}, -1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ch.tryReserve(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => ch.tryReserve('1' as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => Channel.open('' as any)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
  });
});
