// `shmem ls` (PIDS), `shmem info` (the processes) and `shmem prune` against
// real processes that map, hold open, or left behind real names. Runs
// test/fixtures/prune-scenario.js in a private mount namespace with its own
// tmpfs on /dev/shm (needs root and unshare, as CI has), so that prune sees
// only the scenario's names, never another test's.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { shmem } from './cli-run';
import { FIXTURES } from './helpers';

function canUnshare(): boolean {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs tmpfs /dev/shm && unshare --pid --fork --mount-proc true'], {
    stdio: 'ignore',
  });
  return r.status === 0;
}

const available = process.platform === 'linux' && canUnshare();
const maybe = available ? describe : describe.skip;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  json?: any;
}

let out: any;

maybe(available ? 'who uses a name, and prune' : 'who uses a name, and prune (skipped: needs Linux, root and unshare)', () => {
  beforeAll(() => {
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs tmpfs /dev/shm && exec "${process.execPath}" "$0"`, path.join(FIXTURES, 'prune-scenario.js')], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      timeout: 600000, // a hang guard: the scenario kills its children and exits on any failure
    });
    if (r.status !== 0) throw new Error(`prune scenario failed (${r.status ?? r.signal}): ${r.stderr}`);
    out = JSON.parse(r.stdout);
  });

  const entry = (run: Run, name: string) => run.json.find((e: any) => e.name === name);

  test('ls --json: pids of the processes that map or hold each name, found by inode', () => {
    expect(out.ls.code).toBe(0);
    expect(entry(out.ls, 'held-seg').pids).toEqual([out.self]);
    expect(entry(out.ls, 'child-seg').pids).toEqual([out.child]); // opened, mapped, descriptor closed
    expect(entry(out.ls, 'child-sem').pids).toEqual([out.child]); // created under glibc's temporary name
    expect(entry(out.ls, 'leftover-seg').pids).toEqual([]);
    expect(entry(out.ls, 'leftover-sem').pids).toEqual([]);
    for (const e of out.ls.json) {
      expect(typeof e.unknownProcesses).toBe('number');
      expect(e.dev).toMatch(/^\d+:\d+$/);
      expect(Number.isInteger(e.ino)).toBe(true);
    }
  });

  test('ls: a PIDS column; "?" marks processes that could not be inspected', () => {
    const [header, ...rows] = out.lsText.stdout.trim().split('\n');
    expect(header.split(/\s+/)).toEqual(['KIND', 'SIZE', 'MODE', 'UID', 'USER', 'AGE', 'PIDS', 'NAME']);
    const pids = (name: string) => rows.find((r: string) => r.endsWith(` ${name}`))!.split(/\s+/)[6];
    const unknown = out.ls.json[0].unknownProcesses > 0 ? ',?' : '';
    expect(pids('held-seg')).toBe(`${out.self}${unknown}`);
    expect(pids('leftover-seg')).toBe(unknown ? '?' : '-');
  });

  test('info: the processes with their command lines (text and JSON)', () => {
    const [sem, seg] = out.info.json;
    expect(sem.processes).toEqual([{ pid: out.child, mapped: true, open: false, command: expect.stringContaining("Semaphore.create({ name: 'child-sem' })") }]);
    expect(seg.processes).toEqual([]);
    expect(out.infoText.stdout).toMatch(new RegExp(`used by\\s+${out.child}\\s+\\S.*node`)); // (under qemu-user the emulator comes first)
  });

  test('prune --dry-run: says what it would remove (the killed program\'s names), removes nothing', () => {
    expect(out.dryRun.code).toBe(0);
    expect(out.dryRun.json.dryRun).toBe(true);
    expect(out.dryRun.json.removed.map((o: any) => o.name).sort()).toEqual(['leftover-seg', 'leftover-sem']);
    expect(out.dryRun.json.kept).toEqual(
      expect.arrayContaining([
        { kind: 'segment', name: 'held-seg', reason: 'in use', pids: [out.self] },
        { kind: 'semaphore', name: 'child-sem', reason: 'in use', pids: [out.child] },
      ]),
    );
    expect(out.afterDryRun).toEqual(['child-seg', 'held-seg', 'leftover-seg', 'sem.child-sem', 'sem.leftover-sem']);
    expect(out.pruneText.stdout).toMatch(/^would remove segment leftover-seg \(8192 bytes, last changed \d+s ago\)$/m);
    expect(out.pruneText.stdout).toMatch(/^would remove 2 of 5; kept 3: 3 in use$/m);
  });

  test('prune: the default --older-than 1h keeps names changed within the hour', () => {
    expect(out.recent.json.olderThan).toBe(3600);
    expect(out.recent.json.removed).toEqual([]);
    expect(out.recent.json.kept.every((k: any) => k.reason === 'changed less than 1h ago')).toBe(true);
  });

  test('prune removes what no process uses, and nothing else', () => {
    expect(out.prune.code).toBe(0);
    expect(out.prune.json.removed.map((o: any) => o.name).sort()).toEqual(['leftover-seg', 'leftover-sem']);
    expect(out.afterPrune).toEqual(['child-seg', 'held-seg', 'sem.child-sem']);
    // Once its last user has gone, a name is a leftover too.
    expect(out.last.json.removed.map((o: any) => o.name).sort()).toEqual(['child-seg', 'child-sem', 'held-seg', 'hidden-seg']);
    expect(out.afterLast).toEqual([]);
  });

  test('a user that /proc does not show (another pid namespace) still keeps its names: the kernel refuses the lease', () => {
    expect(out.unseen.code).toBe(0);
    expect(out.unseen.json.removed).toEqual([]);
    expect(out.unseen.json.kept).toContainEqual({ kind: 'segment', name: 'hidden-seg', reason: 'open or mapped by a process that could not be seen' });
    expect(out.afterUnseen).toContain('hidden-seg');
  });

  test('a user who may not inspect every process, where the kernel cannot prove it for them, removes nothing', () => {
    expect(out.nobody.code).toBe(0);
    expect(out.nobody.json.removed).toEqual([]);
    expect(out.nobody.json.kept.map((k: any) => k.name)).toContain('leftover-seg');
  });

  test('--older-than takes 90s, 10m, 1h, 2d; anything else is a usage error (2)', () => {
    expect(out.usage).toEqual([2, 2, 2, 2, 2]);
  });
});

describe('prune elsewhere', () => {
  test.each(['darwin', 'win32'] as const)('on %s it says it is not supported (exit 3)', async (platform) => {
    const run = await shmem(['prune'], { platform });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^shmem: prune is not supported here: /);
  });

  test('--help describes the safety rule', async () => {
    const run = await shmem(['prune', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/write lease/);
    expect(run.stdout).toMatch(/--older-than DURATION/);
  });
});
