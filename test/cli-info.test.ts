// `shmem info NAME...`: a segment's or semaphore's size, mode, owner and times
// (Linux: stat of its file in /dev/shm); missing and invalid names.
import * as fs from 'node:fs';

import { SharedMemory, Semaphore } from '..';
import { cleanupPaths, makeShmDir, shmem, shmemJson, unlinkLater } from './cli-run';
import { cleanupNames, uniqueName } from './helpers';

const open: Array<{ close(): void }> = [];

afterEach(() => {
  for (const o of open.splice(0)) o.close();
  cleanupNames();
  cleanupPaths();
});

function segment(name: string, size: number, mode?: number): void {
  open.push(SharedMemory.create({ name, size, mode }));
}

function semaphore(name: string): void {
  open.push(Semaphore.create({ name }));
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('shmem info', () => {
  test('a segment: its size, mode, owner and times from stat, as text', async () => {
    const name = uniqueName('shm');
    segment(name, 5000, 0o600);
    const st = fs.lstatSync(`/dev/shm/${name}`);
    const run = await shmem(['info', name]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`segment ${name}`);
    expect(lines).toContain(`  path       /dev/shm/${name}`);
    expect(lines).toContain(`  size       5000 bytes (${st.blocks * 512} allocated)`);
    expect(lines).toContain(`  mode       ${octal(st.mode)} (rw-------)`);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  owner      uid ${st.uid}\\b.*, gid ${st.gid}\\b`)));
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  modified   ${st.mtime.toISOString().replace(/\./g, '\\.')} \\(`)));
    for (const label of ['modified', 'changed', 'accessed']) {
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^  ${label} +\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(\\d+[smhd]\\S* ago\\)$`)));
    }
  });

  test('--json: one array (also for one NAME) with the fields of `ls --json`', async () => {
    const name = uniqueName('shm');
    segment(name, 100);
    const st = fs.lstatSync(`/dev/shm/${name}`);
    const run = await shmemJson(['info', '--json', name]);
    expect(run.code).toBe(0);
    expect(run.json).toEqual([
      expect.objectContaining({
        kind: 'segment',
        name,
        path: `/dev/shm/${name}`,
        size: 100,
        mode: octal(st.mode),
        uid: st.uid,
        gid: st.gid,
        mtime: st.mtime.toISOString(),
        age: expect.any(Number),
      }),
    ]);
    const listed = (await shmemJson(['ls', '--json'])).json.find((e: { name: string }) => e.name === name);
    expect(Object.keys(run.json[0])).toEqual([...Object.keys(listed), 'processes']);
  });

  test('a semaphore is found without --semaphore (the file sem.NAME)', async () => {
    const name = uniqueName('sem');
    semaphore(name);
    const run = await shmemJson(['info', '--json', name]);
    expect(run.code).toBe(0);
    expect(run.json).toEqual([expect.objectContaining({ kind: 'semaphore', name, path: `/dev/shm/sem.${name}` })]);
    const text = await shmem(['info', '--semaphore', name]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^semaphore ${name}\\n  path       /dev/shm/sem\\.${name}\\n`));
  });

  test('a segment and a semaphore of one name: both, the segment first; --segment / --semaphore pick one', async () => {
    const name = uniqueName('shm');
    unlinkLater('sem', name);
    segment(name, 64);
    semaphore(name);
    const both = await shmemJson(['info', '--json', name]);
    expect(both.code).toBe(0);
    expect(both.json.map((o: { kind: string; name: string }) => [o.kind, o.name])).toEqual([
      ['segment', name],
      ['semaphore', name],
    ]);
    const seg = await shmemJson(['info', '--json', '--segment', name]);
    expect(seg.json.map((o: { kind: string }) => o.kind)).toEqual(['segment']);
    const sem = await shmemJson(['info', '--json', '--semaphore', name]);
    expect(sem.json.map((o: { kind: string }) => o.kind)).toEqual(['semaphore']);
    const text = await shmem(['info', name]);
    expect(text.stdout).toMatch(new RegExp(`^segment ${name}\\n[^]*\\n\\nsemaphore ${name}\\n`));
  });

  test('a missing name: "shmem: no such segment or semaphore: NAME" on stderr, exit 1, nothing on stdout', async () => {
    const name = uniqueName('shm');
    const run = await shmem(['info', name]);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: `shmem: no such segment or semaphore: ${name}\n` });
    const json = await shmem(['info', '--json', name]);
    expect(json).toMatchObject({ code: 1, stdout: '[]\n', stderr: `shmem: no such segment or semaphore: ${name}\n` });
    expect(await shmem(['info', '--semaphore', name])).toMatchObject({ code: 1, stderr: `shmem: no such semaphore: ${name}\n` });
    expect(await shmem(['info', '--segment', name])).toMatchObject({ code: 1, stderr: `shmem: no such segment: ${name}\n` });
  });

  test('a semaphore is not a segment: `--segment NAME` of a semaphore is missing', async () => {
    const name = uniqueName('sem');
    semaphore(name);
    expect(await shmem(['info', '--segment', name])).toMatchObject({ code: 1, stdout: '', stderr: `shmem: no such segment: ${name}\n` });
  });

  test('several names, one missing: the others are shown, the missing one reported, exit 1', async () => {
    const a = uniqueName('shm');
    const b = uniqueName('sem');
    const missing = uniqueName('shm');
    segment(a, 10);
    semaphore(b);
    const run = await shmemJson(['info', '--json', a, missing, b]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`shmem: no such segment or semaphore: ${missing}\n`);
    expect(run.json.map((o: { kind: string; name: string }) => [o.kind, o.name])).toEqual([
      ['segment', a],
      ['semaphore', b],
    ]);
  });

  test('an invalid name (with "/", empty, too long) is rejected as the library rejects it, never looked up as a path', async () => {
    for (const name of ['../etc/passwd', '/etc/passwd', 'a/b', '', 'x'.repeat(256)]) {
      const run = await shmem(['info', '--', name]);
      expect({ name, code: run.code, stdout: run.stdout }).toEqual({ name, code: 1, stdout: '' });
      expect(run.stderr).toMatch(/^shmem: invalid name .*: (must not contain '\/'|must be a non-empty string|is too long: at most 255 bytes on linux)\n$/);
    }
  });

  test('an entry of /dev/shm that is not a file is not a segment: exit 1', async () => {
    const dir = `${uniqueName('shm')}_dir`;
    makeShmDir(dir);
    const run = await shmem(['info', dir]);
    expect(run).toMatchObject({ code: 1, stdout: '', stderr: `shmem: not a segment: ${dir} (/dev/shm/${dir} is a directory)\n` });
  });
});
