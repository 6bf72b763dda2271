// What every `shmem` command shares: its shape, the exit codes, and option
// parsing that turns util.parseArgs' errors into usage errors.
import { parseArgs } from 'node:util';

/** Exit codes of every command (`shmem --help` lists them). */
export const EXIT = {
  OK: 0,
  /** Something asked for failed: a name not found, an invalid name, a system error. */
  FAILURE: 1,
  /** Bad command line: unknown command or option, a missing argument. */
  USAGE: 2,
  /** The command cannot work on this platform (`ls` on macOS and Windows). */
  UNSUPPORTED: 3,
} as const;

export interface Command {
  /** The first line of the help text, `Usage: shmem <name> ...`: shown with usage errors. */
  usage: string;
  /** The whole `--help` text. */
  help: string;
  /** Runs the command with the arguments after its name; resolves with the exit code. */
  run(args: string[]): Promise<number>;
}

/** A bad command line: exit code 2, message and usage on stderr. */
export class UsageError extends Error {}

type Options = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** The parsed values: strings for string options, booleans for flags. */
export type OptionValues<O extends Options> = { [K in keyof O]?: O[K]['type'] extends 'string' ? string : boolean } & {
  help?: boolean;
};

/**
 * util.parseArgs, strict, with `-h`/`--help` added. Its errors (unknown option,
 * unexpected argument, missing value) become UsageErrors.
 */
export function parseOptions<O extends Options>(
  args: string[],
  options: O,
  allowPositionals = false,
): { values: OptionValues<O>; positionals: string[] } {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message);
    throw err;
  }
}

/** An integer option >= min; `fallback` when absent. */
export function positiveInt(value: string | undefined, flag: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
}

/** A number option >= 0; `fallback` when absent. */
export function nonNegative(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number >= 0, got '${value}'`);
  return n;
}

/** Writes `text` to stdout; resolves once it is handed to the OS, so that exit codes never cut output short. */
export function print(text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((resolve) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`, () => resolve()));
}

/** An error line on stderr, `shmem: <message>`. */
export function complain(message: string): void {
  process.stderr.write(`shmem: ${message}\n`);
}
