// `node dist/cli/main.js race --json ...`: the article's experiment from the command line.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { cleanupNames, killChildren, PACKAGE_ROOT } from './helpers';

const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');

const spawned = new Set<ChildProcess>();

afterEach(() => {
  for (const c of spawned) c.kill('SIGKILL');
  spawned.clear();
  killChildren();
  cleanupNames();
});

interface RaceJson {
  final: number;
  expected: number;
  lost: number;
  procs: number;
  iterations: number;
  width: number;
  lock: string;
  seconds: number;
  opsPerSecond: number;
  [key: string]: unknown;
}

interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
  /** /dev/shm entries made by the CLI process (they carry its pid) seen while it ran. */
  seenDuringRun: Set<string>;
  /** Such entries still present after it exited. */
  leftAfterRun: string[];
  /** Pids of the CLI's own child processes seen while it ran. */
  childPids: number[];
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** True if the process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function listShm(): string[] {
  try {
    return fs.readdirSync('/dev/shm');
  } catch {
    return [];
  }
}

/**
 * Names the package generates look like `shm_<pid base 36>_<n>_<hex>`
 * (semaphores: `sem.sem_<pid>_...` in /dev/shm). The CLI creates its segment and
 * semaphore in its own process, so an entry carrying its pid is one it made;
 * names made meanwhile by other test files running in parallel are ignored.
 */
function madeBy(pid: number): (entry: string) => boolean {
  const re = new RegExp(`^(sem\\.)?[a-z]+_${pid.toString(36)}_`);
  return (entry) => re.test(entry);
}

function runCli(
  args: string[],
  onStart?: (child: ChildProcess, seen: Set<string>, childPids: Set<number>) => void,
  watchChildren = false,
): Promise<CliRun> {
  const before = new Set(listShm());
  const child = spawn(process.execPath, [CLI, ...args], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(child);
  const pid = child.pid!;
  const mine = madeBy(pid);
  const seenDuringRun = new Set<string>();
  const childPids = new Set<number>();
  const poll = setInterval(() => {
    for (const e of listShm()) if (!before.has(e) && mine(e)) seenDuringRun.add(e);
    if (watchChildren) for (const p of childrenOf(pid)) childPids.add(p);
  }, 2);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
  onStart?.(child, seenDuringRun, childPids);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearInterval(poll);
      spawned.delete(child);
      const leftAfterRun = listShm().filter((e) => !before.has(e) && mine(e));
      resolve({ code, signal, stdout, stderr, pid, seenDuringRun, leftAfterRun, childPids: [...childPids] });
    });
  });
}

async function race(args: string[]): Promise<{ run: CliRun; json: RaceJson }> {
  const run = await runCli(['race', '--json', ...args]);
  if (run.code !== 0) throw new Error(`cli exited with ${run.code} (${run.signal}): ${run.stderr}`);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(1); // ONE JSON object
  const json = JSON.parse(lines[0]) as RaceJson;
  for (const key of ['final', 'expected', 'lost', 'procs', 'iterations', 'width', 'seconds', 'opsPerSecond']) {
    expect(typeof json[key]).toBe('number');
  }
  expect(typeof json.lock).toBe('string');
  expect(json.seconds).toBeGreaterThanOrEqual(0);
  expect(json.opsPerSecond).toBeGreaterThanOrEqual(0);
  expect(run.leftAfterRun).toEqual([]);
  return { run, json };
}

const haveCli = fs.existsSync(CLI);
if (!haveCli) {
  // eslint-disable-next-line no-console
  console.warn(`${CLI} is missing: build it with 'npx tsc -p .' (the cli-race tests fail until then)`);
}

describe('shmem race --json', () => {
  test('--width 1 --iterations 127 --sleep 1 (semaphore, 2 procs by default): final 255, lost 0, names removed', async () => {
    const { run, json } = await race(['--width', '1', '--iterations', '127', '--sleep', '1']);
    expect(json).toMatchObject({ final: 255, expected: 255, lost: 0, procs: 2, iterations: 127, width: 1, lock: 'semaphore' });
    // The run did make names in /dev/shm (so the leftover check above looks at the right ones) …
    expect(run.seenDuringRun.size).toBeGreaterThan(0);
    // … and every one of them is gone.
    for (const e of run.seenDuringRun) expect(fs.existsSync(`/dev/shm/${e}`)).toBe(false);
  });

  test('--width 8 --iterations 1000 --sleep 0: final 2001', async () => {
    const { json } = await race(['--width', '8', '--iterations', '1000', '--sleep', '0']);
    expect(json).toMatchObject({ final: 2001, expected: 2001, lost: 0, procs: 2, iterations: 1000, width: 8 });
  });

  test('--procs 4 --lock semaphore: exact', async () => {
    const { json } = await race(['--procs', '4', '--lock', 'semaphore', '--width', '8', '--iterations', '500', '--sleep', '0']);
    expect(json).toMatchObject({ final: 2001, expected: 2001, lost: 0, procs: 4, lock: 'semaphore' });
  });

  test('--lock none: final <= expected', async () => {
    const { json } = await race(['--lock', 'none', '--width', '8', '--iterations', '1000', '--sleep', '0']);
    expect(json).toMatchObject({ expected: 2001, procs: 2, iterations: 1000, width: 8, lock: 'none' });
    expect(json.final).toBeLessThanOrEqual(json.expected);
    expect(json.final).toBeGreaterThanOrEqual(1);
    expect(json.lost).toBeGreaterThanOrEqual(0);
  });

  test('--lock none --width 8 with overlapping children: lost === expected - final', async () => {
    // --sleep 1 makes the children overlap, so updates are lost; how many is
    // random. Three runs, so that an odd number of lost updates comes up.
    for (let i = 0; i < 3; i++) {
      const { json } = await race(['--lock', 'none', '--width', '8', '--iterations', '60', '--sleep', '1']);
      expect(json.expected).toBe(121);
      expect(json.final).toBeLessThanOrEqual(json.expected);
      expect({ final: json.final, lost: json.lost }).toEqual({ final: json.final, lost: json.expected - json.final });
    }
  });

  test('--lock none --width 1 --sleep 1: final <= 255', async () => {
    const { json } = await race(['--lock', 'none', '--width', '1', '--iterations', '127', '--sleep', '1']);
    expect(json).toMatchObject({ expected: 255, width: 1, lock: 'none' });
    expect(json.final).toBeLessThanOrEqual(255);
    expect(json.lost).toBe(json.expected - json.final);
  });

  test('--lock atomic: exact (width 8 and width 1)', async () => {
    const { json } = await race(['--lock', 'atomic', '--width', '8', '--iterations', '20000', '--sleep', '0']);
    expect(json).toMatchObject({ final: 40001, expected: 40001, lost: 0, lock: 'atomic', width: 8 });
    const { json: j1 } = await race(['--lock', 'atomic', '--width', '1', '--iterations', '127', '--sleep', '0']);
    expect(j1).toMatchObject({ final: 255, expected: 255, lost: 0, lock: 'atomic', width: 1 });
  });

  test('--struct: the counter and the lock as Struct fields, exact under mutex, semaphore and atomic, racy without', async () => {
    for (const lock of ['mutex', 'semaphore', 'atomic']) {
      const { json } = await race(['--struct', '--lock', lock, '--width', '8', '--iterations', '5000', '--sleep', '0']);
      expect(json).toMatchObject({ final: 10001, expected: 10001, lost: 0, lock, struct: true, width: 8 });
    }
    const { json: j1 } = await race(['--struct', '--lock', 'mutex', '--width', '1', '--iterations', '127', '--sleep', '0']);
    expect(j1).toMatchObject({ final: 255, expected: 255, lost: 0, struct: true, width: 1 });
    const { json: none } = await race(['--struct', '--lock', 'none', '--width', '8', '--iterations', '1000', '--sleep', '0']);
    expect(none.lost).toBe(none.expected - none.final);
    expect(none.final).toBeLessThanOrEqual(none.expected);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    test(`${sig} during a long race: the CLI stops and removes its names`, async () => {
      const run = await runCli(
        ['race', '--json', '--width', '1', '--iterations', '100000', '--sleep', '5'],
        (child, seen, kids) => {
          // Interrupt once the run's names exist (i.e. the race is under way).
          const t = setInterval(() => {
            if (seen.size >= 2 && kids.size >= 2) {
              clearInterval(t);
              child.kill(sig);
            }
          }, 5);
          child.once('close', () => clearInterval(t));
        },
        true,
      );
      expect(run.seenDuringRun.size).toBeGreaterThanOrEqual(2);
      expect(run.code === null ? run.signal : run.code).not.toBe(0);
      expect(run.leftAfterRun).toEqual([]);
      // The racing children do not outlive the CLI (polled, bounded: a hang guard, not a timing assertion).
      expect(run.childPids.length).toBeGreaterThanOrEqual(2);
      for (let i = 0; i < 1000 && run.childPids.some(alive); i++) await new Promise((r) => setTimeout(r, 20));
      expect(run.childPids.filter(alive)).toEqual([]);
    });
  }

  test('a bad option fails with a non-zero exit, no JSON on stdout, and leaves no names', async () => {
    const run = await runCli(['race', '--json', '--lock', 'bogus']);
    expect(run.code).not.toBe(0);
    expect(run.stdout.trim()).toBe('');
    expect(run.stderr).toMatch(/lock/);
    expect(run.leftAfterRun).toEqual([]);
  });
});
