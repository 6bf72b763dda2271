// `shmem ls`: the segments and semaphores on this machine (Linux: /dev/shm).
import { Command, EXIT, parseOptions, print, complain } from '../command';
import { formatAge, jsonArray, shown, table } from '../format';
import { addUsers, IN_SHM_DIR, listObjects, ObjectInfo, SHM_DIR } from '../objects';

const help = `Usage: shmem ls [--json] [--all]

Lists the named shared-memory segments and semaphores on this machine, of
every user, sorted by name: on Linux these are the files in ${SHM_DIR}
(a semaphore is the file sem.NAME; everything else is a segment, shown as a
channel if it holds one).

Columns: KIND (segment, channel or semaphore), SIZE in bytes (a semaphore is a 32-byte
file), MODE (octal), UID and USER (the owner; '-' if /etc/passwd does not
name it), AGE (since creation: 45s, 5m3s, 2h15m, 3d4h), PIDS and NAME. Names
with spaces or control characters are printed as JSON strings. Nothing is
printed when there is nothing to list.

PIDS are the processes that have the object mapped or open, found in every
process's /proc/PID/maps and /proc/PID/fd by the file's inode (at most three
are shown, then +N for the rest; '-' for none). A trailing '?' (or '?'
alone) says that some processes could not be inspected (other users', unless
run as root): they may use it too. 'shmem info NAME' shows them with their
command lines; 'shmem prune' removes what no process uses.

Options:
  --all        also names that start with '.' and entries that are not files
               (directories, symlinks, ...: KIND shows what they are)
  --json       print one JSON array, one object per line: kind, name, path,
               size, allocated, mode ("0600"), uid, user, gid, group, age
               (seconds), mtime, ctime, atime, birthtime (ISO 8601, UTC; null
               if unknown), dev ("major:minor"), ino, pids (the processes that
               map it or hold it open), unknownProcesses (how many could not
               be inspected); for a channel, channel: { capacity,
               bytesWaiting, ended }; with --all, kind "other" and a type
  -h, --help   show this help

Exit codes: 0 listed; 1 ${SHM_DIR} could not be read; 2 usage error;
3 not supported here: macOS offers no way, and Windows no documented way, to
list named shared-memory objects (use 'shmem info NAME' there).`;

/** The PIDS column: up to three pids, +N for more, '?' for processes that could not be inspected. */
export function formatPids(o: ObjectInfo): string {
  if (o.pids === null) return '?';
  const shown = o.pids.slice(0, 3).join(',') + (o.pids.length > 3 ? `+${o.pids.length - 3}` : '');
  if (!o.unknownProcesses) return shown || '-';
  return shown ? `${shown},?` : '?';
}

function textTable(objects: ObjectInfo[]): string {
  if (objects.length === 0) return '';
  const rows = objects.map((o) => [
    o.kind === 'other' ? (o.type ?? 'other') : o.kind,
    String(o.size ?? '-'),
    o.mode ?? '-',
    String(o.uid ?? '-'),
    o.user ?? '-',
    o.age === null ? '-' : formatAge(o.age),
    formatPids(o),
    shown(o.name),
  ]);
  return table(['KIND', 'SIZE', 'MODE', 'UID', 'USER', 'AGE', 'PIDS', 'NAME'], rows, new Set([1, 3, 5]));
}

export const command: Command = {
  usage: help.split('\n')[0],
  help,
  async run(args) {
    const { values } = parseOptions(args, { json: { type: 'boolean' }, all: { type: 'boolean' } });
    if (values.help) {
      await print(help);
      return EXIT.OK;
    }
    if (!IN_SHM_DIR) {
      const why =
        process.platform === 'darwin'
          ? 'macOS offers no way to list POSIX shared-memory segments or semaphores'
          : process.platform === 'win32'
            ? 'Windows offers no documented way to list named sections or semaphores'
            : `named shared-memory objects cannot be listed on ${process.platform}`;
      complain(`ls is not supported here: ${why}. 'shmem info NAME' shows one whose name you know.`);
      return EXIT.UNSUPPORTED;
    }
    let objects: ObjectInfo[];
    try {
      objects = listObjects(values.all === true);
      addUsers(objects);
    } catch (err) {
      complain(`cannot list ${SHM_DIR}: ${(err as Error).message}`);
      return EXIT.FAILURE;
    }
    await print(values.json ? jsonArray(objects) : textTable(objects));
    return EXIT.OK;
  },
};
