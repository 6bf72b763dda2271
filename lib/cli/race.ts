// The article's experiment in Node: a parent creates a segment (and a lock),
// forks children that attach by name and race to increment a counter.
import { ChildProcess, fork } from 'node:child_process';
import * as path from 'node:path';

import { isStopSignal } from './interrupt';
import { Mutex, SharedMemory, Semaphore } from '../index';
import { ChildOptions, COUNTER_OFFSET, LockKind, MUTEX_OFFSET, progressIndex, RACE_STRUCT, readCounter, segmentSize, Width } from './race-layout';

export interface RaceOptions {
  procs: number;
  iterations: number;
  /** Milliseconds each child sleeps before every step (the article: 5). */
  sleep: number;
  lock: LockKind;
  width: Width;
  /** The counter and the Mutex as fields of a Struct view (same bytes). */
  struct?: boolean;
  /** Called about every `progressMs` with the increments done so far and the shared counter's value. */
  onProgress?: (done: number, total: number, counter: number) => void;
  progressMs?: number;
  /** Stops the race: children are killed and everything is removed. */
  signal?: AbortSignal;
}

export interface RaceResult {
  final: number;
  expected: number;
  lost: number;
  procs: number;
  iterations: number;
  width: Width;
  lock: LockKind;
  struct: boolean;
  sleep: number;
  seconds: number;
  opsPerSecond: number;
}

const CHILD = path.join(__dirname, 'race-child.js');

export async function runRace(options: RaceOptions): Promise<RaceResult> {
  const { procs, iterations, sleep, lock, width } = options;
  const struct = options.struct === true;
  const total = procs * iterations;
  const shm = SharedMemory.create({ size: segmentSize(procs) });
  let sem: Semaphore | undefined;
  const children: ChildProcess[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    if (lock === 'semaphore') sem = Semaphore.create({ value: 1 });
    if (struct) RACE_STRUCT[width].create(shm, 0); // zero-fills; its mutex field is the Mutex at MUTEX_OFFSET
    else if (lock === 'mutex') Mutex.create(shm, MUTEX_OFFSET);
    // The article starts the counter at 1.
    if (width === 1) shm.buffer[COUNTER_OFFSET] = 1;
    else shm.buffer.writeBigUInt64LE(1n, COUNTER_OFFSET);

    const progress = new Float64Array(shm.buffer.buffer, 0, shm.size >> 3);
    const readProgress = () => {
      let done = 0;
      for (let i = 0; i < procs; i++) done += progress[progressIndex(i)];
      return done;
    };

    const outcome = new Promise<number>((resolve, reject) => {
      let ready = 0;
      let finished = 0;
      let start = 0n;
      const fail = (err: Error) => reject(err);
      options.signal?.addEventListener('abort', () => fail(new Error('race aborted')), { once: true });
      for (let index = 0; index < procs; index++) {
        const childOptions: ChildOptions = { shm: shm.name, sem: sem?.name, index, iterations, sleep, lock, width, struct };
        const child = fork(CHILD, [JSON.stringify(childOptions)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        children.push(child);
        let done = false;
        child.on('message', (msg: { type: string }) => {
          if (msg.type === 'ready' && ++ready === procs) {
            start = process.hrtime.bigint();
            for (const c of children) c.send('go');
          } else if (msg.type === 'done') {
            done = true;
            if (++finished === procs) resolve(Number(process.hrtime.bigint() - start) / 1e9);
          }
        });
        child.on('error', fail);
        // 'close' comes after the IPC channel has delivered everything, so a
        // 'done' message is never mistaken for a crash.
        child.on('close', (code, signal) => {
          if (done) return;
          const err = new Error(`race child ${index} (pid ${child.pid}) exited with ${signal ?? `code ${code}`} before finishing`);
          // A stop signal to the whole process group: a child may die of it
          // before this process has run its own handler (children ignore them,
          // but only once Node has booted them). Said so, the CLI reports an
          // interruption rather than a crash (interrupt.ts).
          if (isStopSignal(signal)) Object.assign(err, { interruptedBy: signal });
          fail(err);
        });
      }
    });
    if (options.onProgress) {
      const report = options.onProgress;
      timer = setInterval(() => report(readProgress(), total, readCounter(shm.buffer, width)), options.progressMs ?? 100);
    }
    const seconds = await outcome;
    const final = readCounter(shm.buffer, width);
    options.onProgress?.(total, total, final);
    // A 1-byte counter wraps as in the article, so lost updates are known modulo 256.
    const expected = width === 1 ? (1 + total) % 256 : 1 + total;
    const lost = width === 1 ? (expected - final + 256) % 256 : expected - final;
    return { final, expected, lost, procs, iterations, width, lock, struct, sleep, seconds, opsPerSecond: total / seconds };
  } finally {
    if (timer) clearInterval(timer);
    // A child that failed may hold the semaphore: the others would wait forever.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    shm.close();
    shm.unlink();
    sem?.close();
    sem?.unlink();
  }
}
