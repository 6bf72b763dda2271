// `shmem info NAME...`: one segment's or semaphore's size, mode, owner and times.
import { Command, complain, EXIT, parseOptions, print, UsageError } from '../command';
import { formatAge, jsonArray, shown, symbolicMode } from '../format';
import { addUsers, keyOf, kindsFrom, lookup, nameProblem, ObjectInfo, SHM_DIR } from '../objects';
import { commandLine, ProcessUse, Usage } from '../users';

const help = `Usage: shmem info [--segment | --semaphore] [--json] NAME...

Shows the size, mode, owner and times of the segment or semaphore NAME. Without
--segment or --semaphore both kinds are looked up, and every object found is
shown: a segment and a semaphore may share a name.

On Linux the object's file in ${SHM_DIR} is stat'ed, never opened (a semaphore
is the file sem.NAME), and the processes that have it mapped or open are
listed with their command lines (found in /proc/PID/maps and /proc/PID/fd by
the file's inode; processes this user may not inspect, other users' unless
run as root, are counted apart: they may use it too). On macOS and Windows
the object is opened and closed again: a segment's size is all the system
tells (macOS rounds it up to a page), and a semaphore is only shown to exist.

Options:
  --segment     look up segments only
  --semaphore   look up semaphores only
  --json        print one JSON array (also for one NAME) of objects shaped as
                those of 'shmem ls --json', with processes (pid, command,
                mapped, open); what the system does not tell is null
  -h, --help    show this help

Exit codes: 0 every NAME was found; 1 a NAME was not found (stderr: 'shmem: no
such segment or semaphore: NAME'; the other names are still shown), is not a
valid name (for example it contains '/'), or could not be looked up; 2 usage
error.`;

function platformName(): string {
  return process.platform === 'darwin' ? 'macOS' : process.platform === 'win32' ? 'Windows' : process.platform;
}

function when(iso: string | null, now: number): string {
  return iso === null ? '-' : `${iso} (${formatAge((now - Date.parse(iso)) / 1000)} ago)`;
}

type Described = ObjectInfo & { processes?: Array<ProcessUse & { command: string | null }> };

/** The processes that use `o` (Linux), with their command lines. */
function processesOf(o: ObjectInfo, usage: Usage | null): Described['processes'] {
  const key = keyOf(o);
  if (usage === null || key === null) return undefined;
  return (usage.users.get(key) ?? []).map((u) => ({ ...u, command: commandLine(u.pid) }));
}

function usedBy(o: Described, usage: Usage): string[] {
  const lines: string[] = [];
  const procs = o.processes ?? [];
  const width = Math.max(0, ...procs.map((p) => String(p.pid).length));
  procs.forEach((p, i) => {
    const how = [p.mapped ? 'mapped' : '', p.open ? 'open' : ''].filter(Boolean).join(', ');
    let cmd = p.command === null ? '(gone)' : shown(p.command).replace(/^"(.*)"$/s, '$1');
    if (cmd.length > 120) cmd = `${cmd.slice(0, 119)}…`;
    lines.push(`  ${(i === 0 ? 'used by' : '').padEnd(10)} ${String(p.pid).padStart(width)}  ${cmd}  (${how})`);
  });
  if (procs.length === 0) lines.push(`  ${'used by'.padEnd(10)} no process${usage.unknown.length > 0 || usage.hidden ? ' that could be inspected' : ''}`);
  if (usage.unknown.length > 0) {
    const n = usage.unknown.length;
    const hint = process.getuid?.() === 0 ? '' : '; run as root to see every process';
    lines.push(`  ${''.padEnd(10)} and maybe ${n === 1 ? '1 process' : `${n} processes`} that could not be inspected (pid ${usage.unknown.slice(0, 5).join(', ')}${n > 5 ? ', ...' : ''}${hint})`);
  }
  if (usage.hidden) lines.push(`  ${''.padEnd(10)} and maybe processes this user cannot see (${usage.hidden})`);
  return lines;
}

function describe(o: Described, now: number, usage: Usage | null): string {
  const lines = [`${o.kind} ${shown(o.name)}`];
  const field = (label: string, value: string) => lines.push(`  ${label.padEnd(10)} ${value}`);
  if (o.path !== null) field('path', o.path);
  if (o.size !== null) field('size', `${o.size} bytes${o.allocated !== null ? ` (${o.allocated} allocated)` : ''}`);
  if (o.channel) {
    const c = o.channel;
    field('capacity', `${c.capacity} bytes for messages`);
    field('waiting', `${c.bytesWaiting} bytes of messages not yet received${c.ended ? ' (ended: no more sends)' : ''}`);
  }
  if (o.mode !== null) field('mode', `${o.mode} (${symbolicMode(parseInt(o.mode, 8))})`);
  if (o.uid !== null) {
    const who = (id: number | null, name: string | null) => `${id}${name !== null ? ` (${name})` : ''}`;
    field('owner', `uid ${who(o.uid, o.user)}, gid ${who(o.gid, o.group)}`);
  }
  if (o.mtime === null) {
    lines.push(`  (${o.size === null ? 'size, ' : ''}mode, owner and times are not available on ${platformName()})`);
  } else {
    if (o.birthtime !== null) field('created', when(o.birthtime, now));
    field('modified', when(o.mtime, now));
    field('changed', when(o.ctime, now));
    field('accessed', when(o.atime, now));
  }
  if (usage !== null && o.processes !== undefined) lines.push(...usedBy(o, usage));
  return lines.join('\n');
}

export const command: Command = {
  usage: help.split('\n')[0],
  help,
  async run(args) {
    const { values, positionals } = parseOptions(
      args,
      { segment: { type: 'boolean' }, semaphore: { type: 'boolean' }, json: { type: 'boolean' } },
      true,
    );
    if (values.help) {
      await print(help);
      return EXIT.OK;
    }
    const kinds = kindsFrom(values);
    if (positionals.length === 0) throw new UsageError('missing NAME');

    let code: number = EXIT.OK;
    const found: ObjectInfo[] = [];
    for (const name of positionals) {
      // Only the kinds this name is valid for (a semaphore's name may be 4 bytes shorter on Linux).
      const valid = kinds.filter((k) => nameProblem(k, name) === undefined);
      if (valid.length === 0) {
        complain(`invalid name ${shown(name)}: ${nameProblem(kinds[0], name)}`);
        code = EXIT.FAILURE;
        continue;
      }
      let any = false;
      for (const kind of valid) {
        let info: ObjectInfo | null;
        try {
          info = await lookup(kind, name);
        } catch (err) {
          complain(`cannot look up ${kind} ${shown(name)}: ${(err as Error).message}`);
          code = EXIT.FAILURE;
          any = true;
          continue;
        }
        if (info === null) continue;
        any = true;
        if (info.kind === 'other') {
          complain(`not a ${kind}: ${shown(name)} (${shown(info.path ?? '')} is a ${info.type})`);
          code = EXIT.FAILURE;
          continue;
        }
        found.push(info);
      }
      if (!any) {
        complain(`no such ${kinds.join(' or ')}: ${shown(name)}`);
        code = EXIT.FAILURE;
      }
    }
    let usage: Usage | null = null;
    try {
      usage = addUsers(found);
    } catch (err) {
      complain(`cannot tell which processes use ${found.length === 1 ? 'it' : 'them'}: ${(err as Error).message}`);
      code = EXIT.FAILURE;
    }
    const described: Described[] = found.map((o) => ({ ...o, processes: processesOf(o, usage) }));
    const now = Date.now();
    await print(values.json ? jsonArray(described) : described.map((o) => describe(o, now, usage)).join('\n\n'));
    return code;
  },
};
