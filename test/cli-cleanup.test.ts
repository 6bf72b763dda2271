// `shmem race` removes its segment and semaphore when it is interrupted
// (Ctrl-C reaches the whole process group) and when a child crashes.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { onceExit, PACKAGE_ROOT } from './helpers';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli.js');
const running = new Set<ChildProcess>();

afterEach(() => {
  for (const p of running) if (p.pid) try { process.kill(-p.pid, 'SIGKILL'); } catch { /* gone */ }
  running.clear();
});

function listShm(): Set<string> {
  return new Set(fs.readdirSync('/dev/shm'));
}

/** Starts a long race in its own process group; resolves once both children are racing. */
async function startRace(): Promise<{ cli: ChildProcess; stderr: () => string; children: number[]; names: string[] }> {
  const cli = spawn(process.execPath, [CLI, 'race', '--iterations', '1000000', '--sleep', '5'], {
    detached: true, // own process group, like a shell job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(cli);
  let err = '';
  cli.stderr!.on('data', (d) => (err += d));
  // Wait until the children exist and the race has made its names. Generated
  // names carry the creating pid (base 36), which tells them from names that
  // tests running in parallel make.
  const tag = `_${cli.pid!.toString(36)}_`;
  for (;;) {
    const children = childPids(cli.pid!);
    const names = [...listShm()].filter((n) => n.includes(tag));
    if (children.length === 2 && names.length === 2) return { cli, stderr: () => err, children, names };
    if (cli.exitCode !== null) throw new Error(`race ended early: ${err}`);
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
