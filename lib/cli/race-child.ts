// A child of `shmem race`: attaches by name, waits for 'go', increments the
// shared counter, reports, closes. Forked by lib/cli/race.ts.
import { Mutex, SharedMemory, Semaphore } from '../index';
import { ChildOptions, COUNTER_OFFSET, MUTEX_OFFSET, progressIndex, RACE_STRUCT } from './race-layout';

const opts = JSON.parse(process.argv[2]) as ChildOptions;

const shm = SharedMemory.open(opts.shm);
const sem = opts.sem ? Semaphore.open(opts.sem) : undefined;
// --struct: the counter and the lock are fields of a view.
const view8 = opts.struct && opts.width === 8 ? RACE_STRUCT[8].attach(shm, 0) : undefined;
const view1 = opts.struct && opts.width === 1 ? RACE_STRUCT[1].attach(shm, 0) : undefined;
const mutex = opts.lock === 'mutex' ? (view8?.lock ?? view1?.lock ?? Mutex.attach(shm, MUTEX_OFFSET)) : undefined;
const buf = shm.buffer;
const progress = new Float64Array(buf.buffer, 0, buf.length >> 3);
const myProgress = progressIndex(opts.index);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

// Read-modify-write through plain loads and stores, as the article's
// `buf[0] = buf[0] + 1` does: without a lock, increments are lost.
const u32 = new Uint32Array(buf.buffer, COUNTER_OFFSET, 2);
function incrementPlain(): void {
  if (view8) {
    view8.count += 1n;
  } else if (view1) {
    view1.count = view1.count + 1; // wraps at 256, as the typed array's store does
  } else if (opts.width === 1) {
    buf[COUNTER_OFFSET] = buf[COUNTER_OFFSET] + 1; // wraps at 256 as in the article
  } else {
    // 8-byte little-endian, as int.to_bytes(8, 'little'); two 32-bit halves
    // avoid a BigInt per step (the host is little-endian: checked below).
    const lo = u32[0] + 1;
    if (lo > 0xffffffff) {
      u32[0] = 0;
      u32[1] = u32[1] + 1;
    } else {
      u32[0] = lo;
    }
  }
}

const u8 = new Uint8Array(buf.buffer, COUNTER_OFFSET, 1);
const i64 = new BigInt64Array(buf.buffer, COUNTER_OFFSET, 1);
function incrementAtomic(): void {
  if (view8) RACE_STRUCT[8].add(view8, 'count', 1n);
  else if (view1) RACE_STRUCT[1].add(view1, 'count', 1);
  else if (opts.width === 1) Atomics.add(u8, 0, 1);
  else Atomics.add(i64, 0, 1n);
}

function run(): number {
  const start = process.hrtime.bigint();
  const { iterations, sleep } = opts;
  for (let i = 1; i <= iterations; i++) {
    if (sleep > 0) Atomics.wait(sleeper, 0, 0, sleep);
    if (opts.lock === 'atomic') {
      incrementAtomic();
    } else if (mutex) {
      mutex.lockSync();
      incrementPlain();
      mutex.unlock();
    } else if (sem) {
      sem.waitSync();
      incrementPlain();
      sem.post();
    } else {
      incrementPlain();
    }
    if ((i & 255) === 0 || sleep > 0) progress[myProgress] = i;
  }
  progress[myProgress] = iterations;
  return Number(process.hrtime.bigint() - start) / 1e9;
}

if (require('node:os').endianness() !== 'LE') throw new Error('shmem race: the 8-byte counter assumes a little-endian host');

// Ctrl-C, Ctrl-\ and a closed terminal reach the whole process group: leave
// them to the parent, which stops the race and removes the names. The parent
// going away ends us too.
for (const sig of ['SIGINT', 'SIGHUP', 'SIGQUIT'] as const) process.on(sig, () => {});
process.on('disconnect', () => process.exit(0));
process.once('message', (msg) => {
  if (msg !== 'go') return;
  const seconds = run();
  shm.close();
  sem?.close();
  process.send!({ type: 'done', seconds }, () => process.disconnect());
});
process.send!({ type: 'ready' });
