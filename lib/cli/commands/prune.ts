// `shmem prune`: removes the segments and semaphores that nobody uses any
// more (left behind by programs that were killed), and nothing else.
import { Command, complain, EXIT, parseOptions, print, UsageError } from '../command';
import { formatAge, jsonArray, shown } from '../format';
import { addUsers, IN_SHM_DIR, keyOf, listObjects, ObjectInfo, SHM_DIR } from '../objects';

const help = `Usage: shmem prune [--older-than DURATION] [--dry-run] [--json]

Removes the segments and semaphores (Linux: the files in ${SHM_DIR}) that no
process has mapped or open and that were last changed longer ago than
DURATION, and prints what it removed. A program killed with SIGKILL leaves
its names behind; this removes them, and never one that is still in use.

A name is removed only when its disuse is proven, twice:
  1. no process maps it or holds it open: every process's /proc/PID/maps and
     /proc/PID/fd are read, and the file is recognised by its inode (as
     'shmem ls' shows in PIDS);
  2. the kernel agrees: it grants a write lease on the file only while no
     other open file or mapping of it exists, in any process, also in those
     that step 1 cannot see (other pid namespaces) or inspect (other users'
     processes). While the lease is held, the name is removed.
Where the kernel cannot give that proof (it does not count files open only
for reading, before Linux 5.3; or the file is not yours and you are not
root), one process that could not be inspected is enough to keep a name.

Options:
  --older-than DURATION   only names last changed (modified or had their
                          status changed) longer ago than DURATION: a whole
                          number with a unit, 90s, 10m, 1h or 2d (default 1h;
                          0s: any age)
  --dry-run               print what would be removed, and remove nothing
  --json                  print one JSON object: olderThan (seconds), dryRun,
                          removed (objects shaped as those of 'shmem ls
                          --json'), kept (kind, name, reason, pids)
  -h, --help              show this help

Exit codes: 0 done (also when there was nothing to remove); 1 a name could
not be removed or checked; 2 usage error; 3 not supported here (macOS and
Windows offer no way to list named shared-memory objects).`;

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** '90s', '10m', '1h', '2d' as seconds; anything else is a usage error. */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new UsageError(`--older-than must be a whole number with a unit s, m, h or d (90s, 10m, 1h, 2d), got '${text}'`);
  return Number(m[1]) * UNITS[m[2]];
}

interface Kept {
  kind: string;
  name: string;
  reason: string;
  pids?: number[];
}

/** When the object was last changed: its mtime or ctime, whichever is later (ms). */
function lastChanged(o: ObjectInfo): number {
  return Math.max(Date.parse(o.mtime ?? ''), Date.parse(o.ctime ?? ''));
}

function describeRemoved(o: ObjectInfo, now: number, dryRun: boolean): string {
  const what = o.kind === 'semaphore' ? 'semaphore' : `${o.size} bytes`;
  return `${dryRun ? 'would remove' : 'removed'} ${o.kind} ${shown(o.name)} (${what}, last changed ${formatAge((now - lastChanged(o)) / 1000)} ago)`;
}

function summary(kept: Kept[]): string {
  const counts = new Map<string, number>();
  for (const k of kept) counts.set(k.reason, (counts.get(k.reason) ?? 0) + 1);
  return [...counts].map(([reason, n]) => `${n} ${reason}`).join(', ');
}

export const command: Command = {
  usage: help.split('\n')[0],
  help,
  async run(args) {
    const { values } = parseOptions(args, {
      'older-than': { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      await print(help);
      return EXIT.OK;
    }
    const durationText = values['older-than'] ?? '1h';
    const olderThan = parseDuration(durationText);
    const dryRun = values['dry-run'] === true;
    if (!IN_SHM_DIR) {
      const why =
        process.platform === 'darwin'
          ? 'macOS offers no way to list POSIX shared-memory segments or semaphores'
          : process.platform === 'win32'
            ? 'Windows offers no documented way to list named sections or semaphores (and removes one when its last handle closes)'
            : `named shared-memory objects cannot be listed on ${process.platform}`;
      complain(`prune is not supported here: ${why}.`);
      return EXIT.UNSUPPORTED;
    }
    // Loaded only here: the kernel's proof needs the native addon.
    const { native } = await import('../../binding');
    // Someone who opens a name while we hold its lease makes the kernel send
    // us SIGIO, whose default action would end this process mid-way.
    const onSigio = () => {};
    process.on('SIGIO', onSigio);
    try {
      let objects: ObjectInfo[];
      try {
        objects = listObjects(false).filter((o) => o.kind === 'segment' || o.kind === 'channel' || o.kind === 'semaphore');
      } catch (err) {
        complain(`cannot list ${SHM_DIR}: ${(err as Error).message}`);
        return EXIT.FAILURE;
      }
      const now = Date.now();
      const kept: Kept[] = [];
      const removed: ObjectInfo[] = [];
      let code: number = EXIT.OK;
      const old = objects.filter((o) => {
        if (now - lastChanged(o) > olderThan * 1000) return true;
        kept.push({ kind: o.kind, name: o.name, reason: `changed less than ${durationText} ago` });
        return false;
      });
      const usage = addUsers(old)!;
      const uninspected = usage.unknown.length > 0 || usage.hidden !== null;
      const kernelProof = native.leasesSeeReaders!(SHM_DIR);
      const root = process.getuid?.() === 0;
      for (const o of old) {
        if (o.pids!.length > 0) {
          kept.push({ kind: o.kind, name: o.name, reason: 'in use', pids: o.pids! });
          continue;
        }
        // Without the kernel's full proof, a process that could not be inspected may use it.
        const ownProof = kernelProof && (root || o.uid === process.getuid?.());
        if (uninspected && !ownProof) {
          kept.push({ kind: o.kind, name: o.name, reason: 'maybe in use by a process that could not be inspected' });
          continue;
        }
        const [major, minor] = keyOf(o)!.split(':').map(Number);
        let result: string;
        try {
          // Where leases are switched off, step 1 alone proves it, if it saw every process.
          result = native.unlinkIfUnused!(o.path!, major, minor, o.ino!, dryRun, !uninspected);
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          if (e.code === 'EACCES' || e.code === 'EPERM') {
            kept.push({ kind: o.kind, name: o.name, reason: `not removable by this user (owner uid ${o.uid})` });
          } else {
            complain(`cannot remove ${o.kind} ${shown(o.name)}: ${e.message}`);
            code = EXIT.FAILURE;
          }
          continue;
        }
        if (result === 'removed') removed.push(o);
        else if (result === 'in-use') kept.push({ kind: o.kind, name: o.name, reason: 'open or mapped by a process that could not be seen' });
        else kept.push({ kind: o.kind, name: o.name, reason: 'replaced or removed meanwhile' });
      }
      if (values.json) {
        await print(
          `{"olderThan":${olderThan},"dryRun":${dryRun},\n"removed":${jsonArray(removed)},\n"kept":${jsonArray(kept)}}`,
        );
      } else {
        const lines = removed.map((o) => describeRemoved(o, now, dryRun));
        const did = dryRun ? 'would remove' : 'removed';
        lines.push(
          `${did} ${removed.length} of ${objects.length}` + (kept.length > 0 ? `; kept ${kept.length}: ${summary(kept)}` : ''),
        );
        await print(lines.join('\n'));
      }
      return code;
    } finally {
      process.off('SIGIO', onSigio);
    }
  },
};
