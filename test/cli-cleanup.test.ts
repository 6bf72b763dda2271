// `shmem race` removes its segment and semaphore when it is interrupted
// (Ctrl-C, a closed terminal and Ctrl-\ reach the whole process group) and
// when a child crashes.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { FIXTURES, onceExit, PACKAGE_ROOT } from './helpers';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
const running = new Set<ChildProcess>();

afterEach(() => {
  for (const p of running) if (p.pid) try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
  running.clear();
});

function listShm(): Set<string> {
  return new Set(fs.readdirSync('/dev/shm'));
}

/** Starts a long race (or demo) in its own process group; resolves once both children are racing. */
async function startRace(
  command: 'race' | 'demo' = 'race',
): Promise<{ cli: ChildProcess; stderr: () => string; children: number[]; names: string[] }> {
  const args = command === 'race' ? ['race', '--iterations', '1000000', '--sleep', '5'] : ['demo', '--iterations', '100000000'];
  const cli = spawn(process.execPath, [CLI, ...args], {
    detached: true, // own process group, like a shell job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(cli);
  let err = '';
  cli.stderr!.on('data', (d) => (err += d));
  const { children, names } = await racing(cli.pid!, () => (cli.exitCode !== null ? `race ended early: ${err}` : undefined));
  return { cli, stderr: () => err, children, names };
}

/** Waits until the race of the CLI process `pid` has both children and its two names. */
async function racing(pid: number, failed: () => string | undefined): Promise<{ children: number[]; names: string[] }> {
  // Generated names carry the creating pid (base 36), which tells them from
  // names that tests running in parallel make.
  const tag = `_${pid.toString(36)}_`;
  for (;;) {
    const children = childPids(pid);
    const names = [...listShm()].filter((n) => n.includes(tag));
    if (children.length === 2 && names.length === 2) return { children, names };
    const why = failed();
    if (why !== undefined) throw new Error(why);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function childPids(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('shmem race cleans up', () => {
  test('Ctrl-C (SIGINT to the process group) removes the segment and the semaphore', async () => {
    const { cli, stderr, names } = await startRace();
    expect(names.some((n) => n.startsWith('sem.'))).toBe(true);
    process.kill(-cli.pid!, 'SIGINT');
    const { code } = await onceExit(cli);
    expect(code).toBe(130);
    expect(stderr()).toMatch(/interrupted/);
    const now = listShm();
    for (const n of names) expect(now.has(n)).toBe(false);
  });

  test.each([
    ['SIGHUP', 129],
    ['SIGQUIT', 131],
    ['SIGTERM', 143],
  ] as const)('%s to the process group removes the segment and the semaphore (exit %i)', async (sig, expected) => {
    const { cli, stderr, names } = await startRace();
    process.kill(-cli.pid!, sig);
    const { code } = await onceExit(cli);
    expect(code).toBe(expected);
    expect(stderr()).toMatch(/interrupted/);
    const now = listShm();
    for (const n of names) expect(now.has(n)).toBe(false);
  });

  test('shmem demo: SIGHUP to the process group removes its names too (129)', async () => {
    const { cli, names } = await startRace('demo');
    process.kill(-cli.pid!, 'SIGHUP');
    expect((await onceExit(cli)).code).toBe(129);
    const now = listShm();
    for (const n of names) expect(now.has(n)).toBe(false);
  });

  test('the terminal is closed (a real pseudo-terminal, SIGHUP from the kernel): names removed, exit 129', async () => {
    // Under a terminal the race draws its live line on stderr, which fails
    // (EIO) once the terminal is gone: that must not stop the clean-up.
    const helper = spawn('python3', [path.join(FIXTURES, 'pty-run.py'), process.execPath, CLI, 'race', '--iterations', '1000000', '--sleep', '5'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    running.add(helper);
    const lines: string[] = [];
    let buffered = '';
    helper.stdout!.on('data', (d) => {
      buffered += d;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
    });
    const line = async (i: number) => {
      while (lines.length <= i) {
        if (helper.exitCode !== null) throw new Error('pty helper ended early');
        await new Promise((r) => setTimeout(r, 20));
      }
      return JSON.parse(lines[i]);
    };
    const { pid } = await line(0);
    const { names } = await racing(pid, () => (helper.exitCode !== null ? 'pty helper ended early' : undefined));
    helper.stdin!.write('close\n');
    expect(await line(1)).toEqual({ code: 129, signal: null });
    const now = listShm();
    for (const n of names) expect(now.has(n)).toBe(false);
  });

  test('a stop signal that a child dies of before this process hears of it is still an interruption (143)', async () => {
    // SIGINT or SIGTERM to the whole group reaches parent and children at
    // once; if a child's death is seen first, it must not read as a crash.
    // (Children ignore SIGINT once started, but not while Node boots them.)
    // SIGTERM to the children only makes that order certain.
    const { cli, stderr, children, names } = await startRace();
    for (const pid of children) process.kill(pid, 'SIGTERM');
    const { code } = await onceExit(cli);
    expect(code).toBe(143);
    expect(stderr()).toMatch(/interrupted/);
    const now = listShm();
    for (const n of names) expect(now.has(n)).toBe(false);
  });

  test('a crashed child: the race fails with a clear error and removes its names', async () => {
    const { cli, stderr, children, names } = await startRace();
    process.kill(children[0], 'SIGKILL');
    const { code } = await onceExit(cli);
    expect(code).toBe(1);
    expect(stderr()).toMatch(/exited with SIGKILL before finishing/);
    const now = listShm();
    for (const n of names) expect(now.has(n)).toBe(false);
    // The other child was stopped too.
    for (const pid of children) expect(fs.existsSync(`/proc/${pid}/status`) && !/State:\s+Z/.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))).toBe(false);
  });
});
