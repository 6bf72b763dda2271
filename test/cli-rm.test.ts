// `shmem rm NAME...`: removes exactly the objects named, through the library's
// unlink; reports missing and invalid names, removes the others all the same;
// --force ignores missing names; never globs, never removes another file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { SharedMemory, Semaphore } from '..';
import { cleanupPaths, makeShmDir, makeShmSymlink, removeLater, shmem, unlinkLater } from './cli-run';
import { cleanupNames, uniqueName } from './helpers';

afterEach(() => {
  cleanupNames();
  cleanupPaths();
});

function segment(name: string): void {
  SharedMemory.create({ name, size: 64 }).close();
}

function semaphore(name: string): void {
  Semaphore.create({ name }).close();
}

/** True if the segment can still be opened by name (works on every platform). */
function segmentExists(name: string): boolean {
  try {
    SharedMemory.open(name).close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function semaphoreExists(name: string): boolean {
  try {
    Semaphore.open(name).close();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

describe('shmem rm', () => {
  test('removes the segment named and only it: of two segments, the other remains', async () => {
    const a = uniqueName('shm');
    const b = uniqueName('shm');
    segment(a);
    segment(b);
    const run = await shmem(['rm', a]);
    expect(run).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(segmentExists(a)).toBe(false);
    expect(segmentExists(b)).toBe(true);
  });

  test('several names at once; -v prints each one removed', async () => {
    const names = [uniqueName('shm'), uniqueName('shm'), uniqueName('shm')];
    for (const n of names) segment(n);
    const run = await shmem(['rm', '-v', ...names]);
    expect(run).toMatchObject({ code: 0, stderr: '', stdout: names.map((n) => `removed segment ${n}\n`).join('') });
    for (const n of names) expect(segmentExists(n)).toBe(false);
  });

  test('--semaphore removes the semaphore, not the segment of the same name; without it, the segment', async () => {
    const name = uniqueName('shm');
    unlinkLater('sem', name);
    segment(name);
    semaphore(name);
    expect(await shmem(['rm', '--semaphore', name])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(semaphoreExists(name)).toBe(false);
    expect(segmentExists(name)).toBe(true);

    semaphore(name);
    expect(await shmem(['rm', name])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(segmentExists(name)).toBe(false);
    expect(semaphoreExists(name)).toBe(true);
  });

  test('a missing name: "shmem: no such segment: NAME", exit 1, and the other names are still removed', async () => {
    const a = uniqueName('shm');
    const missing = uniqueName('shm');
    const b = uniqueName('shm');
    const kept = uniqueName('shm');
    for (const n of [a, b, kept]) segment(n);
    const run = await shmem(['rm', a, missing, b]);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: `shmem: no such segment: ${missing}\n` });
    expect(segmentExists(a)).toBe(false);
    expect(segmentExists(b)).toBe(false);
    expect(segmentExists(kept)).toBe(true);

    const sem = await shmem(['rm', '--semaphore', missing]);
    expect(sem).toMatchObject({ code: 1, stderr: `shmem: no such semaphore: ${missing}\n` });
  });

  test('a name given twice: the second time it is missing (exit 1), as with rm', async () => {
    const a = uniqueName('shm');
    segment(a);
    expect(await shmem(['rm', a, a])).toMatchObject({ code: 1, stderr: `shmem: no such segment: ${a}\n` });
    expect(segmentExists(a)).toBe(false);
  });

  test('--force (-f) ignores missing names: exit 0, nothing on stderr', async () => {
    const a = uniqueName('shm');
    const missing = uniqueName('shm');
    segment(a);
    expect(await shmem(['rm', '--force', missing, a, a])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(segmentExists(a)).toBe(false);
    expect(await shmem(['rm', '-f', '--semaphore', missing])).toMatchObject({ code: 0, stdout: '', stderr: '' });
  });

  test('a missing segment whose name a semaphore has: the message says to use --semaphore, and the semaphore stays', async () => {
    const name = uniqueName('sem');
    semaphore(name);
    const run = await shmem(['rm', name]);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: `shmem: no such segment: ${name} (there is a semaphore ${name}: use --semaphore)\n` });
    expect(semaphoreExists(name)).toBe(true);
  });

  test('nothing is globbed or matched: a pattern or a prefix removes nothing', async () => {
    const base = uniqueName('shm');
    const names = [`${base}_1`, `${base}_2`].map((n) => unlinkLater('shm', n));
    for (const n of names) segment(n);
    for (const pattern of [`${base}_*`, `${base}_?`, `${base}_[12]`, base, '*']) {
      const run = await shmem(['rm', pattern]);
      expect({ pattern, code: run.code }).toEqual({ pattern, code: 1 });
      expect(run.stderr).toMatch(/^shmem: no such segment: /);
    }
    for (const n of names) expect(segmentExists(n)).toBe(true);
  });

  test("a name with '/' is refused as the library refuses it, even with --force: no file outside the namespace can be removed", async () => {
    const dir = removeLater(fs.mkdtempSync(path.join(os.tmpdir(), 'shmem-rm-')));
    const file = path.join(dir, 'precious');
    fs.writeFileSync(file, 'keep me');
    const relative = path.relative('/dev/shm', file); // ../../tmp/shmem-rm-.../precious
    for (const args of [[relative], [file], ['--force', relative], ['--semaphore', relative], ['-f', '--semaphore', file]]) {
      const run = await shmem(['rm', ...args]);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(run.stderr).toMatch(/^shmem: invalid (segment|semaphore) name .*: must not contain '\/'; not removed\n$/);
    }
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
  });

  test('an invalid name does not stop the valid ones', async () => {
    const a = uniqueName('shm');
    segment(a);
    const run = await shmem(['rm', 'x/y', a, '']);
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      "shmem: invalid segment name x/y: must not contain '/'; not removed",
      'shmem: invalid segment name "": must be a non-empty string; not removed',
    ]);
    expect(segmentExists(a)).toBe(false);
  });

  test('a name that starts with "-" goes after "--"', async () => {
    const name = unlinkLater('shm', `-${uniqueName('shm')}`);
    segment(name);
    const bad = await shmem(['rm', name]);
    expect(bad.code).toBe(2);
    expect(segmentExists(name)).toBe(true);
    expect(await shmem(['rm', '--', name])).toMatchObject({ code: 0, stderr: '' });
    expect(segmentExists(name)).toBe(false);
  });
});

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('shmem rm on Linux: only files in /dev/shm are segments and semaphores', () => {
  test('a directory, a symlink, "." and ".." in /dev/shm are not removed (exit 1); the symlink target is untouched', async () => {
    const base = uniqueName('shm');
    const dir = makeShmDir(`${base}_dir`);
    const tmp = removeLater(fs.mkdtempSync(path.join(os.tmpdir(), 'shmem-rm-')));
    const target = path.join(tmp, 'target');
    fs.writeFileSync(target, 'keep me');
    const link = makeShmSymlink(`${base}_link`, target);

    const run = await shmem(['rm', '--force', `${base}_dir`, `${base}_link`, '.', '..']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `shmem: not a segment: ${base}_dir (${dir} is a directory); not removed`,
      `shmem: not a segment: ${base}_link (${link} is a symlink); not removed`,
      'shmem: not a segment: . (/dev/shm/. is a directory); not removed',
      'shmem: not a segment: .. (/dev/shm/.. is a directory); not removed',
    ]);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, 'utf8')).toBe('keep me');
  });

  test('a semaphore is the file sem.NAME: --semaphore removes exactly that file', async () => {
    const name = uniqueName('sem');
    semaphore(name);
    expect(fs.existsSync(`/dev/shm/sem.${name}`)).toBe(true);
    expect(await shmem(['rm', '--semaphore', name])).toMatchObject({ code: 0, stderr: '' });
    expect(fs.existsSync(`/dev/shm/sem.${name}`)).toBe(false);
  });
});
