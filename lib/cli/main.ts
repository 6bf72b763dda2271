#!/usr/bin/env node
// `shmem` command line: finds the command and maps its outcome to an exit code.
// Each command lives in lib/cli/commands/<name>.ts and is loaded only when run, so that
// `shmem --help` and `shmem ls` (on Linux) work even without the native addon.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isatty } from 'node:tty';

import { Command, complain, EXIT, print, UsageError } from './command';
import { interruptedCode } from './interrupt';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ command: Command }> }> = {
  ls: { summary: 'List the shared-memory segments and semaphores on this machine (Linux)', load: () => import('./commands/ls') },
  info: { summary: 'Show the size, mode, owner and times of a segment or semaphore', load: () => import('./commands/info') },
  rm: { summary: 'Remove segments or semaphores by name', load: () => import('./commands/rm') },
  prune: { summary: 'Remove the segments and semaphores that no process uses (Linux)', load: () => import('./commands/prune') },
  race: { summary: 'Processes attach to a shared segment by name and race to increment a counter', load: () => import('./commands/race') },
  demo: { summary: 'The race without a lock, with a Semaphore, a Mutex and Atomics, side by side', load: () => import('./commands/demo') },
};

const HELP = `Usage: shmem <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(6)}  ${c.summary}`)
  .join('\n')}
  help    'shmem help <command>' shows the help of a command

Options:
  -h, --help      show this help ('shmem <command> --help': a command's options)
  -V, --version   print the version

Exit codes: 0 success; 1 failure (for example a name that does not exist);
2 usage error (unknown command or option); 3 not supported on this platform
('shmem ls' and 'shmem prune' on macOS and Windows); 128 + N a race or demo
interrupted by signal N: 129 SIGHUP (terminal closed), 130 SIGINT (Ctrl-C),
131 SIGQUIT, 143 SIGTERM.`;

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case '-h':
    case '--help':
      await print(HELP);
      return EXIT.OK;
    case '-V':
    case '--version':
      await print(version());
      return EXIT.OK;
    case 'help': {
      if (rest.length === 0) {
        await print(HELP);
        return EXIT.OK;
      }
      const entry = Object.hasOwn(COMMANDS, rest[0]) ? COMMANDS[rest[0]] : undefined;
      if (!entry || rest.length > 1) throw new UsageError(rest.length > 1 ? 'help takes one command' : `unknown command '${rest[0]}'`);
      await print((await entry.load()).command.help);
      return EXIT.OK;
    }
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) throw new UsageError(`unknown command '${name}'`);
  const { command } = await entry.load();
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`shmem ${name}: ${err.message}\n${command.usage}\nRun 'shmem ${name} --help' for more.\n`);
      return EXIT.USAGE;
    }
    throw err;
  }
}

// A reader that goes away (`shmem ls | head -1`), or a terminal that was
// closed (EIO after SIGHUP), is not an error: the rest of the output is
// dropped, and a running race still removes what it created.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  });
}

// Node restores a terminal's settings at exit and, before v24 (nodejs/node#58200),
// aborts when it cannot: after SIGHUP the terminal is gone (EIO). Letting go of
// the descriptors that were a terminal makes Node skip them, so that a race
// stopped by a closed terminal window still exits with 129.
const onTerminal = [0, 1, 2].filter((fd) => isatty(fd));
function releaseTerminal(): void {
  for (const fd of onTerminal) {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    if (code === interruptedCode('SIGHUP')) releaseTerminal();
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`shmem: ${err.message}\n${HELP.split('\n')[0]}\nRun 'shmem --help' for the commands.\n`);
      process.exitCode = EXIT.USAGE;
    } else {
      complain(err instanceof Error ? err.message : String(err));
      process.exitCode = EXIT.FAILURE;
    }
  },
);
