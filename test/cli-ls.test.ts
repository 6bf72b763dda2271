// `shmem ls`: the segments and semaphores in /dev/shm (Linux), as a table or
// as JSON, sorted by name; `--all` adds dot-names and entries that are not files.
import * as fs from 'node:fs';
import * as os from 'node:os';

import { SharedMemory, Semaphore } from '..';
import { cleanupPaths, makeShmDir, shmem, shmemJson, unlinkLater } from './cli-run';
import { cleanupNames, uniqueName } from './helpers';
import { currentUmask } from './shm-helpers';

interface Entry {
  kind: string;
  name: string;
  type?: string;
  path: string;
  size: number;
  allocated: number;
  mode: string;
  uid: number;
  user: string | null;
  gid: number;
  group: string | null;
  age: number;
  mtime: string;
  ctime: string;
  atime: string;
  birthtime: string | null;
}

const open: Array<{ close(): void }> = [];

afterEach(() => {
  for (const o of open.splice(0)) o.close();
  cleanupNames();
  cleanupPaths();
});

function segment(name: string, size: number, mode?: number): SharedMemory {
  const shm = SharedMemory.create({ name, size, mode });
  open.push(shm);
  return shm;
}

function semaphore(name: string): Semaphore {
  const sem = Semaphore.create({ name });
  open.push(sem);
  return sem;
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');
const mine = (entries: Entry[], name: string) => entries.filter((e) => e.name === name);

const linux = process.platform === 'linux' ? describe : describe.skip;

linux('shmem ls --json', () => {
  test('one JSON array; a segment and a semaphore with kind, name, size, mode, owner and times as stat gives them', async () => {
    const seg = uniqueName('shm');
    const sem = uniqueName('sem');
    segment(seg, 1234, 0o640);
    semaphore(sem);
    const run = await shmemJson<Entry[]>(['ls', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(Array.isArray(run.json)).toBe(true);

    const [s] = mine(run.json, seg);
    const st = fs.lstatSync(`/dev/shm/${seg}`);
    expect(s).toMatchObject({
      kind: 'segment',
      name: seg,
      path: `/dev/shm/${seg}`,
      size: 1234,
      allocated: st.blocks * 512,
      mode: octal(0o640 & ~currentUmask()),
      uid: st.uid,
      gid: st.gid,
      mtime: st.mtime.toISOString(),
      ctime: st.ctime.toISOString(),
      atime: st.atime.toISOString(),
    });
    expect(s.mode).toBe(octal(st.mode));
    expect(s.uid).toBe(process.getuid!());
    expect(s.user).toBe(os.userInfo().username);
    expect(Number.isInteger(s.age) && s.age >= 0).toBe(true);
    expect(s.birthtime === null || s.birthtime === st.birthtime.toISOString()).toBe(true);
    expect(s.type).toBeUndefined();

    // The semaphore: the file sem.<name>, listed without the prefix.
    const [m] = mine(run.json, sem);
    const mst = fs.lstatSync(`/dev/shm/sem.${sem}`);
    expect(m).toMatchObject({ kind: 'semaphore', name: sem, path: `/dev/shm/sem.${sem}`, size: mst.size, mode: octal(mst.mode), uid: mst.uid });
    expect(run.json.some((e) => e.name === `sem.${sem}`)).toBe(false);
  });

  test('sorted by name; a segment and a semaphore of the same name are both listed, the segment first', async () => {
    const base = uniqueName('shm');
    unlinkLater('sem', base);
    const names = [`${base}_b`, `${base}_a`, `${base}_c`].map((n) => unlinkLater('shm', n));
    for (const n of names) segment(n, 1);
    semaphore(base);
    segment(base, 8);
    const { json } = await shmemJson<Entry[]>(['ls', '--json']);
    const all = json.map((e) => e.name);
    expect(all).toEqual([...all].sort((a, b) => (a === b ? 0 : a < b ? -1 : 1)));
    expect(json.filter((e) => e.name.startsWith(base)).map((e) => [e.kind, e.name])).toEqual([
      ['segment', base],
      ['semaphore', base],
      ['segment', `${base}_a`],
      ['segment', `${base}_b`],
      ['segment', `${base}_c`],
    ]);
  });

  test('names starting with "." and directories are left out unless --all; --all shows a directory as kind "other"', async () => {
    const base = uniqueName('shm');
    const dot = unlinkLater('shm', `.${base}`);
    segment(dot, 16);
    makeShmDir(`${base}_dir`);
    const plain = await shmemJson<Entry[]>(['ls', '--json']);
    expect(plain.json.filter((e) => e.name.includes(base))).toEqual([]);

    const all = await shmemJson<Entry[]>(['ls', '--json', '--all']);
    expect(all.code).toBe(0);
    expect(mine(all.json, dot)).toEqual([expect.objectContaining({ kind: 'segment', size: 16 })]);
    expect(mine(all.json, `${base}_dir`)).toEqual([expect.objectContaining({ kind: 'other', type: 'directory', path: `/dev/shm/${base}_dir` })]);
  });

  test('the output is one JSON array with one object per line (`[]` when empty)', async () => {
    // /dev/shm is shared with other tests, so only the shape of the output is checked here.
    const run = await shmem(['ls', '--json']);
    expect(run.code).toBe(0);
    expect(run.stdout.endsWith('\n')).toBe(true);
    const json = JSON.parse(run.stdout);
    if (json.length === 0) expect(run.stdout).toBe('[]\n');
    else expect(run.stdout.trim().split('\n')).toHaveLength(json.length + 2); // '[', one line per object, ']'
  });
});

linux('shmem ls (table)', () => {
  test('a header, then KIND SIZE MODE UID USER AGE PIDS NAME per object', async () => {
    const seg = uniqueName('shm');
    const sem = uniqueName('sem');
    segment(seg, 4096, 0o600);
    semaphore(sem);
    const run = await shmem(['ls']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0].split(/\s+/)).toEqual(['KIND', 'SIZE', 'MODE', 'UID', 'USER', 'AGE', 'PIDS', 'NAME']);
    const row = (name: string) => lines.find((l) => l.endsWith(`  ${name}`))?.trim().split(/\s+/);
    const uid = String(process.getuid!());
    // This process maps both (and maybe processes that could not be inspected: ',?').
    const pids = expect.stringMatching(new RegExp(`^${process.pid}(,\\?)?$`));
    expect(row(seg)).toEqual(['segment', '4096', octal(0o600 & ~currentUmask()), uid, os.userInfo().username, expect.stringMatching(/^\d+[smhd]/), pids, seg]);
    expect(row(sem)).toEqual(['semaphore', expect.stringMatching(/^\d+$/), octal(0o600 & ~currentUmask()), uid, os.userInfo().username, expect.stringMatching(/^\d+[smhd]/), pids, sem]);
    // Columns line up: every NAME starts where the header's does.
    const at = lines[0].indexOf('NAME');
    for (const name of [seg, sem]) expect(lines.find((l) => l.endsWith(`  ${name}`))!.indexOf(name)).toBe(at);
  });

  test('a name with a space or a newline is printed as a JSON string and cannot break a line', async () => {
    const base = uniqueName('shm');
    const odd = unlinkLater('shm', `${base} x\ny`);
    segment(odd, 1);
    const run = await shmem(['ls']);
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l.includes(base))).toEqual([expect.stringMatching(/^segment .*  "\S+ x\\ny"$/)]);
    const { json } = await shmemJson<Entry[]>(['ls', '--json']);
    expect(mine(json, odd)).toHaveLength(1);
  });

  test('--all names the type of an entry that is not a file in the KIND column', async () => {
    const dir = `${uniqueName('shm')}_dir`;
    makeShmDir(dir);
    const plain = await shmem(['ls']);
    expect(plain.stdout).not.toContain(dir);
    const all = await shmem(['ls', '--all']);
    expect(all.stdout.split('\n').find((l) => l.endsWith(`  ${dir}`))).toMatch(/^directory\s/);
  });

  test('a reader that goes away early (`shmem ls | head -0`) is not an error: exit 0, nothing on stderr', async () => {
    segment(uniqueName('shm'), 1); // something to print
    const run = await shmem(['ls', '--json'], { closeStdout: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
  });
});
