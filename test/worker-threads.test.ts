// worker_threads: segments and semaphores created, opened, waited on and left
// open in workers that exit or are terminated; the main thread stays correct.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

import { Semaphore, SharedMemory } from '..';
import { cleanupNames, FIXTURES, forkFixture, killChildren, semExists, shmExists, uniqueName } from './helpers';
import { collect } from './shm-helpers';

const WORKER = path.join(FIXTURES, 'worker.js');
const workers = new Set<Worker>();

const exits = new WeakMap<Worker, Promise<number>>();

function startWorker(workerData: Record<string, unknown>): Worker {
  const worker = new Worker(WORKER, { workerData });
  workers.add(worker);
  // Listen for 'exit' from the start: a worker may be gone before the test asks.
  exits.set(
    worker,
    new Promise((resolve, reject) => {
      worker.once('exit', (code) => {
        workers.delete(worker);
        resolve(code);
      });
      worker.once('error', reject);
    }),
  );
  return worker;
}

function nextMessage(worker: Worker, type: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: any) => {
      if (m.type === 'unexpected') {
        off();
        reject(new Error(`worker reported an unexpected settlement: ${JSON.stringify(m)}`));
      } else if (m.type === type) {
        off();
        resolve(m);
      }
    };
    const onError = (err: Error) => {
      off();
      reject(err);
    };
    const onExit = (code: number) => {
      off();
      reject(new Error(`worker exited (code ${code}) before '${type}'`));
    };
    const off = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

function exitCode(worker: Worker): Promise<number> {
  return exits.get(worker)!;
}

afterEach(async () => {
  await Promise.all([...workers].map((w) => w.terminate()));
  cleanupNames();
  killChildren();
});

/** Takes `units` units from `sem` (waiting as long as needed) and checks there is no more. */
async function expectExactly(sem: Semaphore, units: number): Promise<void> {
  for (let i = 0; i < units; i++) expect(await sem.wait()).toBe(true);
  expect(sem.tryWait()).toBe(false);
}

test('a worker creates and opens a segment and a semaphore and exits with them open; main sees its writes', async () => {
  const shmName = uniqueName();
  const semName = uniqueName('sem');
  const worker = startWorker({ mode: 'create-and-leave', shm: shmName, sem: semName, tag: 'A' });
  const done = nextMessage(worker, 'done');
  expect(await exitCode(worker)).toBe(0);
  expect((await done).seen).toBe('written i');
  // The worker never unlinked: both names still exist, and the data is there.
  expect(shmExists(shmName)).toBe(true);
  expect(semExists(semName)).toBe(true);
  const shm = SharedMemory.open(shmName);
  expect(shm.buffer.toString('utf8', 0, 19)).toBe('written in worker A');
  shm.close();
  const sem = Semaphore.open(semName);
  await expectExactly(sem, 3);
  sem.close();
});

test('a segment written in a worker is visible in main while both have it open (Atomics from both threads)', async () => {
  const name = uniqueName();
  const shm = SharedMemory.create({ name, size: 64 });
  try {
    const n = 200_000;
    const i32 = new Int32Array(shm.buffer.buffer, 0, 1);
    const ws = [startWorker({ mode: 'count', shm: name, n }), startWorker({ mode: 'count', shm: name, n })];
    const counted = ws.map((w) => nextMessage(w, 'counted'));
    for (let i = 0; i < n; i++) Atomics.add(i32, 0, 1);
    await Promise.all(counted);
    expect(await Promise.all(ws.map(exitCode))).toEqual([0, 0]);
    expect(Atomics.load(i32, 0)).toBe(3 * n);
    expect(shm.buffer.length).toBe(64); // the workers' close() did not touch main's mapping
  } finally {
    shm.close();
  }
});

test('a worker waiting on a semaphore gets a unit posted by main', async () => {
  const name = uniqueName('sem');
  const sem = Semaphore.create({ name, value: 0 });
  try {
    const worker = startWorker({ mode: 'take', sem: name });
    await nextMessage(worker, 'waiting');
    const took = nextMessage(worker, 'took');
    sem.post();
    expect((await took).value).toBe(true);
    expect(await exitCode(worker)).toBe(0);
    expect(sem.tryWait()).toBe(false);
  } finally {
    sem.close();
  }
});

test('in this process: terminate() a worker with wait()s pending and a segment open; main stays correct', async () => {
  const semName = uniqueName('sem');
  const shmName = uniqueName();
  const sem = Semaphore.create({ name: semName, value: 0 });
  const shm = SharedMemory.create({ name: shmName, size: 4096 });
  try {
    const worker = startWorker({ mode: 'wait-pending', sem: semName, shm: shmName });
    await nextMessage(worker, 'waiting');
    expect(await worker.terminate()).toBe(1);
    expect(shm.buffer[1]).toBe(7); // written by the worker
    sem.post();
    sem.post();
    await expectExactly(sem, 2);
  } finally {
    sem.close();
    shm.close();
  }
});

// Ending workers that hold handles or have waits pending is done in a child
// process (fixtures/worker-host.js) that hosts the workers: the "main process"
// whose survival is checked. A crash there shows up as an exit signal.
describe('workers ended with handles open or waits pending (hosted in a child process)', () => {
  async function host(scenario: string): Promise<any> {
    const child = forkFixture('worker-host.js', [scenario, uniqueName('sem'), uniqueName()]);
    const { messages, code, signal } = await collect(child);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: 'report', ok: true });
    return messages[0];
  }

  test('terminate() while semaphore wait()s are pending (10 rounds): no crash, no unit lost or invented', async () => {
    expect(await host('terminate-pending')).toMatchObject({ rounds: 10 });
  });

  test('six workers terminated at once with waits pending and segments open, three rounds', async () => {
    expect(await host('terminate-many')).toMatchObject({ rounds: 3 });
  });

  test('terminate() a worker busy in JS with a segment and a semaphore open', async () => {
    const report = await host('terminate-busy');
    expect(report.count).toBeGreaterThanOrEqual(1000);
  });

  test.each(['sem', 'lock', 'waitAsync'])(
    'terminate() while a %s wait completes (40 rounds): the completion is dropped, the process lives',
    async (kind) => {
      const report = await host(`terminate-completing-${kind}`);
      expect(report).toMatchObject({ rounds: 40 });
      if (kind === 'sem') expect(report.left + report.settled).toBeLessThanOrEqual(40);
    },
  );

  test('workers that call process.exit() with a wait() pending and a segment open (10 rounds)', async () => {
    expect(await host('exit-pending')).toMatchObject({ rounds: 10 });
  });
});

test('workers that create segments and exit, many times: the main thread stays healthy', async () => {
  for (let round = 0; round < 3; round++) {
    const jobs = Array.from({ length: 4 }, (_, i) => {
      const shm = uniqueName();
      const sem = uniqueName('sem');
      const worker = startWorker({ mode: 'create-and-leave', shm, sem, tag: `${round}.${i}` });
      return exitCode(worker).then((code) => ({ code, shm, sem, tag: `${round}.${i}` }));
    });
    for (const { code, shm: name, tag } of await Promise.all(jobs)) {
      expect(code).toBe(0);
      const shm = SharedMemory.open(name);
      expect(shm.buffer.toString('utf8', 0, 18 + tag.length)).toBe(`written in worker ${tag}`);
      shm.close();
    }
  }
  // Main can still create, wait and post.
  const sem = Semaphore.create({ name: uniqueName('sem'), value: 0 });
  const p = sem.wait();
  sem.post();
  expect(await p).toBe(true);
  sem.close();
});
