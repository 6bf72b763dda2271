// `shmem rm NAME...`: removes exactly the segments (or semaphores) named, through
// the library's unlink, so it works wherever the library does.
import { Command, complain, EXIT, parseOptions, print, UsageError } from '../command';
import { shown } from '../format';
import { IN_SHM_DIR, isMissing, Kind, kindsFrom, lookup, nameProblem, SHM_DIR } from '../objects';
import { Semaphore, SharedMemory } from '../../index';

const help = `Usage: shmem rm [--segment | --semaphore] [--force] [--verbose] NAME...

Removes the segments NAME... (with --semaphore, the semaphores NAME...) with
SharedMemory.unlink or Semaphore.unlink, as a program would. Processes that
have one open keep using it; its name is gone at once.

Exactly the names given are removed: nothing is globbed or matched. A name is
checked as the library checks it (one with '/' is refused), so rm can only
ever remove a segment or semaphore, never another file. On Linux an entry of
${SHM_DIR} that is not a regular file (a directory, a symlink) is not removed.
On Windows an object has no name to remove: it goes away when the last
process that has it open closes it, so rm only checks that it exists.

Options:
  --semaphore     the names are semaphores
  --segment       the names are segments (the default)
  -f, --force     ignore names that do not exist, as rm -f does
  -v, --verbose   print each object removed (on Windows: found)
  -h, --help      show this help

A name that starts with '-' goes after '--': shmem rm -- -name

Exit codes: 0 every NAME was removed (with --force: or did not exist); 1 a
NAME did not exist (stderr: 'shmem: no such segment: NAME'), is not a valid
name, or could not be removed (another user's: EPERM); the other names are
removed all the same; 2 usage error.`;

const other = (kind: Kind): Kind => (kind === 'segment' ? 'semaphore' : 'segment');

/** ' (there is a semaphore NAME: use --semaphore)' when the other kind exists. */
async function hint(kind: Kind, name: string): Promise<string> {
  const alt = other(kind);
  if (nameProblem(alt, name) !== undefined) return '';
  try {
    const info = await lookup(alt, name);
    return info && (info.kind === 'channel' ? 'segment' : info.kind) === alt ? ` (there is a ${alt} ${shown(name)}: use --${alt})` : '';
  } catch {
    return '';
  }
}

export const command: Command = {
  usage: help.split('\n')[0],
  help,
  async run(args) {
    const { values, positionals } = parseOptions(
      args,
      {
        segment: { type: 'boolean' },
        semaphore: { type: 'boolean' },
        force: { type: 'boolean', short: 'f' },
        verbose: { type: 'boolean', short: 'v' },
      },
      true,
    );
    if (values.help) {
      await print(help);
      return EXIT.OK;
    }
    const kinds = kindsFrom(values);
    // rm never guesses the kind: without a flag the names are segments.
    const kind: Kind = kinds.length === 1 ? kinds[0] : 'segment';
    if (positionals.length === 0) throw new UsageError('missing NAME');

    let code: number = EXIT.OK;
    let removedOnWindows = false;
    for (const name of positionals) {
      const problem = nameProblem(kind, name);
      if (problem !== undefined) {
        complain(`invalid ${kind} name ${shown(name)}: ${problem}; not removed`);
        code = EXIT.FAILURE;
        continue;
      }
      if (IN_SHM_DIR) {
        // unlink() would remove a directory entry of any type; only files are segments and semaphores.
        const info = await lookup(kind, name).catch(() => null);
        if (info?.kind === 'other') {
          complain(`not a ${kind}: ${shown(name)} (${shown(info.path ?? '')} is a ${info.type}); not removed`);
          code = EXIT.FAILURE;
          continue;
        }
      }
      try {
        if (kind === 'semaphore') Semaphore.unlink(name);
        else SharedMemory.unlink(name);
      } catch (err) {
        if (isMissing(err)) {
          if (values.force) continue;
          complain(`no such ${kind}: ${shown(name)}${await hint(kind, name)}`);
        } else {
          complain(`cannot remove ${kind} ${shown(name)}: ${(err as Error).message}`);
        }
        code = EXIT.FAILURE;
        continue;
      }
      if (process.platform === 'win32') removedOnWindows = true;
      // On Windows unlink() only found the object: it stays until its last handle closes.
      if (values.verbose) await print(process.platform === 'win32' ? `${kind} ${shown(name)} exists` : `removed ${kind} ${shown(name)}`);
    }
    if (removedOnWindows) {
      complain('note: Windows has no unlink; each object goes away when the last process that has it open closes it');
    }
    return code;
  },
};
