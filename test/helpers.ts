// Shared test helpers: unique names, forked fixtures, cleanup.
import { ChildProcess, fork, ForkOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SharedMemory, Semaphore } from '..';

export const FIXTURES = path.join(__dirname, 'fixtures');
export const PACKAGE_ROOT = path.join(__dirname, '..');

const made: Array<{ kind: 'shm' | 'sem'; name: string }> = [];

/** A name no other test (or run) uses, within macOS's 30-byte limit. Removed by cleanupNames(). */
export function uniqueName(kind: 'shm' | 'sem' = 'shm'): string {
  const name = `t${process.pid.toString(36)}_${randomBytes(5).toString('hex')}`;
  made.push({ kind, name });
  return name;
}

/** Removes every name uniqueName() handed out that still exists. Call from afterEach. */
export function cleanupNames(): void {
  for (const { kind, name } of made.splice(0)) {
    try {
      if (kind === 'shm') SharedMemory.unlink(name);
      else Semaphore.unlink(name);
    } catch {
      // already removed by the test
    }
  }
}

/** True if /dev/shm (Linux) holds a segment with this name. */
export function shmExists(name: string): boolean {
  return fs.existsSync(`/dev/shm/${name}`);
}

/** True if /dev/shm (Linux) holds a semaphore with this name. */
export function semExists(name: string): boolean {
  return fs.existsSync(`/dev/shm/sem.${name}`);
}

const children = new Set<ChildProcess>();

/**
 * The program that runs fixture processes: this Node, or the command in
 * SHMEM_TEST_NODE, such as the wrapper that scripts/test-emulated.sh makes to
 * run them under CPU emulation (qemu-user), as Docker Desktop runs amd64
 * images on Apple Silicon.
 */
export const CHILD_NODE = process.env.SHMEM_TEST_NODE || process.execPath;

/** Forks test/fixtures/<file> with IPC. Killed by killChildren() if still running. */
export function forkFixture(file: string, args: string[] = [], options: ForkOptions = {}): ChildProcess {
  const child = fork(path.join(FIXTURES, file), args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execPath: CHILD_NODE,
    ...options,
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Kills children that are still running. Call from afterEach. */
export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/**
 * Resolves with the next IPC message from `child` that matches `filter` (default: any). Rejects if the
 * child is gone first: on 'close', which comes after the IPC channel has delivered every message ('exit'
 * can come before a message the child sent just before exiting).
 */
export function onceMessage<T = any>(child: ChildProcess, filter: (m: any) => boolean = () => true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: any) => {
      if (!filter(m)) return;
      off();
      resolve(m);
    };
    const onClose = (code: number | null, signal: string | null) => {
      off();
      reject(new Error(`child exited (code ${code}, signal ${signal}) before the expected message`));
    };
    const off = () => {
      child.off('message', onMessage);
      child.off('close', onClose);
    };
    child.on('message', onMessage);
    child.on('close', onClose);
  });
}

/** Resolves with { code, signal } when `child` exits. */
export function onceExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Number of open file descriptors of this process (Linux). */
export function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}
