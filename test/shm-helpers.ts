// Extra helpers for the SharedMemory / Semaphore tests (helpers.ts is shared and not edited here).
import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { FIXTURES } from './helpers';

/** Entries of /dev/shm whose name contains `fragment`. */
export function shmEntries(fragment: string): string[] {
  return fs.readdirSync('/dev/shm').filter((entry) => entry.includes(fragment));
}

/**
 * Entries of /dev/shm that this process could have made: names from
 * helpers.uniqueName() ('t<pid36>_...') and generated names ('shm_<pid36>_...',
 * 'sem_<pid36>_...'); semaphores appear as 'sem.<name>'. Sorted.
 */
export function ownShmEntries(): string[] {
  const pid = process.pid.toString(36);
  const prefixes = [`t${pid}_`, `shm_${pid}_`, `sem_${pid}_`];
  return fs
    .readdirSync('/dev/shm')
    .filter((entry) => prefixes.some((p) => entry.startsWith(p) || entry.startsWith(`sem.${p}`)))
    .sort();
}

/** Lines of /proc/self/maps that map something whose path contains `fragment`. */
export function mapsLines(fragment: string): string[] {
  return fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes(fragment));
}

/** 'fd -> target' for every open descriptor of this process. */
export function fdTargets(): string[] {
  const out: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      out.push(`${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`);
    } catch {
      // closed meanwhile (e.g. the descriptor readdir itself used)
    }
  }
  return out;
}

/** Open descriptors of this process that point into /dev/shm. */
export function shmFds(): string[] {
  return fdTargets().filter((entry) => entry.includes(' -> /dev/shm/'));
}

/** This process's umask, read without process.umask() (deprecated without an argument). */
export function currentUmask(): number {
  const m = /^Umask:\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? parseInt(m[1], 8) : 0o022;
}

/** Collects every IPC message of `child` until it exits. */
export function collect(child: ChildProcess): Promise<{ messages: any[]; code: number | null; signal: NodeJS.Signals | null }> {
  const messages: any[] = [];
  child.on('message', (m) => messages.push(m));
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      // 'exit' may fire before the last queued 'message' events; let them drain.
      setImmediate(() => resolve({ messages, code, signal }));
    });
  });
}

const spawned = new Set<ChildProcess>();

/**
 * Runs test/fixtures/<file> under `sh -c '<shellPrefix>; exec node ...'` (e.g. to
 * set an rlimit), with an IPC channel. Killed by killSpawned().
 */
export function spawnFixtureWithShell(shellPrefix: string, file: string, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
  const child = spawn(
    'sh',
    ['-c', `${shellPrefix}; exec "$0" "$@"`, process.execPath, path.join(FIXTURES, file), ...args],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...options },
  );
  spawned.add(child);
  child.once('exit', () => spawned.delete(child));
  return child;
}

/** Kills children started by spawnFixtureWithShell() that are still running. Call from afterEach. */
export function killSpawned(): void {
  for (const child of spawned) child.kill('SIGKILL');
  spawned.clear();
}

/** The error `fn` throws (fails the test if it does not throw). */
export function thrown(fn: () => unknown): any {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to throw');
}

/** The reason `promise` rejects with (fails the test if it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}
