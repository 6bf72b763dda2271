// Where named objects cannot be listed (macOS, Windows), `shmem ls` and `shmem prune` say so and
// exits with 3; `info` opens the object instead of stat'ing it, and `rm` goes
// through the library as everywhere. Run here by making the CLI believe it is
// on that platform (test/fixtures/fake-platform.js); the objects are real.
import { SharedMemory, Semaphore } from '..';
import { shmem, shmemJson } from './cli-run';
import { cleanupNames, uniqueName } from './helpers';

afterEach(() => cleanupNames());

// Faking is only meaningful on a POSIX system whose native layer can serve both.
const posix = process.platform === 'linux' ? describe : describe.skip;

posix.each(['darwin', 'win32'] as const)('shmem ls on %s', (platform) => {
  test('a clear message on stderr, nothing on stdout, exit 3 (also with --json and --all)', async () => {
    const os = platform === 'darwin' ? 'macOS' : 'Windows';
    for (const args of [['ls'], ['ls', '--json'], ['ls', '--all']]) {
      const run = await shmem(args, { platform });
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 3, stdout: '' });
      expect(run.stderr).toMatch(new RegExp(`^shmem: ls is not supported here: ${os} offers no (documented )?way to list .*'shmem info NAME'`));
    }
  });

  test('prune: a clear message on stderr, nothing on stdout, nothing removed, exit 3 (also with --dry-run and --json)', async () => {
    const os = platform === 'darwin' ? 'macOS' : 'Windows';
    const name = uniqueName('shm');
    SharedMemory.create({ name, size: 4096 }).close(); // used by nobody: prune would remove it where it can
    for (const args of [['prune', '--older-than', '0s'], ['prune', '--dry-run'], ['prune', '--json', '--older-than', '0s']]) {
      const run = await shmem(args, { platform });
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 3, stdout: '' });
      expect(run.stderr).toMatch(new RegExp(`^shmem: prune is not supported here: ${os} offers no (documented )?way to list `));
    }
    SharedMemory.open(name).close(); // still there
  });

  test('--help still works (exit 0) and names exit code 3', async () => {
    const run = await shmem(['ls', '--help'], { platform });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^3 not supported here/m);
  });
});

posix('shmem info and rm on macOS (no /dev/shm to stat)', () => {
  const platform = 'darwin';

  test('info opens the segment: its size, and null for what the system does not tell', async () => {
    const name = uniqueName('shm');
    SharedMemory.create({ name, size: 3000 }).close();
    const run = await shmemJson(['info', '--json', name], { platform });
    expect(run.code).toBe(0);
    expect(run.json).toEqual([
      {
        kind: 'segment', name, path: null, size: 3000, allocated: null, mode: null, uid: null, user: null, gid: null,
        group: null, age: null, mtime: null, ctime: null, atime: null, birthtime: null, dev: null, ino: null,
        pids: null, unknownProcesses: null,
      },
    ]);
    const text = await shmem(['info', name], { platform });
    expect(text).toMatchObject({
      code: 0,
      stderr: '',
      stdout: `segment ${name}\n  size       3000 bytes\n  (mode, owner and times are not available on macOS)\n`,
    });
  });

  test('info finds a semaphore by opening it; a missing name is reported as on Linux', async () => {
    const name = uniqueName('sem');
    Semaphore.create({ name }).close();
    const run = await shmemJson(['info', '--json', name], { platform });
    expect(run.code).toBe(0);
    expect(run.json).toEqual([expect.objectContaining({ kind: 'semaphore', name, size: null, mode: null })]);
    const missing = uniqueName('shm');
    expect(await shmem(['info', missing], { platform })).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `shmem: no such segment or semaphore: ${missing}\n`,
    });
  });

  test('rm removes exactly the names given, through the library', async () => {
    const a = uniqueName('shm');
    const b = uniqueName('shm');
    const missing = uniqueName('shm');
    for (const n of [a, b]) SharedMemory.create({ name: n, size: 8 }).close();
    const run = await shmem(['rm', a, missing], { platform });
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: `shmem: no such segment: ${missing}\n` });
    expect(() => SharedMemory.open(a)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    SharedMemory.open(b).close();
  });
});
