// Channel: a multi-producer, multi-consumer message queue in a named segment.
// The bytes it keeps there are described in channel-layout.ts. Senders take
// the send lock and receivers the receive lock (both robust Mutexes), so a
// process killed at any moment leaves the cursors consistent: each cursor
// moves with one store, after the bytes it covers are written or copied.
import * as v8 from 'node:v8';

import { native } from './binding';
import { copyOf, viewOf } from './buffers';
import {
  checkWord,
  cursorModulus,
  HEADER_BYTES,
  I_CAPACITY,
  I_CHECK,
  I_DATA_ARMED,
  I_DATA_SEQ,
  I_DATA_WAITERS,
  I_ENDED,
  I_HEAD_FREE,
  I_HEAD_TAKEN,
  I_MAGIC,
  I_REQUESTED,
  I_SPACE_SEQ,
  I_SPACE_WAITERS,
  I_TAIL,
  I_VERSION,
  KIND_BYTES,
  KIND_PAD,
  KIND_STRING,
  KIND_VALUE,
  LAYOUT_VERSION,
  MAGIC,
  MAX_CAPACITY,
  MIN_CAPACITY,
  RECORD_HEADER,
  RECV_LOCK_OFFSET,
  SEND_LOCK_OFFSET,
} from './channel-layout';
import { AbortError, closedError, codeError, invalidArgType, invalidArgValue, outOfRange } from './errors';
import { type ChannelDescription, defineDescription, type HandleJSON } from './handle-description';
import { Mutex } from './mutex';
import { pendingWait } from './pending-wait';
import { nativeHandle, onClose, SharedMemory } from './shared-memory';
import { validateAbortSignal, validateInteger, validateMode, validateName, validateOptions, validateTimeout } from './validators';
import { serializeValue } from './value-codec';

/** Options for {@link Channel.create}. */
export interface ChannelCreateOptions {
  /** Name other processes open it by; generated when omitted (see {@link SharedMemory.name}). */
  name?: string;
  /**
   * Bytes for queued messages, an integer from 64 to 2^30; the ring uses it
   * rounded up to a multiple of 8. Each message takes its payload rounded up
   * to 8 bytes, plus an 8-byte record header.
   */
  capacity: number;
  /** Permission bits of the segment, as {@link SharedMemory.create}'s. Default `0o600`. */
  mode?: number;
  /** Remove the name when this process exits, as {@link SharedMemory.create}'s option. Default `false`. */
  unlinkOnExit?: boolean;
}

/** Options for the waiting forms: `send`, `receive`, `reserve`, `peek`. */
export interface ChannelWaitOptions {
  /** Give up after this many milliseconds (the promise resolves `false` or `undefined`). Default: wait forever. */
  timeout?: number;
  /** Abort the wait: the promise rejects with an {@link AbortError}, having sent or taken nothing. */
  signal?: AbortSignal;
}

// A waiting side watches the cursor this long before it sleeps in the kernel.
const SPIN_MS = 0.05;
// After a poll() that took every message there was, the receiver waits
// until this long after that moment before it reads TAIL again (see
// #reloadTail).
const GATHER_MS = 0.001;
// A sender spins for room only if at most this much is missing: about what
// receivers free in SPIN_MS at their rate for small messages.
const SPIN_ROOM_BYTES = 16 * 1024;
// Sleeps are cut in slices this long: a sender waiting for room then checks
// whether a receiver died inside poll() holding room back, and no sleeper can
// miss a wake-up for longer than this.
const SLICE_MS = 100;
// How long open() waits for a channel that is being created.
const OPEN_READY_MS = 1000;

const NONE: unique symbol = Symbol('none');
type None = typeof NONE;

interface Encoded {
  kind: number;
  len: number;
  payload: Uint8Array | string;
}

function invalidState(message: string): Error & { code: string } {
  const err = new Error(message) as Error & { code: string };
  err.code = 'ERR_INVALID_STATE';
  Error.captureStackTrace(err, invalidState);
  return err;
}

function dataCloneError(err: unknown): unknown {
  // (Not instanceof Error: v8 makes it in the main realm, which need not be the caller's.)
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof message === 'string' && /could not be cloned/.test(message)) return new DOMException(message, 'DataCloneError');
  return err;
}

function deadlineOf(timeout: number): number {
  return timeout < 0 ? Infinity : performance.now() + timeout;
}

/** Milliseconds to the deadline for a native wait: -1 forever, else >= 0. */
function remaining(deadline: number): number {
  if (deadline === Infinity) return -1;
  return Math.max(0, Math.ceil(deadline - performance.now()));
}

/** The timeout for Mutex.lockSync / lock: undefined waits forever. */
function lockTimeout(deadline: number): number | undefined {
  return deadline === Infinity ? undefined : remaining(deadline);
}

function slice(ms: number): number {
  return ms < 0 || ms > SLICE_MS ? SLICE_MS : ms;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A message queue between processes and threads, living in a named segment:
 * any number of them open it by name, send and receive, at memory speed and
 * without blocking the event loop.
 *
 * A `Buffer` or any other `ArrayBufferView` (a typed array too) arrives as a
 * `Buffer` the receiver owns (a copy), a string as a string, and anything
 * else that structured clone accepts (objects, arrays, `Map`, `Set`, `Date`,
 * `BigInt`, `Error`, `null`…) as that value: written in V8's serialization
 * format and decoded with `v8.deserialize`, from a copy, never in place.
 * Plain data (objects and arrays of strings, numbers, booleans, `null` and
 * `Date`s) is written by shmem's own writer of that format, byte for byte
 * what `v8.serialize` writes and about 4× faster for small objects; anything
 * else goes through `v8.serialize`. `undefined` cannot be sent.
 *
 * `T` (`Channel.create<Job>(…)`, `Channel.open<Job>(name)`) types what is
 * sent and received; nothing checks it at run time.
 *
 * Which receiver gets a message and in what order, what full and empty mean,
 * what a killed sender or receiver costs, how `end()` finishes a stream, and
 * the errors of all its methods in one table: the Channel section of
 * docs/api.md.
 *
 * @example
 * ```ts
 * // parent
 * const jobs = Channel.create({ name: 'jobs', capacity: 1 << 20, unlinkOnExit: true });
 * await jobs.send({ id: 1, url: 'https://example.com' });
 * jobs.end(); // the workers finish once the queue is drained
 * // each worker process
 * const queue = Channel.open('jobs');
 * for await (const job of queue) console.log(job);
 * ```
 */
export class Channel<T = unknown> implements Disposable, AsyncIterable<T> {
  /** The name, as given or generated: other processes pass it to {@link Channel.open}. */
  readonly name: string;
  /** Bytes for messages, as given to {@link Channel.create} (not rounded: see {@link ChannelCreateOptions.capacity}). */
  readonly capacity: number;
  /**
   * The largest message (payload bytes: a buffer's length, a string's UTF-8
   * length, a value's serialized length) that fits: the capacity rounded up
   * to a multiple of 8, less the 8-byte record header. The empty channel
   * always takes a message of this size.
   */
  readonly maxMessageSize: number;

  readonly #shm: SharedMemory;
  readonly #ctl: Int32Array;
  readonly #data: Buffer;
  // #data's memory and where it starts there, for copyOf / viewOf.
  readonly #ab: ArrayBufferLike;
  readonly #base: number;
  readonly #d32: Int32Array;
  readonly #n: number;
  readonly #m: number;
  readonly #sendLock: Mutex;
  readonly #recvLock: Mutex;
  #closed = false;
  #endedSeen = false;
  // The other side's cursor as last read: a sender re-reads HEAD_FREE, and a
  // receiver TAIL, only when the cached one says full or empty.
  #cachedHead = 0;
  #cachedTail = 0;
  // When a poll() on this handle last took everything up to #cachedTail (0:
  // not since it last read TAIL).
  #drainedAt = 0;
  // Results of #place / #nextRecord.
  #newTail = 0;
  #next = 0;
  // An open reservation (payload offset, length, tail after it), or -1.
  #resStart = -1;
  #resLen = 0;
  #resTail = 0;
  // A peeked message and the cursor after it, or undefined.
  #peekView: Buffer | undefined = undefined;
  #peekNext = 0;
  #polling = false;
  // This handle's registrations in the waiter counts, given back by close().
  #dataWaiting = 0;
  #spaceWaiting = 0;
  // Pending asynchronous sleeps, which close() rejects with EBADF.
  readonly #cancels = new Set<() => void>();
  // Aborts pending lock() calls at close(). A lock() whose lock was already
  // taken when close() came still resolves: the mapping stays until then, so
  // that it can let go of the lock (#lockAsync), and is unmapped after.
  readonly #closing = new AbortController();
  #locksPending = 0;

  // Over a segment whose header is checked (or just written by create).
  private constructor(shm: SharedMemory) {
    this.#shm = shm;
    const buf = shm.buffer;
    this.#ctl = new Int32Array(buf.buffer, buf.byteOffset, HEADER_BYTES / 4);
    const n = Atomics.load(this.#ctl, I_CAPACITY);
    this.name = shm.name;
    this.#n = n;
    this.#m = cursorModulus(n);
    this.capacity = Atomics.load(this.#ctl, I_REQUESTED);
    this.maxMessageSize = n - RECORD_HEADER;
    this.#data = buf.subarray(HEADER_BYTES, HEADER_BYTES + n);
    this.#ab = this.#data.buffer;
    this.#base = this.#data.byteOffset;
    this.#d32 = new Int32Array(buf.buffer, buf.byteOffset + HEADER_BYTES, n / 4);
    this.#sendLock = Mutex.attach(shm, SEND_LOCK_OFFSET);
    this.#recvLock = Mutex.attach(shm, RECV_LOCK_OFFSET);
    defineDescription(this, { kind: 'channel', name: shm.name });
  }

  /**
   * Creates a channel in a new segment (it fails with `EEXIST` if the name
   * is taken), ready for {@link Channel.open} in any process.
   *
   * @throws `ERR_OUT_OF_RANGE` for a bad `capacity`; the errors of {@link SharedMemory.create}.
   *
   * @example
   * ```ts
   * const ch = Channel.create({ name: 'events', capacity: 64 * 1024 });
   * console.log(ch.maxMessageSize); // 65528
   * ch.close();
   * Channel.unlink('events');
   * ```
   */
  static create<T = unknown>(options: ChannelCreateOptions): Channel<T> {
    const opts = validateOptions<ChannelCreateOptions>(options);
    if (options === undefined) throw invalidArgType('options', 'of type object', options);
    if (opts.name !== undefined) validateName(opts.name, 'options.name');
    if (typeof opts.capacity !== 'number') throw invalidArgType('options.capacity', 'of type number', opts.capacity);
    const requested = validateInteger(opts.capacity, 'options.capacity', MIN_CAPACITY, MAX_CAPACITY);
    validateMode(opts.mode);
    const n = (requested + 7) & ~7;
    const shm = SharedMemory.create({ name: opts.name, size: HEADER_BYTES + n, mode: opts.mode, unlinkOnExit: opts.unlinkOnExit });
    try {
      const ctl = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, HEADER_BYTES / 4);
      Atomics.store(ctl, I_VERSION, LAYOUT_VERSION);
      Atomics.store(ctl, I_CAPACITY, n);
      Atomics.store(ctl, I_REQUESTED, requested);
      Atomics.store(ctl, I_CHECK, checkWord(n));
      Mutex.create(shm, SEND_LOCK_OFFSET);
      Mutex.create(shm, RECV_LOCK_OFFSET);
      const ch = new Channel<T>(shm);
      Atomics.store(ctl, I_MAGIC, MAGIC); // last: now open() accepts it
      return ch;
    } catch (err) {
      shm.unlink();
      shm.close();
      throw err;
    }
  }

  /**
   * Opens the channel that {@link Channel.create} made under `name`. If it is
   * still being created, waits up to a second for it to be ready.
   *
   * @throws `ENOENT` if there is no such name; `ERR_INVALID_ARG_VALUE` if the
   * segment is not a channel, was made by an incompatible version, or its
   * header was overwritten (the segment is left as it is).
   *
   * @example
   * ```ts
   * using ch = Channel.open('jobs');
   * const job = ch.receiveSync(1000); // undefined if nothing came within 1 s
   * ```
   */
  static open<T = unknown>(name: string): Channel<T> {
    validateName(name);
    const until = performance.now() + OPEN_READY_MS;
    for (;;) {
      const shm = SharedMemory.open(name);
      let reason: string | undefined;
      let notReady = false;
      try {
        reason = Channel.#whyNot(shm);
        notReady = reason === NOT_READY;
        if (reason === undefined) return new Channel<T>(shm);
      } catch (err) {
        shm.close();
        throw err;
      }
      shm.close();
      if (!notReady || performance.now() >= until) throw invalidArgValue('name', name, reason!);
      sleepMs(1);
    }
  }

  static #whyNot(shm: SharedMemory): string | undefined {
    if (shm.size < HEADER_BYTES) {
      return shm.size === 0 ? NOT_READY : `is not a channel: segment '${shm.name}' has ${shm.size} bytes`;
    }
    const ctl = new Int32Array(shm.buffer.buffer, shm.buffer.byteOffset, HEADER_BYTES / 4);
    const magic = Atomics.load(ctl, I_MAGIC);
    if (magic === 0) {
      // Being created (create stores the magic last), or a segment of zeros.
      return ctl.every((w) => w === 0) || Atomics.load(ctl, I_CHECK) === checkWord(Atomics.load(ctl, I_CAPACITY))
        ? NOT_READY
        : `is not a channel: segment '${shm.name}' does not start with a channel header`;
    }
    if (magic !== MAGIC) return `is not a channel: segment '${shm.name}' does not start with a channel header`;
    const version = Atomics.load(ctl, I_VERSION);
    if (version !== LAYOUT_VERSION) {
      return `was made by an incompatible version of shmem (channel layout ${version}; this one reads ${LAYOUT_VERSION})`;
    }
    const n = Atomics.load(ctl, I_CAPACITY);
    const requested = Atomics.load(ctl, I_REQUESTED);
    if (
      Atomics.load(ctl, I_CHECK) !== checkWord(n) ||
      n % 8 !== 0 ||
      n < MIN_CAPACITY ||
      n > MAX_CAPACITY ||
      requested > n ||
      requested < n - 7 ||
      HEADER_BYTES + n > shm.size
    ) {
      return `has a damaged channel header (capacity ${n} in a segment of ${shm.size} bytes)`;
    }
    return undefined;
  }

  /**
   * Removes a channel's name, as {@link SharedMemory.unlink}: handles
   * already open keep working.
   *
   * @throws `ENOENT` if there is no such name.
   *
   * @example
   * ```ts
   * Channel.unlink('jobs'); // ENOENT if there is no such name
   * ```
   */
  static unlink(name: string): void {
    SharedMemory.unlink(name);
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#closed;
  }

  /** What another process or thread needs to open this channel: see {@link attach}. */
  declare readonly $shmem: ChannelDescription;

  /**
   * `{ $shmem }`: what `JSON.stringify` writes, so that a channel can be put
   * in a message and opened at the other end with {@link attach}.
   *
   * @example
   * ```ts
   * import { fork } from 'node:child_process';
   * declare const ch: Channel;
   * fork('./worker.js').send({ jobs: ch }); // the worker: const { jobs } = attach(message)
   * ```
   */
  toJSON(): HandleJSON<ChannelDescription> {
    return { $shmem: this.$shmem };
  }

  /** True once any handle has called {@link Channel.end}: sends fail, receivers drain what is left. */
  get ended(): boolean {
    if (!this.#closed && Atomics.load(this.#ctl, I_ENDED) !== 0) this.#endedSeen = true;
    return this.#endedSeen;
  }

  // ---- the ring ----------------------------------------------------------

  #damaged(what: string): Error {
    return Object.assign(new Error(`channel '${this.name}' is damaged: ${what}`), {
      code: 'EBADMSG',
      syscall: 'channel',
      path: this.name,
    });
  }

  #cursor(v: number): number {
    if (v < 0 || v >= this.#m || (v & 7) !== 0) throw this.#damaged(`cursor ${v} out of range`);
    return v;
  }

  #check(syscall: string): void {
    if (this.#closed) throw closedError('channel', syscall);
  }

  #wakeData(): void {
    const ctl = this.#ctl;
    if (Atomics.load(ctl, I_DATA_WAITERS) > 0 && Atomics.load(ctl, I_DATA_ARMED) !== 0 && Atomics.exchange(ctl, I_DATA_ARMED, 0) !== 0) {
      Atomics.add(ctl, I_DATA_SEQ, 1);
      native.futexWake(nativeHandle(this.#shm, 'futex_wake'), I_DATA_SEQ * 4, Infinity);
    }
  }

  // A receiver moved HEAD_FREE from `before` to `after` (or, with no
  // arguments, something else freed room). Senders asleep for room are woken
  // when the ring falls to three quarters full, or becomes empty; not on every
  // message: a full ring would otherwise cost a system call per message on
  // each side. A sleeping sender waits for a quarter of the ring (or what its
  // message needs), so a wake-up lets it write a batch.
  #wakeSpace(before = -1, after = -1): void {
    const ctl = this.#ctl;
    if (Atomics.load(ctl, I_SPACE_WAITERS) > 0) {
      if (before >= 0) {
        // Read only now: TAIL does not move much while its senders sleep.
        const t = Atomics.load(ctl, I_TAIL);
        const usedAfter = this.#used(t, after);
        const threshold = this.#n - (this.#n >> 2);
        if (usedAfter !== 0 && !(usedAfter <= threshold && this.#used(t, before) > threshold)) return;
      }
      Atomics.add(ctl, I_SPACE_SEQ, 1);
      native.futexWake(nativeHandle(this.#shm, 'futex_wake'), I_SPACE_SEQ * 4, Infinity);
    }
  }

  // Takes a lock, spinning briefly while another thread holds it.
  #tryLockSpin(lock: Mutex): boolean {
    if (lock.tryLock()) return true;
    const until = performance.now() + SPIN_MS;
    do {
      for (let i = 0; i < 32; i++) if (lock.tryLock()) return true;
    } while (performance.now() < until);
    return false;
  }

  // Just acquired the receive lock. The holder keeps HEAD_FREE behind
  // HEAD_TAKEN only inside poll()'s callback, and always closes the gap
  // before unlocking: a gap now means it died there. Its message was taken.
  #recvAcquired(): void {
    const ctl = this.#ctl;
    const taken = Atomics.load(ctl, I_HEAD_TAKEN);
    if (Atomics.load(ctl, I_HEAD_FREE) !== taken) {
      Atomics.store(ctl, I_HEAD_FREE, taken);
      this.#wakeSpace();
    }
  }

  #lockRecv(): boolean {
    if (!this.#tryLockSpin(this.#recvLock)) return false;
    this.#recvAcquired();
    return true;
  }

  #used(tail: number, head: number): number {
    let u = tail - head;
    if (u < 0) u += this.#m;
    return u;
  }

  // Holding the send lock: finds room for a record with `len` payload bytes.
  // Returns the payload's offset in the ring (and sets #newTail), or -1.
  #place(len: number): number {
    const ctl = this.#ctl;
    const n = this.#n;
    const rec = RECORD_HEADER + ((len + 7) & ~7);
    const t = this.#cursor(Atomics.load(ctl, I_TAIL));
    const off = t % n;
    const toEnd = n - off;
    const need = rec <= toEnd ? rec : toEnd + rec;
    if (n - this.#used(t, this.#cachedHead) < need) {
      this.#cachedHead = this.#cursor(Atomics.load(ctl, I_HEAD_FREE));
      const used = this.#used(t, this.#cachedHead);
      if (used > n) throw this.#damaged(`${used} bytes in use in a ring of ${n}`);
      if (n - used < need) {
        if (used !== 0 || !this.#realign(t, off, toEnd)) return -1;
        return this.#place(len);
      }
    }
    let start = off;
    if (rec > toEnd) {
      this.#d32[off >> 2] = toEnd - RECORD_HEADER;
      this.#d32[(off >> 2) + 1] = KIND_PAD;
      start = 0;
    }
    let nt = t + need;
    if (nt >= this.#m) nt -= this.#m;
    this.#newTail = nt;
    return start + RECORD_HEADER;
  }

  // Holding the send lock, the ring empty, a record that does not fit before
  // its end: publishes a pad to the end and, unless a receiver is busy,
  // consumes it too, so that an empty ring takes any message up to
  // maxMessageSize. Each step leaves consistent cursors.
  #realign(t: number, off: number, toEnd: number): boolean {
    const ctl = this.#ctl;
    this.#d32[off >> 2] = toEnd - RECORD_HEADER;
    this.#d32[(off >> 2) + 1] = KIND_PAD;
    let lap = t + toEnd;
    if (lap >= this.#m) lap -= this.#m;
    Atomics.store(ctl, I_TAIL, lap);
    this.#wakeData();
    if (!this.#recvLock.tryLock()) return false;
    try {
      this.#recvAcquired();
      if (Atomics.load(ctl, I_HEAD_TAKEN) === t) {
        Atomics.store(ctl, I_HEAD_TAKEN, lap);
        Atomics.store(ctl, I_HEAD_FREE, lap);
      }
    } finally {
      this.#recvLock.unlock();
    }
    this.#cachedHead = Atomics.load(ctl, I_HEAD_FREE);
    return this.#cachedHead === lap;
  }

  #writeRecord(start: number, enc: Encoded): void {
    if (enc.kind === KIND_STRING) this.#data.write(enc.payload as string, start, enc.len, 'utf8');
    else this.#data.set(enc.payload as Uint8Array, start);
    const i = (start - RECORD_HEADER) >> 2;
    this.#d32[i] = enc.len;
    this.#d32[i + 1] = enc.kind;
  }

  #encode(message: unknown): Encoded {
    if (typeof message === 'string') {
      const len = message.length * 3 <= this.maxMessageSize ? Buffer.byteLength(message) : this.#byteLengthChecked(message);
      return { kind: KIND_STRING, len, payload: message };
    }
    let kind = KIND_BYTES;
    let payload: Uint8Array;
    if (message instanceof Uint8Array) payload = message;
    else if (ArrayBuffer.isView(message)) payload = new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
    else if (message === undefined) throw invalidArgType('message', 'a value other than undefined', message);
    else {
      kind = KIND_VALUE;
      try {
        payload = serializeValue(message);
      } catch (err) {
        throw dataCloneError(err);
      }
    }
    if (payload.byteLength > this.maxMessageSize) this.#tooLong(payload.byteLength);
    return { kind, len: payload.byteLength, payload };
  }

  #byteLengthChecked(s: string): number {
    const len = Buffer.byteLength(s);
    if (len > this.maxMessageSize) this.#tooLong(len);
    return len;
  }

  #tooLong(len: number): never {
    throw outOfRange('message', `at most ${this.maxMessageSize} bytes (the channel's maxMessageSize)`, `${len} bytes`);
  }

  // Holding the send lock: writes and publishes; false if there is no room.
  #sendLocked(enc: Encoded): boolean {
    if (Atomics.load(this.#ctl, I_ENDED) !== 0) throw this.#endedError('channel_send');
    const start = this.#place(enc.len);
    if (start < 0) return false;
    this.#writeRecord(start, enc);
    Atomics.store(this.#ctl, I_TAIL, this.#newTail);
    return true;
  }

  // Holding the send lock: sends if there is room, lets go of the lock, and
  // wakes sleeping receivers if it sent.
  #sendAndUnlock(enc: Encoded): boolean {
    let sent: boolean;
    try {
      sent = this.#sendLocked(enc);
    } finally {
      this.#sendLock.unlock();
    }
    if (sent) this.#wakeData();
    return sent;
  }

  #endedError(syscall: string): Error {
    this.#endedSeen = true;
    const err = codeError('EPIPE', syscall, this.name);
    err.message = `EPIPE: channel '${this.name}' has ended, ${syscall}`;
    return err;
  }

  #noReservation(): void {
    if (this.#resStart >= 0) throw invalidState('a reservation is open on this handle: commit() it first');
  }

  // Reads TAIL into #cachedTail. After a poll() that took every message there
  // was less than GATHER_MS ago, first waits for the rest of that time. A
  // poll() loop that keeps up with its sender would otherwise look again at
  // once and find one or two new messages each time, and TAIL's cache line
  // and the record being written would move between the two cores on every
  // message: measured here, that held a sender to about 4.5 M messages/s,
  // against about 7.5 with this pause, which lets messages gather into
  // batches. It delays a message that comes within the pause by at most
  // 1 µs, and costs nothing to a receiver that comes back later than that.
  // receiveSync() and the others do not set it: their copy of each message
  // already keeps them about as slow as the sender (a pause measured there
  // made them slower).
  #reloadTail(): number {
    const at = this.#drainedAt;
    if (at !== 0) {
      this.#drainedAt = 0;
      const until = at + GATHER_MS;
      while (performance.now() < until);
    }
    return (this.#cachedTail = Atomics.load(this.#ctl, I_TAIL));
  }

  // Holding the receive lock: the ring offset of the next message's record,
  // pads skipped, or -1 if there is none. Sets #next. With `reload` false,
  // only what #cachedTail already covers (poll() reads TAIL once).
  #nextRecord(reload = true): number {
    const ctl = this.#ctl;
    const n = this.#n;
    const m = this.#m;
    for (;;) {
      const h = this.#cursor(Atomics.load(ctl, I_HEAD_TAKEN));
      let avail = this.#used(this.#cachedTail, h);
      if (avail === 0 && !reload) return -1;
      if (avail === 0 || avail > n) {
        this.#cursor(this.#reloadTail());
        avail = this.#used(this.#cachedTail, h);
        if (avail === 0) return -1;
        if (avail > n) throw this.#damaged(`${avail} bytes waiting in a ring of ${n}`);
      }
      const off = h % n;
      const len = this.#d32[off >> 2];
      const kind = this.#d32[(off >> 2) + 1];
      const room = n - off - RECORD_HEADER;
      if (kind === KIND_PAD) {
        if (len !== room) throw this.#damaged(`a pad of ${len} bytes where ${room} remain`);
        let nh = h + n - off;
        if (nh >= m) nh -= m;
        Atomics.store(ctl, I_HEAD_TAKEN, nh);
        Atomics.store(ctl, I_HEAD_FREE, nh);
        this.#wakeSpace(h, nh);
        continue;
      }
      const rec = RECORD_HEADER + ((len + 7) & ~7);
      if (kind < KIND_BYTES || kind > KIND_VALUE || !(len >= 0 && len <= room) || rec > avail) {
        throw this.#damaged(`a record of kind ${kind} and ${len} bytes at offset ${off}`);
      }
      let nh = h + rec;
      if (nh >= m) nh -= m;
      this.#next = nh;
      return off;
    }
  }

  // Holding the receive lock: copies the next message out and takes it.
  // Returns it (a value still serialized, see #finish), or NONE; unlocks.
  #takeLocked(): unknown {
    let out: unknown = NONE;
    let kind = 0;
    let before = 0;
    try {
      const off = this.#nextRecord();
      if (off >= 0) {
        const d = this.#data;
        const s = off + RECORD_HEADER;
        const len = this.#d32[off >> 2];
        kind = this.#d32[(off >> 2) + 1];
        if (kind === KIND_STRING) out = d.toString('utf8', s, s + len);
        else out = copyOf(this.#ab, this.#base + s, len); // a Buffer of its own
        before = Atomics.load(this.#ctl, I_HEAD_FREE);
        Atomics.store(this.#ctl, I_HEAD_TAKEN, this.#next);
        Atomics.store(this.#ctl, I_HEAD_FREE, this.#next);
      }
    } finally {
      this.#recvLock.unlock();
    }
    if (out === NONE) return NONE;
    this.#wakeSpace(before, this.#next);
    // Decoded from our own copy, never in place: v8.deserialize gives typed
    // arrays that view its input.
    return kind === KIND_VALUE ? v8.deserialize(out as Buffer) : out;
  }

  // One attempt to receive without waiting: a message, NONE if the ring is
  // empty, or BUSY if another receiver kept the lock.
  #take(): unknown {
    const ctl = this.#ctl;
    const h = Atomics.load(ctl, I_HEAD_TAKEN);
    const n = this.#n;
    let avail = this.#used(this.#cachedTail, h);
    if (avail === 0 || avail > n) {
      this.#reloadTail();
      avail = this.#used(this.#cachedTail, h);
      if (avail === 0) return NONE;
    }
    if (!this.#tryLockSpin(this.#recvLock)) return BUSY;
    // The common case in one piece: a bytes record at the head that nobody
    // took meanwhile, no gap left by poll(). Anything else (a pad, another
    // kind, a repair, damage) takes the general path below.
    if (Atomics.load(ctl, I_HEAD_TAKEN) === h && Atomics.load(ctl, I_HEAD_FREE) === h && avail <= n && (h & 7) === 0 && h < this.#m) {
      const off = h % n;
      const len = this.#d32[off >> 2];
      const rec = RECORD_HEADER + ((len + 7) & ~7);
      if (this.#d32[(off >> 2) + 1] === KIND_BYTES && len >= 0 && len <= n - off - RECORD_HEADER && rec <= avail) {
        let out: Buffer;
        try {
          out = copyOf(this.#ab, this.#base + off + RECORD_HEADER, len);
        } catch (err) {
          this.#recvLock.unlock();
          throw err;
        }
        let nh = h + rec;
        if (nh >= this.#m) nh -= this.#m;
        Atomics.store(ctl, I_HEAD_TAKEN, nh);
        Atomics.store(ctl, I_HEAD_FREE, nh);
        this.#recvLock.unlock();
        this.#wakeSpace(h, nh);
        return out;
      }
    }
    this.#recvAcquired();
    return this.#takeLocked();
  }

  // Whether a record may be waiting, without a lock. TAIL is read only when
  // the cached copy says empty: the senders write its cache line on every
  // message, and reading it each time would make the line bounce.
  #maybeData(): boolean {
    const h = Atomics.load(this.#ctl, I_HEAD_TAKEN);
    let avail = this.#used(this.#cachedTail, h);
    if (avail === 0 || avail > this.#n) {
      this.#reloadTail();
      avail = this.#used(this.#cachedTail, h);
    }
    return avail !== 0;
  }

  #hasData(): boolean {
    return this.#maybeData() || Atomics.load(this.#ctl, I_ENDED) !== 0;
  }

  // Blocks until there may be data (or the end), or the deadline passes
  // (false). Spins about 50 µs first; the senders pay for a wake-up only
  // while someone is registered here.
  #waitDataSync(deadline: number): boolean {
    const until = performance.now() + SPIN_MS;
    do {
      for (let i = 0; i < 64; i++) if (this.#hasData()) return true;
    } while (performance.now() < until);
    const ctl = this.#ctl;
    Atomics.add(ctl, I_DATA_WAITERS, 1);
    this.#dataWaiting++;
    try {
      Atomics.store(ctl, I_DATA_ARMED, 1);
      const seq = Atomics.load(ctl, I_DATA_SEQ);
      if (this.#hasData()) return true;
      const ms = remaining(deadline);
      if (ms === 0) return false;
      native.futexWait(nativeHandle(this.#shm, 'futex_wait'), I_DATA_SEQ * 4, seq, slice(ms), 0);
    } finally {
      this.#dataWaiting--;
      Atomics.sub(ctl, I_DATA_WAITERS, 1);
    }
    return true;
  }

  // Whether a waiting sender should try again: the ring has `want` bytes
  // free (see #want), or has ended.
  #hasRoom(want: number): boolean {
    const ctl = this.#ctl;
    if (Atomics.load(ctl, I_ENDED) !== 0) return true;
    return this.#n - this.#used(Atomics.load(ctl, I_TAIL), Atomics.load(ctl, I_HEAD_FREE)) >= want;
  }

  // What a sender whose record of `len` payload bytes found no room waits
  // for: room for it and a pad (at most as much again), or a quarter of the
  // ring if that is more (the receivers wake sleepers at that mark), never
  // more than the whole ring (they also wake them when it is empty).
  #want(len: number): number {
    const rec = RECORD_HEADER + ((len + 7) & ~7);
    return Math.min(this.#n, Math.max(2 * rec, this.#n >> 2));
  }

  // A sender's sleep for room ended without news: if a receiver left room
  // held back (it died inside poll()), taking the receive lock repairs it.
  #repairSpace(): void {
    const ctl = this.#ctl;
    if (Atomics.load(ctl, I_HEAD_FREE) !== Atomics.load(ctl, I_HEAD_TAKEN) && this.#recvLock.tryLock()) {
      this.#recvAcquired();
      this.#recvLock.unlock();
    }
  }

  #waitSpaceSync(want: number, deadline: number): boolean {
    const ctl = this.#ctl;
    // Spin only when little room is missing. Receivers take long to free a
    // quarter of a large ring, and a sender spinning on the head's cache line
    // slows every receiver's store to it (1 → 1, 64 B, 1 MiB ring: about 8%).
    const missing = want - (this.#n - this.#used(Atomics.load(ctl, I_TAIL), Atomics.load(ctl, I_HEAD_FREE)));
    if (missing <= SPIN_ROOM_BYTES) {
      const until = performance.now() + SPIN_MS;
      do {
        for (let i = 0; i < 64; i++) if (this.#hasRoom(want)) return true;
      } while (performance.now() < until);
    }
    Atomics.add(ctl, I_SPACE_WAITERS, 1);
    this.#spaceWaiting++;
    try {
      const seq = Atomics.load(ctl, I_SPACE_SEQ);
      if (this.#hasRoom(want)) return true;
      const ms = remaining(deadline);
      if (ms === 0) return false;
      if (native.futexWait(nativeHandle(this.#shm, 'futex_wait'), I_SPACE_SEQ * 4, seq, slice(ms), 0) === 2) this.#repairSpace();
    } finally {
      this.#spaceWaiting--;
      Atomics.sub(ctl, I_SPACE_WAITERS, 1);
    }
    return true;
  }

  // The asynchronous sleeps: the same protocol, the kernel waiting for us
  // (io_uring or a waiter thread; neither the event loop nor the threadpool).
  async #waitAsync(waitersIndex: number, seqIndex: number, ready: () => boolean, deadline: number, signal: AbortSignal | undefined, syscall: string): Promise<boolean> {
    const ctl = this.#ctl;
    Atomics.add(ctl, waitersIndex, 1);
    if (waitersIndex === I_DATA_WAITERS) this.#dataWaiting++;
    else this.#spaceWaiting++;
    try {
      if (waitersIndex === I_DATA_WAITERS) Atomics.store(ctl, I_DATA_ARMED, 1);
      const seq = Atomics.load(ctl, seqIndex);
      if (ready()) return true;
      const ms = remaining(deadline);
      if (ms === 0) return false;
      const handle = nativeHandle(this.#shm, syscall);
      const result = await pendingWait<0 | 1 | 2, number>(
        (callback) => native.futexWaitAsync(handle, seqIndex * 4, seq, slice(ms), callback),
        (r) => r,
        signal,
        (cancel) => {
          const onChannelClose = () => cancel(closedError('channel', syscall));
          this.#cancels.add(onChannelClose);
          return () => this.#cancels.delete(onChannelClose);
        },
      );
      if (result === 2 && waitersIndex === I_SPACE_WAITERS && !this.#closed) this.#repairSpace();
      return true;
    } finally {
      // close() gave the registration back already if it came first.
      if (!this.#closed) {
        if (waitersIndex === I_DATA_WAITERS) this.#dataWaiting--;
        else this.#spaceWaiting--;
        Atomics.sub(ctl, waitersIndex, 1);
      }
    }
  }

  // Mutex.lock() for the waiting forms, made safe against close(): a lock
  // taken after close() is let go at once, then the mapping goes.
  async #lockAsync(lock: Mutex, deadline: number, signal: AbortSignal | undefined, syscall: string): Promise<boolean> {
    this.#locksPending++;
    let got = false;
    try {
      got = await lock.lock({ timeout: lockTimeout(deadline), signal: anySignal(signal, this.#closing.signal) });
      if (got && this.#closed) {
        lock.unlock();
        got = false;
      }
    } catch (err) {
      if (!this.#closed) throw err;
    } finally {
      this.#locksPending--;
      if (this.#closed && this.#locksPending === 0 && !this.#shm.closed) this.#shm.close();
    }
    if (this.#closed) throw closedError('channel', syscall);
    return got;
  }

  // ---- sending -----------------------------------------------------------

  /**
   * Sends `message` if there is room now; `false` if the channel is full (or
   * another sender keeps the send lock, holding a reservation).
   *
   * @throws `EPIPE` after {@link Channel.end}; `ERR_OUT_OF_RANGE` if it is
   * larger than {@link Channel.maxMessageSize}; `ERR_INVALID_ARG_TYPE` for
   * `undefined`; `DataCloneError` for a value structured clone refuses (a
   * function, a symbol…): all before anything is written.
   * `ERR_INVALID_STATE` while this handle holds a reservation; `EBADF` after
   * `close()`.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * if (!ch.trySend(Buffer.from('tick'))) console.log('full: dropped');
   * ```
   */
  trySend(message: T): boolean {
    this.#check('channel_send');
    this.#noReservation();
    const enc = this.#encode(message);
    if (!this.#tryLockSpin(this.#sendLock)) return false;
    return this.#sendAndUnlock(enc);
  }

  /**
   * Sends `message`, blocking this thread while the channel is full, up to
   * `timeoutMs` (default: forever). `false` if it timed out (nothing sent).
   *
   * @throws As {@link Channel.trySend}; `EPIPE` also if the channel ends
   * while it waits; `ERR_OUT_OF_RANGE` for a negative or NaN timeout.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * if (!ch.sendSync({ job: 7 }, 1000)) console.log('still full after 1 s');
   * ```
   */
  sendSync(message: T, timeoutMs?: number): boolean {
    this.#check('channel_send');
    this.#noReservation();
    const timeout = timeoutMs === undefined ? -1 : validateTimeout(timeoutMs, 'timeoutMs');
    const enc = this.#encode(message);
    const deadline = deadlineOf(timeout);
    for (;;) {
      if (!this.#tryLockSpin(this.#sendLock) && !this.#sendLock.lockSync(lockTimeout(deadline))) return false;
      if (this.#sendAndUnlock(enc)) return true;
      if (!this.#waitSpaceSync(this.#want(enc.len), deadline)) return false;
    }
  }

  /**
   * Sends `message`, waiting for room without blocking the event loop or the
   * libuv threadpool. Resolves `true` once sent, `false` on timeout (nothing
   * sent). A pending send keeps the process alive, like a pending write.
   *
   * @throws (rejects) As {@link Channel.sendSync}; `AbortError` if
   * `options.signal` aborts first (nothing sent); `EBADF` if the channel is
   * closed while it waits.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * await ch.send({ id: 1, at: new Date() }, { timeout: 5000 });
   * ```
   */
  send(message: T, options?: ChannelWaitOptions): Promise<boolean> {
    let enc: Encoded;
    let deadline: number;
    let signal: AbortSignal | undefined;
    try {
      this.#check('channel_send');
      const opts = validateOptions<ChannelWaitOptions>(options);
      deadline = deadlineOf(validateTimeout(opts.timeout, 'options.timeout'));
      signal = validateAbortSignal(opts.signal);
      this.#noReservation();
      enc = this.#encode(message);
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      if (this.#tryLockSpin(this.#sendLock)) {
        if (this.#sendAndUnlock(enc)) return Promise.resolve(true);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    // A serialized value lives in the codec's scratch memory until the next
    // serialization: keep a copy while this send waits.
    if (enc.kind === KIND_VALUE) {
      const p = enc.payload as Uint8Array;
      enc.payload = copyOf(p.buffer, p.byteOffset, enc.len);
    }
    return this.#sendAsync(enc, deadline, signal);
  }

  async #sendAsync(enc: Encoded, deadline: number, signal: AbortSignal | undefined): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      this.#check('channel_send');
      if (!this.#sendLock.tryLock() && !(await this.#lockAsync(this.#sendLock, deadline, signal, 'channel_send'))) return false;
      if (this.#sendAndUnlock(enc)) return true;
      const want = this.#want(enc.len);
      if (!(await this.#waitAsync(I_SPACE_WAITERS, I_SPACE_SEQ, () => this.#hasRoom(want), deadline, signal, 'channel_send'))) {
        return false;
      }
    }
  }

  // ---- receiving ---------------------------------------------------------

  /**
   * The next message, or `undefined` if there is none now.
   *
   * @throws `EBADF` after `close()`; `ERR_INVALID_STATE` while this handle
   * holds a peeked message; `EBADMSG` if the channel's memory was overwritten.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * let m;
   * while ((m = ch.tryReceive()) !== undefined) console.log(m);
   * ```
   */
  tryReceive(): T | undefined {
    this.#check('channel_receive');
    this.#noPeek();
    const r = this.#take();
    return r === NONE || r === BUSY ? undefined : (r as T);
  }

  #noPeek(): void {
    if (this.#peekView !== undefined) throw invalidState('a peeked message is held by this handle: release() it first');
  }

  /**
   * The next message, blocking this thread while the channel is empty, up to
   * `timeoutMs` (default: forever). `undefined` if it timed out, or at once
   * when the channel has ended and is drained.
   *
   * @throws As {@link Channel.tryReceive}; `ERR_OUT_OF_RANGE` for a negative
   * or NaN timeout.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * for (let m; (m = ch.receiveSync()) !== undefined; ) console.log(m); // until end() and drained
   * ```
   */
  receiveSync(timeoutMs?: number): T | undefined {
    this.#check('channel_receive');
    this.#noPeek();
    const timeout = timeoutMs === undefined ? -1 : validateTimeout(timeoutMs, 'timeoutMs');
    // A message waiting now needs no deadline (no clock read).
    const first = this.#take();
    if (first !== NONE && first !== BUSY) return first as T;
    const deadline = deadlineOf(timeout);
    for (;;) {
      const ended = Atomics.load(this.#ctl, I_ENDED) !== 0;
      const r = this.#take();
      if (r === BUSY) {
        if (!this.#recvLock.lockSync(lockTimeout(deadline))) return undefined;
        this.#recvAcquired();
        const got = this.#takeLocked();
        if (got !== NONE) return got as T;
        continue;
      }
      if (r !== NONE) return r as T;
      if (ended) {
        this.#endedSeen = true;
        return undefined;
      }
      if (!this.#waitDataSync(deadline)) return undefined;
    }
  }

  /**
   * The next message, waiting without blocking the event loop or the libuv
   * threadpool. Resolves `undefined` on timeout, or when the channel has
   * ended and is drained. A pending receive keeps the process alive, like a
   * pending read.
   *
   * @throws (rejects) As {@link Channel.tryReceive}; `AbortError` if
   * `options.signal` aborts first (nothing taken); `EBADF` if the channel is
   * closed while it waits.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * const m = await ch.receive({ signal: AbortSignal.timeout(1000) });
   * ```
   */
  receive(options?: ChannelWaitOptions): Promise<T | undefined> {
    let deadline: number;
    let signal: AbortSignal | undefined;
    try {
      this.#check('channel_receive');
      const opts = validateOptions<ChannelWaitOptions>(options);
      deadline = deadlineOf(validateTimeout(opts.timeout, 'options.timeout'));
      signal = validateAbortSignal(opts.signal);
      this.#noPeek();
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      const r = this.#take();
      if (r !== NONE && r !== BUSY) return Promise.resolve(r as T);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#receiveAsync(deadline, signal);
  }

  async #receiveAsync(deadline: number, signal: AbortSignal | undefined): Promise<T | undefined> {
    for (;;) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      this.#check('channel_receive');
      const ended = Atomics.load(this.#ctl, I_ENDED) !== 0;
      const r = this.#take();
      if (r === BUSY) {
        if (!(await this.#lockAsync(this.#recvLock, deadline, signal, 'channel_receive'))) return undefined;
        this.#recvAcquired();
        const got = this.#takeLocked();
        if (got !== NONE) return got as T;
        continue;
      }
      if (r !== NONE) return r as T;
      if (ended) {
        this.#endedSeen = true;
        return undefined;
      }
      if (!(await this.#waitAsync(I_DATA_WAITERS, I_DATA_SEQ, () => this.#hasData(), deadline, signal, 'channel_receive'))) {
        return undefined;
      }
    }
  }

  /**
   * `for await (const m of ch)`: every message, until the channel has ended
   * and is drained. Breaking out of the loop takes nothing more.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * for await (const job of ch) console.log(job);
   * ```
   */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const m = await this.receive();
      if (m === undefined) return;
      yield m;
    }
  }

  /**
   * Calls `fn` for every message there now (at most `limit`), without
   * waiting, and returns how many. Bytes messages come as views in place
   * (no copy): valid only inside `fn`, and not to be kept. Each message is
   * taken before `fn` runs: if `fn` throws, the error propagates and that
   * message is gone; a receiver killed inside `fn` costs only that message.
   * "Now" is when the call looks: messages sent while `fn` runs wait for the
   * next call, so a fast sender cannot keep `poll` running. A call that
   * comes less than 1 µs after one that took everything first lets that
   * microsecond pass, so that messages gather into batches instead of being
   * taken one by one as they are written (which slows the sender: see
   * docs/benchmarks.md).
   *
   * @throws `ERR_INVALID_ARG_TYPE` if `fn` is not a function;
   * `ERR_OUT_OF_RANGE` for a bad `limit`; as {@link Channel.tryReceive}.
   *
   * @example
   * ```ts
   * declare const ch: Channel<Buffer>;
   * let total = 0;
   * ch.poll((view) => { total += view.readUInt32LE(0); }); // no copies
   * ```
   */
  poll(fn: (message: T) => void, limit?: number): number {
    this.#check('channel_receive');
    if (typeof fn !== 'function') throw invalidArgType('fn', 'of type function', fn);
    const max = limit === undefined || limit === Infinity ? Infinity : validateInteger(limit, 'limit', 0, Number.MAX_SAFE_INTEGER);
    this.#noPeek();
    if (this.#polling) throw invalidState('poll() is already running on this handle');
    const ctl = this.#ctl;
    if (max === 0 || !this.#maybeData()) return 0;
    if (!this.#lockRecv()) return 0;
    let count = 0;
    this.#polling = true;
    try {
      const d = this.#data;
      // What is there now: TAIL is read once, so that a sender as fast as
      // this loop cannot keep it here (and the event loop waiting) for ever.
      this.#cursor(this.#reloadTail());
      while (count < max) {
        const off = this.#nextRecord(false);
        if (off < 0) {
          // -1 without a reload: HEAD_TAKEN is at #cachedTail, all it knew of.
          this.#drainedAt = performance.now();
          break;
        }
        const nh = this.#next;
        const s = off + RECORD_HEADER;
        const len = this.#d32[off >> 2];
        const kind = this.#d32[(off >> 2) + 1];
        const before = Atomics.load(ctl, I_HEAD_FREE);
        let m: unknown;
        if (kind === KIND_BYTES) m = viewOf(this.#ab, this.#base + s, len);
        else if (kind === KIND_STRING) m = d.toString('utf8', s, s + len);
        else m = v8.deserialize(copyOf(this.#ab, this.#base + s, len));
        Atomics.store(ctl, I_HEAD_TAKEN, nh);
        count++;
        try {
          fn(m as T);
        } finally {
          if (!this.#closed) {
            Atomics.store(ctl, I_HEAD_FREE, nh);
            this.#wakeSpace(before, nh);
          }
        }
        if (this.#closed) break;
      }
    } finally {
      this.#polling = false;
      if (!this.#closed) this.#recvLock.unlock();
    }
    return count;
  }

  // ---- zero copy ---------------------------------------------------------

  /**
   * A writable view of `byteLength` bytes inside the channel, or `undefined`
   * if there is no room now. Write the payload into it, then
   * {@link Channel.commit} publishes it as one bytes message. Until then this
   * handle holds the send lock (other senders wait); `close()` drops the
   * reservation, and a process killed before `commit` sends nothing. Do not
   * use the view after `commit`.
   *
   * @throws `ERR_OUT_OF_RANGE` if `byteLength` is not an integer from 0 to
   * {@link Channel.maxMessageSize}; `ERR_INVALID_STATE` if a reservation is
   * open already; `EPIPE` after {@link Channel.end}.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * const view = ch.tryReserve(1 << 20);
   * if (view) {
   *   view.fill(7); // produce the payload in place
   *   ch.commit();
   * }
   * ```
   */
  tryReserve(byteLength: number): Buffer | undefined {
    this.#check('channel_send');
    const len = this.#validateReserve(byteLength);
    if (!this.#tryLockSpin(this.#sendLock)) return undefined;
    return this.#reserveLocked(len) ?? undefined;
  }

  #validateReserve(byteLength: unknown): number {
    this.#noReservation();
    return validateInteger(byteLength, 'byteLength', 0, this.maxMessageSize);
  }

  // Holding the send lock: the view, or null (the lock let go) if no room.
  #reserveLocked(len: number): Buffer | null {
    let start = -1;
    try {
      if (Atomics.load(this.#ctl, I_ENDED) !== 0) throw this.#endedError('channel_send');
      start = this.#place(len);
    } finally {
      if (start < 0) this.#sendLock.unlock();
    }
    if (start < 0) return null;
    this.#resStart = start;
    this.#resLen = len;
    this.#resTail = this.#newTail;
    return this.#data.subarray(start, start + len);
  }

  /**
   * {@link Channel.tryReserve}, blocking this thread up to `timeoutMs`
   * (default: forever) for room; `undefined` on timeout.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * const view = ch.reserveSync(4096, 1000);
   * if (view) { view.write('hello'); ch.commit(5); }
   * ```
   */
  reserveSync(byteLength: number, timeoutMs?: number): Buffer | undefined {
    this.#check('channel_send');
    const len = this.#validateReserve(byteLength);
    const deadline = deadlineOf(timeoutMs === undefined ? -1 : validateTimeout(timeoutMs, 'timeoutMs'));
    for (;;) {
      if (!this.#tryLockSpin(this.#sendLock) && !this.#sendLock.lockSync(lockTimeout(deadline))) return undefined;
      const view = this.#reserveLocked(len);
      if (view) return view;
      if (!this.#waitSpaceSync(this.#want(len), deadline)) return undefined;
    }
  }

  /**
   * {@link Channel.tryReserve}, waiting for room without blocking the event
   * loop; resolves `undefined` on timeout.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * const view = await ch.reserve(1 << 20, { timeout: 1000 });
   * if (view) { view.fill(1); ch.commit(); }
   * ```
   */
  async reserve(byteLength: number, options?: ChannelWaitOptions): Promise<Buffer | undefined> {
    this.#check('channel_send');
    const opts = validateOptions<ChannelWaitOptions>(options);
    const deadline = deadlineOf(validateTimeout(opts.timeout, 'options.timeout'));
    const signal = validateAbortSignal(opts.signal);
    const len = this.#validateReserve(byteLength);
    for (;;) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      this.#check('channel_send');
      this.#noReservation();
      if (!this.#sendLock.tryLock() && !(await this.#lockAsync(this.#sendLock, deadline, signal, 'channel_send'))) return undefined;
      const view = this.#reserveLocked(len);
      if (view) return view;
      const want = this.#want(len);
      if (!(await this.#waitAsync(I_SPACE_WAITERS, I_SPACE_SEQ, () => this.#hasRoom(want), deadline, signal, 'channel_send'))) {
        return undefined;
      }
    }
  }

  /**
   * Publishes the reserved bytes as one bytes message (the first
   * `byteLength` of them, default all), and lets other senders go on.
   *
   * @throws `ERR_INVALID_STATE` if this handle has no open reservation;
   * `ERR_OUT_OF_RANGE` if `byteLength` exceeds the reservation.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * const view = ch.reserveSync(256)!;
   * const n = view.write('a message of unknown length');
   * ch.commit(n); // publish just what was written
   * ```
   */
  commit(byteLength?: number): void {
    this.#check('channel_send');
    if (this.#resStart < 0) throw invalidState('nothing to commit: reserve bytes first (tryReserve, reserveSync or reserve)');
    const len = byteLength === undefined ? this.#resLen : validateInteger(byteLength, 'byteLength', 0, this.#resLen);
    const start = this.#resStart;
    let tail = this.#resTail - (((this.#resLen + 7) & ~7) - ((len + 7) & ~7));
    if (tail < 0) tail += this.#m;
    const i = (start - RECORD_HEADER) >> 2;
    this.#d32[i] = len;
    this.#d32[i + 1] = KIND_BYTES;
    this.#resStart = -1;
    Atomics.store(this.#ctl, I_TAIL, tail);
    this.#sendLock.unlock();
    this.#wakeData();
  }

  /**
   * The next message's bytes in place (no copy), or `undefined` if there is
   * none now. The message stays in the channel until {@link Channel.release};
   * meanwhile this handle holds the receive lock (other receivers wait). If
   * the handle closes or its process dies first, the message stays for the
   * next receiver.
   *
   * @throws `ERR_INVALID_STATE` if the next message is a string or a value,
   * which stays there (receive those with {@link Channel.tryReceive}); as
   * {@link Channel.tryReceive}.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * const view = ch.tryPeek();
   * if (view) {
   *   console.log(view.length);
   *   ch.release();
   * }
   * ```
   */
  tryPeek(): Buffer | undefined {
    this.#check('channel_receive');
    if (this.#peekView !== undefined) return this.#peekView;
    const r = this.#peekAttempt();
    return r === NONE || r === BUSY ? undefined : (r as Buffer);
  }

  #peekAttempt(): Buffer | None | typeof BUSY {
    if (this.#polling) throw invalidState('poll() is running on this handle');
    const ctl = this.#ctl;
    if (!this.#maybeData()) return NONE;
    if (!this.#lockRecv()) return BUSY;
    return this.#peekLocked();
  }

  #peekLocked(): Buffer | None {
    let view: Buffer | undefined;
    try {
      const off = this.#nextRecord();
      if (off < 0) return NONE;
      const kind = this.#d32[(off >> 2) + 1];
      if (kind !== KIND_BYTES) {
        throw invalidState(`the next message is a ${kind === KIND_STRING ? 'string' : 'value'}, not bytes: receive it with tryReceive()`);
      }
      const s = off + RECORD_HEADER;
      view = this.#data.subarray(s, s + this.#d32[off >> 2]);
      this.#peekNext = this.#next;
      this.#peekView = view;
      return view;
    } finally {
      if (view === undefined) this.#recvLock.unlock();
    }
  }

  /**
   * {@link Channel.tryPeek}, blocking this thread up to `timeoutMs` (default:
   * forever); `undefined` on timeout, or once the channel has ended and is drained.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * const view = ch.peekSync(1000);
   * if (view) { console.log(view.subarray(0, 4)); ch.release(); }
   * ```
   */
  peekSync(timeoutMs?: number): Buffer | undefined {
    this.#check('channel_receive');
    if (this.#peekView !== undefined) return this.#peekView;
    const deadline = deadlineOf(timeoutMs === undefined ? -1 : validateTimeout(timeoutMs, 'timeoutMs'));
    for (;;) {
      const ended = Atomics.load(this.#ctl, I_ENDED) !== 0;
      const r = this.#peekAttempt();
      if (r === BUSY) {
        if (!this.#recvLock.lockSync(lockTimeout(deadline))) return undefined;
        this.#recvAcquired();
        const got = this.#peekLocked();
        if (got !== NONE) return got;
        continue;
      }
      if (r !== NONE) return r;
      if (ended) return undefined;
      if (!this.#waitDataSync(deadline)) return undefined;
    }
  }

  /**
   * {@link Channel.tryPeek}, waiting without blocking the event loop;
   * resolves `undefined` on timeout, or once the channel has ended and is drained.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * const view = await ch.peek({ timeout: 1000 });
   * if (view) { console.log(view.length); ch.release(); }
   * ```
   */
  async peek(options?: ChannelWaitOptions): Promise<Buffer | undefined> {
    this.#check('channel_receive');
    const opts = validateOptions<ChannelWaitOptions>(options);
    const deadline = deadlineOf(validateTimeout(opts.timeout, 'options.timeout'));
    const signal = validateAbortSignal(opts.signal);
    for (;;) {
      if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
      this.#check('channel_receive');
      if (this.#peekView !== undefined) return this.#peekView;
      const ended = Atomics.load(this.#ctl, I_ENDED) !== 0;
      const r = this.#peekAttempt();
      if (r === BUSY) {
        if (!(await this.#lockAsync(this.#recvLock, deadline, signal, 'channel_receive'))) return undefined;
        this.#recvAcquired();
        const got = this.#peekLocked();
        if (got !== NONE) return got;
        continue;
      }
      if (r !== NONE) return r;
      if (ended) return undefined;
      if (!(await this.#waitAsync(I_DATA_WAITERS, I_DATA_SEQ, () => this.#hasData(), deadline, signal, 'channel_receive'))) {
        return undefined;
      }
    }
  }

  /**
   * Done with the peeked message: it is taken, its space is free again, and
   * other receivers go on. Do not use its view afterwards.
   *
   * @throws `ERR_INVALID_STATE` if this handle holds no peeked message.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * const view = ch.tryPeek();
   * if (view) ch.release();
   * ```
   */
  release(): void {
    this.#check('channel_receive');
    if (this.#peekView === undefined) throw invalidState('nothing to release: peek at a message first (tryPeek, peekSync or peek)');
    const nh = this.#peekNext;
    this.#peekView = undefined;
    const before = Atomics.load(this.#ctl, I_HEAD_FREE);
    Atomics.store(this.#ctl, I_HEAD_TAKEN, nh);
    Atomics.store(this.#ctl, I_HEAD_FREE, nh);
    this.#recvLock.unlock();
    this.#wakeSpace(before, nh);
  }

  // ---- ending and closing -------------------------------------------------

  /**
   * No more messages, for every handle, for good: sends fail with `EPIPE`
   * (also those waiting for room), while receivers still get every message
   * sent before, then `undefined` without waiting. Waits for a sender that
   * holds a reservation to commit it. A reservation open on this handle is
   * dropped.
   *
   * @example
   * ```ts
   * declare const ch: Channel;
   * ch.end();
   * console.log(ch.ended); // true, in every process
   * ```
   */
  end(): void {
    this.#check('channel_end');
    if (this.#resStart >= 0) {
      this.#resStart = -1;
      this.#sendLock.unlock();
    }
    const ctl = this.#ctl;
    // Under the send lock, so that no send publishes after receivers have
    // seen the end and found the ring drained.
    this.#sendLock.lockSync();
    Atomics.store(ctl, I_ENDED, 1);
    this.#sendLock.unlock();
    this.#endedSeen = true;
    const handle = nativeHandle(this.#shm, 'futex_wake');
    Atomics.add(ctl, I_DATA_SEQ, 1);
    native.futexWake(handle, I_DATA_SEQ * 4, Infinity);
    Atomics.add(ctl, I_SPACE_SEQ, 1);
    native.futexWake(handle, I_SPACE_SEQ * 4, Infinity);
  }

  /**
   * Ends this handle's use of the channel: pending sends and receives reject
   * with `EBADF`, views from reserve, peek and poll drop to length 0, an open
   * reservation is dropped (nothing sent), and a peeked message stays for
   * other receivers. A lock that a pending call was being given at that
   * moment is let go as soon as it arrives (the mapping stays until then).
   * Idempotent. The name stays: see {@link Channel.unlink}.
   *
   * @example
   * ```ts
   * const ch = Channel.open('jobs');
   * ch.close();
   * ch.close(); // fine
   * ```
   */
  close(): void {
    if (this.#closed) return;
    const ctl = this.#ctl;
    if (this.#resStart >= 0) {
      this.#resStart = -1;
      this.#sendLock.unlock();
    }
    if (this.#peekView !== undefined) {
      this.#peekView = undefined;
      this.#recvLock.unlock();
    } else if (this.#polling) {
      // Inside poll()'s callback: its message was taken; free its space.
      Atomics.store(ctl, I_HEAD_FREE, Atomics.load(ctl, I_HEAD_TAKEN));
      this.#recvLock.unlock();
      this.#wakeSpace();
    }
    if (this.#dataWaiting) Atomics.sub(ctl, I_DATA_WAITERS, this.#dataWaiting);
    if (this.#spaceWaiting) Atomics.sub(ctl, I_SPACE_WAITERS, this.#spaceWaiting);
    this.#dataWaiting = 0;
    this.#spaceWaiting = 0;
    this.#endedSeen = this.#endedSeen || Atomics.load(ctl, I_ENDED) !== 0;
    this.#closed = true;
    for (const cancel of [...this.#cancels]) cancel();
    this.#closing.abort();
    if (this.#locksPending === 0) this.#shm.close();
  }

  /**
   * Removes the channel's name ({@link Channel.unlink}); this handle keeps working until `close()`.
   *
   * @example
   * ```ts
   * const ch = Channel.create({ capacity: 4096 });
   * ch.unlink();
   * ch.close();
   * ```
   */
  unlink(): void {
    SharedMemory.unlink(this.name);
  }

  /**
   * Same as `close()`, for `using`: the name stays.
   *
   * @example
   * ```ts
   * {
   *   using ch = Channel.open('jobs');
   *   ch.trySend('hello');
   * } // ch.close() runs here
   * ```
   */
  [Symbol.dispose](): void {
    this.close();
  }
}

const NOT_READY = 'is not ready: it is still being created, or is not a channel';
const BUSY: unique symbol = Symbol('busy');

/** A signal that aborts when either does (AbortSignal.any, where Node has it). */
function anySignal(user: AbortSignal | undefined, own: AbortSignal): AbortSignal {
  if (!user) return own;
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([user, own]);
  return user.aborted || own.aborted ? (user.aborted ? user : own) : user; // Node < 20.3: the user's only
}
