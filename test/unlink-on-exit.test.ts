// create({ unlinkOnExit: true }): the name goes when the creating process
// ends normally, by process.exit() or an uncaught error, and when a worker
// thread that made it ends; not when the process is killed, not for names
// unlinked by hand (even if someone re-created them), not by default.
import { SharedMemory, Semaphore } from '..';
import { cleanupNames, forkFixture, killChildren, onceExit, onceMessage, uniqueName } from './helpers';

afterEach(() => {
  killChildren();
  cleanupNames();
});

function exists(open: (name: string) => { close(): void }, name: string): boolean {
  try {
    open(name).close();
    return true;
  } catch (err: any) {
    if (err.code === 'ENOENT') return false;
    throw err;
  }
}

const shmThere = (name: string) => exists((n) => SharedMemory.open(n), name);
const semThere = (name: string) => exists((n) => Semaphore.open(n), name);

async function run(mode: string) {
  const shm = uniqueName('shm');
  const sem = uniqueName('sem');
  const child = forkFixture('unlink-on-exit.js', [shm, sem, mode], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  return { shm, sem, child };
}

describe('the name is removed when the creating process ends', () => {
  test.each([
    ['normal', 0],
    ['exit', 3],
    ['throw', 1],
    ['reject', 1],
  ])('%s (exit code %d)', async (mode, expectedCode) => {
    const { shm, sem, child } = await run(mode);
    await onceMessage(child, (m) => m.created);
    const { code } = await onceExit(child);
    expect(code).toBe(expectedCode);
    expect(shmThere(shm)).toBe(false);
    expect(semThere(sem)).toBe(false);
  });
});

test('without the option the names stay (removing them is explicit)', async () => {
  const { shm, sem, child } = await run('default');
  await onceMessage(child, (m) => m.created);
  expect((await onceExit(child)).code).toBe(0);
  expect(shmThere(shm)).toBe(true);
  expect(semThere(sem)).toBe(true);
});

test('a process killed by a signal leaves the names (no code runs then)', async () => {
  const { shm, sem, child } = await run('kill');
  await onceMessage(child, (m) => m.created);
  child.kill('SIGKILL');
  expect((await onceExit(child)).signal).toBe('SIGKILL');
  expect(shmThere(shm)).toBe(true);
  expect(semThere(sem)).toBe(true);
});

test('names unlinked by hand are forgotten: a later object with the same name survives the exit', async () => {
  const { shm, sem, child } = await run('unlinked');
  await onceMessage(child, (m) => m.created);
  await onceMessage(child, (m) => m.unlinked);
  // Someone else makes new objects under the same names before the child exits.
  SharedMemory.create({ name: shm, size: 64 }).close();
  Semaphore.create({ name: sem }).close();
  child.send('go');
  expect((await onceExit(child)).code).toBe(0);
  expect(shmThere(shm)).toBe(true);
  expect(semThere(sem)).toBe(true);
});

describe('a worker thread that created them removes them when it ends', () => {
  test.each(['worker', 'worker-exit', 'worker-terminate'])('%s', async (mode) => {
    const { shm, sem, child } = await run(mode);
    const after = await onceMessage(child, (m) => m.after);
    // Checked inside the still-running process, right after the worker's 'exit'.
    expect(after).toEqual({ after: true, shm: false, sem: false });
    child.send('go');
    expect((await onceExit(child)).code).toBe(0);
    expect(shmThere(shm)).toBe(false);
    expect(semThere(sem)).toBe(false);
  });
});

test('unlinkOnExit must be a boolean', () => {
  for (const bad of [1, 'yes', null]) {
    expect(() => SharedMemory.create({ size: 1, unlinkOnExit: bad as any })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    expect(() => Semaphore.create({ unlinkOnExit: bad as any })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  }
});

test('in this process: unlinkOnExit with a generated name, then unlink() by hand, works as usual', () => {
  const shm = SharedMemory.create({ size: 64, unlinkOnExit: true });
  const sem = Semaphore.create({ unlinkOnExit: true });
  try {
    expect(shmThere(shm.name)).toBe(true);
  } finally {
    shm.close();
    shm.unlink();
    sem.close();
    sem.unlink();
  }
  expect(() => shm.unlink()).toThrow(expect.objectContaining({ code: 'ENOENT' }));
});
