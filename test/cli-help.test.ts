// Every command has a help text, `shmem --help` lists them all, and a bad
// command line prints a usage line on stderr and exits with 2.
import * as fs from 'node:fs';
import * as path from 'node:path';

import { shmem } from './cli-run';
import { PACKAGE_ROOT } from './helpers';

const COMMANDS = ['ls', 'info', 'rm', 'race', 'demo'];

describe('shmem --help', () => {
  for (const args of [['--help'], ['-h'], ['help'], []]) {
    test(`'shmem ${args.join(' ')}' lists every command and the exit codes on stdout, exit 0`, async () => {
      const run = await shmem(args);
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(/^Usage: shmem <command>/);
      for (const c of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
      expect(run.stdout).toMatch(/Exit codes: 0 success; 1 failure/);
      expect(run.stdout).toMatch(/2 usage error/);
      expect(run.stdout).toMatch(/3 not supported on this platform/);
    });
  }

  test('--version prints the version of package.json', async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    const run = await shmem(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

describe.each(COMMANDS)('shmem %s', (command) => {
  test('--help, -h and `shmem help <command>` print the same help on stdout, with the exit codes', async () => {
    const runs = await Promise.all([shmem([command, '--help']), shmem([command, '-h']), shmem(['help', command])]);
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).toMatch(new RegExp(`^Usage: shmem ${command}\\b`));
      expect(run.stdout).toMatch(/-h, --help/);
      expect(run.stdout).toMatch(/Exit codes: 0 /);
      expect(run.stdout).toBe(runs[0].stdout);
    }
  });

  test('an unknown option: message and usage on stderr, nothing on stdout, exit 2', async () => {
    const run = await shmem([command, '--no-such-option']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^shmem \w+: Unknown option '--no-such-option'/);
    expect(run.stderr).toMatch(new RegExp(`\\nUsage: shmem ${command}\\b`));
    expect(run.stderr).toMatch(new RegExp(`Run 'shmem ${command} --help'`));
  });
});

describe('usage errors', () => {
  test('an unknown command: usage on stderr, exit 2', async () => {
    const run = await shmem(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^shmem: unknown command 'frobnicate'\nUsage: shmem <command>/);
  });

  test('`shmem help` of an unknown command (also a name inherited from Object): exit 2', async () => {
    for (const name of ['frobnicate', 'toString', '__proto__']) {
      const run = await shmem(['help', name]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/unknown command/);
    }
  });

  test('ls takes no arguments; info and rm need a NAME; --segment and --semaphore exclude each other', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['ls', 'x'], /Unexpected argument 'x'/],
      [['info'], /missing NAME/],
      [['rm'], /missing NAME/],
      [['rm', '-f'], /missing NAME/],
      [['info', '--segment', '--semaphore', 'x'], /exclude each other/],
      [['rm', '--segment', '--semaphore', 'x'], /exclude each other/],
      [['race', '--procs', '0'], /--procs must be an integer >= 1/],
    ];
    for (const [args, message] of cases) {
      const run = await shmem(args);
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(new RegExp(`Usage: shmem ${args[0]}\\b`));
    }
  });
});
