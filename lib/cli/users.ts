// Which processes use a segment or semaphore (Linux): the kernel shows every
// process's mappings (/proc/<pid>/maps) and open files (/proc/<pid>/fd), and
// an object is recognised in them by its device and inode number, not by its
// path: glibc creates a semaphore under a temporary name that it then links
// to sem.NAME, so its creator maps a file whose path is long gone.
//
// A process whose files this user may not read (another user's, unless run
// as root) is counted as "unknown": it may use any object, never "none".
import * as fs from 'node:fs';

/** A process that maps or holds open at least one of the objects asked about. */
export interface ProcessUse {
  pid: number;
  /** Mapped into its memory (a segment's buffer, a semaphore). */
  mapped: boolean;
  /** Held open by a file descriptor. */
  open: boolean;
}

export interface Usage {
  /** For each object's key (objectKey), the processes that use it, by pid. */
  users: Map<string, ProcessUse[]>;
  /** Processes whose maps or open files could not be read: they may use anything. */
  unknown: number[];
  /**
   * Why processes may exist that the scan cannot even see: /proc mounted with
   * hidepid (other users' processes are hidden), or null.
   */
  hidden: string | null;
}

/** The key of a file: its device and inode, as the kernel shows them in /proc/<pid>/maps. */
export function objectKey(dev: bigint, ino: bigint): string {
  // Linux's dev_t: major in bits 8-19 and 32-63, minor in bits 0-7 and 20-31.
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return `${major}:${minor}:${ino}`;
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** Is /proc mounted with hidepid, hiding other users' processes from this one? */
function hiddenProcesses(): string | null {
  if (process.getuid?.() === 0) return null; // root sees every process
  let mounts: string;
  try {
    mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return null;
  }
  for (const line of mounts.split('\n')) {
    // "... <mount point> <options> ... - <fs type> <source> <super options>"
    const [left, right] = line.split(' - ');
    if (!right || left.split(' ')[4] !== '/proc') continue;
    const m = /(?:^|,)hidepid=([^,\s]+)/.exec(right.split(' ')[2] ?? '');
    if (m && m[1] !== '0' && m[1] !== 'off') return `/proc is mounted with hidepid=${m[1]}: other users' processes are hidden`;
  }
  return null;
}

/**
 * Scans every process for the objects whose keys are in `keys`. Processes
 * that end during the scan are left out.
 */
export function scanUsers(keys: ReadonlySet<string>): Usage {
  const users = new Map<string, ProcessUse[]>();
  const unknown: number[] = [];
  const use = (key: string, pid: number, how: 'mapped' | 'open') => {
    let list = users.get(key);
    if (!list) users.set(key, (list = []));
    let entry = list.find((u) => u.pid === pid);
    if (!entry) list.push((entry = { pid, mapped: false, open: false }));
    entry[how] = true;
  };
  if (keys.size === 0) return { users, unknown, hidden: hiddenProcesses() };
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^[1-9][0-9]*$/.test(entry)) continue;
    const pid = Number(entry);
    let maps: string;
    let fds: string[];
    try {
      maps = fs.readFileSync(`/proc/${pid}/maps`, 'latin1');
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch (err) {
      if (!isGone(err)) unknown.push(pid); // EACCES: another user's process
      continue;
    }
    // "address perms offset dev inode path": dev is "major:minor" in hex.
    for (const line of maps.split('\n')) {
      const f = line.split(/\s+/, 6);
      if (f.length < 5 || f[4] === '0') continue;
      const [major, minor] = f[3].split(':');
      const key = `${BigInt(`0x${major}`)}:${BigInt(`0x${minor}`)}:${f[4]}`;
      if (keys.has(key)) use(key, pid, 'mapped');
    }
    for (const fd of fds) {
      let st: fs.BigIntStats | undefined;
      try {
        st = fs.statSync(`/proc/${pid}/fd/${fd}`, { bigint: true, throwIfNoEntry: false });
      } catch (err) {
        if (!isGone(err)) unknown.push(pid);
        break;
      }
      if (!st || !st.isFile()) continue;
      const key = objectKey(st.dev, st.ino);
      if (keys.has(key)) use(key, pid, 'open');
    }
  }
  for (const list of users.values()) list.sort((a, b) => a.pid - b.pid);
  return { users, unknown: [...new Set(unknown)].sort((a, b) => a - b), hidden: hiddenProcesses() };
}

/** A process's command line, as `ps -o args` shows it; its name in brackets if it has none (a kernel thread). */
export function commandLine(pid: number): string | null {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const args = raw.replace(/\0+$/, '').split('\0');
    if (args.length > 1 || args[0] !== '') return args.join(' ');
    return `[${fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()}]`;
  } catch {
    return null;
  }
}
