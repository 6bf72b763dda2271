// Runs the built command line (`node dist/cli/main.js ...`) for the CLI tests, and
// removes what a test made in /dev/shm beyond named objects.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { SharedMemory, Semaphore } from '..';
import { FIXTURES, PACKAGE_ROOT } from './helpers';

export const CLI = path.join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');

if (!fs.existsSync(CLI)) {
  // eslint-disable-next-line no-console
  console.warn(`${CLI} is missing: build it with 'npm run build' (the CLI tests fail until then)`);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Pretend to be this platform ('darwin', 'win32'): test/fixtures/fake-platform.js. */
  platform?: NodeJS.Platform;
  /** Close our end of the child's stdout at once, as `shmem ls | head -0` would. */
  closeStdout?: boolean;
}

/** Runs `shmem <args>` and resolves when it has exited. */
export function shmem(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const pre = options.platform ? ['-r', path.join(FIXTURES, 'fake-platform.js')] : [];
  const child = spawn(process.execPath, [...pre, CLI, ...args], {
    cwd: PACKAGE_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SHMEM_TEST_PLATFORM: options.platform ?? '' },
  });
  let stdout = '';
  let stderr = '';
  if (options.closeStdout) child.stdout!.destroy();
  else child.stdout!.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Like shmem(), but parses stdout as JSON (and fails the test if it is not). */
export async function shmemJson<T = any>(args: string[], options: CliOptions = {}): Promise<CliResult & { json: T }> {
  const run = await shmem(args, options);
  let json: T;
  try {
    json = JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout of 'shmem ${args.join(' ')}' is not JSON (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
  }
  return { ...run, json };
}

const madePaths: string[] = [];
const madeNames: Array<{ kind: 'shm' | 'sem'; name: string }> = [];

/**
 * Registers a name that is not from uniqueName() (one with a leading '.', a
 * space, ...) to be unlinked by cleanupPaths() if it still exists.
 */
export function unlinkLater(kind: 'shm' | 'sem', name: string): string {
  madeNames.push({ kind, name });
  return name;
}

/** Makes a directory in /dev/shm; removed by cleanupPaths(). */
export function makeShmDir(name: string): string {
  const p = `/dev/shm/${name}`;
  fs.mkdirSync(p);
  madePaths.push(p);
  return p;
}

/** Makes a symlink in /dev/shm to `target`; removed by cleanupPaths(). */
export function makeShmSymlink(name: string, target: string): string {
  const p = `/dev/shm/${name}`;
  fs.symlinkSync(target, p);
  madePaths.push(p);
  return p;
}

/** Registers a file or directory to be removed by cleanupPaths(). */
export function removeLater(p: string): string {
  madePaths.push(p);
  return p;
}

/** Removes what unlinkLater / makeShmDir / makeShmSymlink / removeLater registered. Call from afterEach. */
export function cleanupPaths(): void {
  for (const { kind, name } of madeNames.splice(0)) {
    try {
      if (kind === 'shm') SharedMemory.unlink(name);
      else Semaphore.unlink(name);
    } catch {
      // already removed by the test
    }
  }
  for (const p of madePaths.splice(0)) fs.rmSync(p, { recursive: true, force: true });
}
