// The named segments and semaphores on this machine, as `shmem ls`, `info` and
// `rm` see them. On Linux they are files in /dev/shm (glibc names a semaphore's
// file `sem.<name>`), so they can be listed and stat'ed without opening them.
// macOS and Windows offer no way to list them; there an object is found by
// opening it through the library.
import * as fs from 'node:fs';

import { ChannelSummary, HEADER_BYTES, readChannelHeader } from '../channel-layout';
import { UsageError } from './command';
import { octalMode } from './format';
import { groupName, userName } from './owners';
import { objectKey, scanUsers, Usage } from './users';
import { isSystemError } from '../errors';
import { NAME_MAX_BYTES, SEM_NAME_MAX_BYTES, validateName } from '../validators';

export type Kind = 'segment' | 'semaphore';
export const KINDS: readonly Kind[] = ['segment', 'semaphore'];

export const SHM_DIR = '/dev/shm';
const SEM_PREFIX = 'sem.';

/** True where the objects are files in /dev/shm (Linux): they can be listed and stat'ed. */
export const IN_SHM_DIR = process.platform === 'linux';

/** One object, in the shape `ls --json` and `info --json` print. Null: not known on this platform. */
export interface ObjectInfo {
  /**
   * 'channel': a segment that holds a Channel (it is a segment for `rm`,
   * `info --segment` and `prune`). 'other' only in `ls --all`: an entry of
   * /dev/shm that is not a regular file.
   */
  kind: Kind | 'channel' | 'other';
  /** For a channel: its capacity, the bytes waiting in it, and whether it has ended. */
  channel?: ChannelSummary;
  /** The name to give SharedMemory.open / Semaphore.open (no `sem.` prefix). */
  name: string;
  /** For kind 'other': 'directory', 'symlink', 'fifo', 'socket', 'block device', 'character device'. */
  type?: string;
  /** The file in /dev/shm. */
  path: string | null;
  /** Size in bytes (a Linux semaphore is a 32-byte file). Null for a semaphore off Linux. */
  size: number | null;
  /** Bytes of memory actually allocated (a segment that was only truncated to size may have fewer). */
  allocated: number | null;
  /** Permission bits, four octal digits: '0600'. */
  mode: string | null;
  uid: number | null;
  /** The owner's name, if /etc/passwd lists the uid. */
  user: string | null;
  gid: number | null;
  group: string | null;
  /** Seconds since the object was created: its birth time where the kernel records one, else its mtime. */
  age: number | null;
  /** ISO 8601 (UTC). */
  mtime: string | null;
  ctime: string | null;
  atime: string | null;
  /** Null where the file system records no birth time. */
  birthtime: string | null;
  /** The file's device ("major:minor") and inode number: how processes' maps name it. */
  dev: string | null;
  ino: number | null;
  /**
   * The processes that map it or hold it open (Linux: from /proc), sorted;
   * null where that is not known. See `unknownProcesses`.
   */
  pids: number[] | null;
  /**
   * How many processes could not be inspected (another user's, without
   * root): they may use it too. Null where processes are not scanned.
   */
  unknownProcesses: number | null;
}

/** The kinds that --segment / --semaphore ask for (both when neither is given). */
export function kindsFrom(values: { segment?: boolean; semaphore?: boolean }): Kind[] {
  if (values.segment && values.semaphore) throw new UsageError('--segment and --semaphore exclude each other');
  return values.segment ? ['segment'] : values.semaphore ? ['semaphore'] : [...KINDS];
}

/** The file in /dev/shm that holds the object. */
export function shmPath(kind: Kind, name: string): string {
  return `${SHM_DIR}/${kind === 'semaphore' ? SEM_PREFIX : ''}${name}`;
}

/** What a /dev/shm file name holds: `sem.<name>` is a semaphore, anything else a segment. */
export function classify(file: string): { kind: Kind; name: string } {
  return file.startsWith(SEM_PREFIX) && file.length > SEM_PREFIX.length
    ? { kind: 'semaphore', name: file.slice(SEM_PREFIX.length) }
    : { kind: 'segment', name: file };
}

/**
 * Why the library would reject `name` for this kind (the same check, so a
 * name with '/' never reaches the system), or undefined if it is valid.
 */
export function nameProblem(kind: Kind, name: string): string | undefined {
  try {
    validateName(name, 'name', kind === 'semaphore' ? SEM_NAME_MAX_BYTES : NAME_MAX_BYTES);
    return undefined;
  } catch (err) {
    // "The argument 'name' must not contain '/'. Received 'a/b'" -> "must not contain '/'"
    const m = /^The argument '[^']*' (.*?)\. Received /s.exec((err as Error).message);
    return m ? m[1] : (err as Error).message;
  }
}

function fileType(st: fs.BigIntStats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isBlockDevice()) return 'block device';
  if (st.isCharacterDevice()) return 'character device';
  return 'unknown';
}

/** A time in ns as a Date rounded to the millisecond, as fs.statSync's (number) Stats make it. */
function dateOf(ns: bigint): Date {
  return new Date(Number(ns / 1_000_000n) + Math.round(Number(ns % 1_000_000n) / 1e6));
}

function describe(file: string, st: fs.BigIntStats, now: number): ObjectInfo {
  const regular = st.isFile();
  const { kind, name } = regular ? classify(file) : { kind: 'other' as const, name: file };
  const born = st.birthtimeNs > 0n ? st.birthtimeNs : st.mtimeNs;
  const key = objectKey(st.dev, st.ino);
  return {
    kind,
    name,
    ...(regular ? {} : { type: fileType(st) }),
    path: `${SHM_DIR}/${file}`,
    size: Number(st.size),
    allocated: Number(st.blocks) * 512,
    mode: octalMode(Number(st.mode)),
    uid: Number(st.uid),
    user: userName(Number(st.uid)),
    gid: Number(st.gid),
    group: groupName(Number(st.gid)),
    age: Math.max(0, Math.floor((now - dateOf(born).getTime()) / 1000)),
    mtime: dateOf(st.mtimeNs).toISOString(),
    ctime: dateOf(st.ctimeNs).toISOString(),
    atime: dateOf(st.atimeNs).toISOString(),
    birthtime: st.birthtimeNs > 0n ? dateOf(st.birthtimeNs).toISOString() : null,
    dev: key.slice(0, key.lastIndexOf(':')),
    ino: Number(st.ino),
    pids: null,
    unknownProcesses: null,
  };
}

/** The key that scanUsers() knows the object by, or null off Linux. */
export function keyOf(o: ObjectInfo): string | null {
  return o.dev === null || o.ino === null ? null : `${o.dev}:${o.ino}`;
}

/**
 * Fills in `pids` and `unknownProcesses` of the objects (Linux: a scan of
 * /proc, users.ts) and returns the scan, for callers that want more.
 */
export function addUsers(objects: ObjectInfo[]): Usage | null {
  if (!IN_SHM_DIR) return null;
  const keys = new Set(objects.map(keyOf).filter((k): k is string => k !== null));
  const usage = scanUsers(keys);
  for (const o of objects) {
    const key = keyOf(o);
    if (key === null) continue;
    o.pids = (usage.users.get(key) ?? []).map((u) => u.pid);
    o.unknownProcesses = usage.unknown.length;
  }
  return usage;
}

function byName(a: ObjectInfo, b: ObjectInfo): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const order = ['segment', 'channel', 'semaphore', 'other'];
  return order.indexOf(a.kind) - order.indexOf(b.kind);
}

/**
 * Makes `info` a 'channel' if the file starts with a channel's header. A file
 * this user may not read stays a segment.
 */
export function markChannel(info: ObjectInfo, file: string | Buffer): void {
  if (info.size === null || info.size < HEADER_BYTES) return;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOATIME);
  } catch {
    try {
      fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    } catch {
      return;
    }
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    if (fs.readSync(fd, header, 0, HEADER_BYTES, 0) !== HEADER_BYTES) return;
    const channel = readChannelHeader(header);
    if (channel) Object.assign(info, { kind: 'channel', channel });
  } catch {
    // unreadable: a segment
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Every entry of /dev/shm (Linux only), sorted by name. Unless `all`, only
 * segments and semaphores whose names do not start with '.'. Entries that
 * vanish while being listed are left out.
 */
export function listObjects(all: boolean): ObjectInfo[] {
  const now = Date.now();
  const out: ObjectInfo[] = [];
  // Buffers: a name that is not valid UTF-8 is still stat'ed by its real bytes.
  for (const raw of fs.readdirSync(SHM_DIR, { encoding: 'buffer' })) {
    const st = fs.lstatSync(Buffer.concat([Buffer.from(`${SHM_DIR}/`), raw]), { bigint: true, throwIfNoEntry: false });
    if (!st) continue;
    const info = describe(raw.toString('utf8'), st, now);
    if (info.kind === 'segment') markChannel(info, Buffer.concat([Buffer.from(`${SHM_DIR}/`), raw]));
    if (all || (info.kind !== 'other' && !info.name.startsWith('.'))) out.push(info);
  }
  return out.sort(byName);
}

function unknownInfo(kind: Kind, name: string, size: number | null): ObjectInfo {
  return {
    kind, name, path: null, size, allocated: null, mode: null, uid: null, user: null, gid: null, group: null,
    age: null, mtime: null, ctime: null, atime: null, birthtime: null, dev: null, ino: null, pids: null,
    unknownProcesses: null,
  };
}

/**
 * The object of this kind and name, or null if there is none. On Linux it is
 * stat'ed in /dev/shm (kind 'other' if that entry is not a regular file);
 * elsewhere it is opened and closed again, which gives a segment's size only.
 * The name must be valid (nameProblem).
 */
export async function lookup(kind: Kind, name: string): Promise<ObjectInfo | null> {
  if (IN_SHM_DIR) {
    const file = shmPath(kind, name).slice(SHM_DIR.length + 1);
    const st = fs.lstatSync(`${SHM_DIR}/${file}`, { bigint: true, throwIfNoEntry: false });
    if (!st) return null;
    const info = describe(file, st, Date.now());
    if (info.kind === 'segment') markChannel(info, `${SHM_DIR}/${file}`);
    return info;
  }
  // Loaded here only: listing and stat'ing on Linux need no native addon.
  const { SharedMemory, Semaphore } = await import('../index');
  try {
    if (kind === 'semaphore') {
      Semaphore.open(name).close();
      return unknownInfo(kind, name, null);
    }
    const shm = SharedMemory.open(name);
    const size = shm.size;
    const channel = readChannelHeader(shm.buffer.subarray(0, HEADER_BYTES));
    shm.close();
    const info = unknownInfo(kind, name, size);
    if (channel) Object.assign(info, { kind: 'channel', channel });
    return info;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/**
 * True if `err` says there is no object of the kind asked for (ENOENT; also on
 * Windows for a name that an object of the other kind holds).
 */
export function isMissing(err: unknown): boolean {
  return isSystemError(err, 'ENOENT');
}
