#!/usr/bin/env node
// `shmem` command line: `race` (the seed's experiment) and `demo`.
import { parseArgs } from 'node:util';

import { runDemo } from './demo';
import { runRace, RaceResult } from './race';
import { LOCK_KINDS, LockKind, Width } from './race-layout';

const HELP: Record<string, string> = {
  main: `Usage: shmem <command> [options]

Commands:
  race    Processes attach to a shared segment by name and race to increment a counter
  demo    The race without a lock, with a Semaphore, a Mutex and Atomics, side by side

Run 'shmem <command> --help' for the options of a command.`,
  race: `Usage: shmem race [options]

The parent creates a shared-memory segment and a semaphore, forks --procs
children that attach by name and increment a counter --iterations times each,
then prints the result and removes what it created (also on Ctrl-C or when a
child crashes).

Options:
  --procs N          processes that race (default 2)
  --iterations K     increments per process (default 1000)
  --sleep MS         sleep before every increment, as the seed's 5 ms (default 0)
  --lock KIND        semaphore | mutex | none | atomic (default semaphore)
  --width 1|8        1-byte counter that wraps at 256, or 8-byte little-endian (default 8)
  --json             print one JSON object instead of text
  -h, --help         show this help

Examples (the seed's two listings):
  shmem race --width 1 --iterations 127 --sleep 5     # 255
  shmem race --width 8 --iterations 1000 --sleep 5    # 2001`,
  demo: `Usage: shmem demo [options]

Runs the race four times (no lock, Semaphore, Mutex, Atomics) with the same
processes and iterations and shows the counts and the throughput.

Options:
  --procs N          processes that race (default 2)
  --iterations K     increments per process (default 1000000)
  -h, --help         show this help`,
};

class UsageError extends Error {}

function positiveInt(value: string | undefined, flag: string, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer >= ${min}, got '${value}'`);
  return n;
}

function nonNegative(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} must be a number >= 0, got '${value}'`);
  return n;
}

/** Stops a running race on Ctrl-C or SIGTERM, so that it removes its names. */
function interruptible(): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    process.exitCode = sig === 'SIGINT' ? 130 : 143;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function formatRate(opsPerSecond: number): string {
  if (opsPerSecond >= 1e6) return `${(opsPerSecond / 1e6).toFixed(2)} M/s`;
  if (opsPerSecond >= 1e3) return `${(opsPerSecond / 1e3).toFixed(1)} k/s`;
  return `${opsPerSecond.toFixed(0)} /s`;
}

export function describeRace(r: RaceResult): string {
  const lock = { none: 'no lock', atomic: 'Atomics.add', semaphore: 'Semaphore', mutex: 'Mutex' }[r.lock];
  return (
    `${r.procs} processes × ${r.iterations} increments, ${r.width}-byte counter, ${lock}` +
    (r.sleep > 0 ? `, ${r.sleep} ms sleep` : '') +
    `\nfinal ${r.final}, expected ${r.expected}, lost ${r.lost}` +
    `\n${r.seconds.toFixed(3)} s, ${formatRate(r.opsPerSecond)}`
  );
}

async function race(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      procs: { type: 'string' },
      iterations: { type: 'string' },
      sleep: { type: 'string' },
      lock: { type: 'string' },
      width: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(HELP.race);
  const lock = (values.lock ?? 'semaphore') as LockKind;
  if (!LOCK_KINDS.includes(lock)) throw new UsageError(`--lock must be one of ${LOCK_KINDS.join(', ')}, got '${values.lock}'`);
  const width = Number(values.width ?? 8) as Width;
  if (width !== 1 && width !== 8) throw new UsageError(`--width must be 1 or 8, got '${values.width}'`);
  const procs = positiveInt(values.procs, '--procs', 2);
  const iterations = positiveInt(values.iterations, '--iterations', 1000);
  const sleep = nonNegative(values.sleep, '--sleep', 0);

  const live = !values.json && process.stderr.isTTY;
  const { signal, dispose } = interruptible();
  try {
    const result = await runRace({
      procs,
      iterations,
      sleep,
      lock,
      width,
      signal,
      onProgress: live
        ? (done, total, counter) =>
            process.stderr.write(
              `\rcounter ${counter.toLocaleString('en-US')}, ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} increments done`,
            )
        : undefined,
    });
    if (live) process.stderr.write('\r\x1b[K');
    console.log(values.json ? JSON.stringify(result) : describeRace(result));
  } finally {
    dispose();
  }
}

async function demo(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      procs: { type: 'string' },
      iterations: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return void console.log(HELP.demo);
  const { signal, dispose } = interruptible();
  try {
    await runDemo({
      procs: positiveInt(values.procs, '--procs', 2),
      iterations: positiveInt(values.iterations, '--iterations', 1_000_000),
      signal,
    });
  } finally {
    dispose();
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'race':
      return race(rest);
    case 'demo':
      return demo(rest);
    case undefined:
    case 'help':
    case '-h':
    case '--help':
      console.log(HELP.main);
      return;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`shmem: ${(err as Error).message}\nRun 'shmem --help' for usage.`);
    process.exitCode = 2;
  } else if (process.exitCode === 130 || process.exitCode === 143) {
    console.error('\nshmem: interrupted; removed the segment and the semaphore');
  } else {
    console.error(`shmem: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
});
