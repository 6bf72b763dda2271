// `shmem race`: the article's experiment, processes racing on a shared counter.
import { Command, nonNegative, parseOptions, positiveInt, print, UsageError } from '../command';
import { runInterruptible } from '../interrupt';
import { runRace, RaceResult } from '../race';
import { LOCK_KINDS, LockKind, Width } from '../race-layout';

const help = `Usage: shmem race [options]

The parent creates a shared-memory segment and a semaphore, forks --procs
children that attach by name and increment a counter --iterations times each,
then prints the result and removes what it created (also on Ctrl-C or when a
child crashes).

Options:
  --procs N          processes that race (default 2)
  --iterations K     increments per process (default 1000)
  --sleep MS         sleep before every increment, as the article's 5 ms (default 0)
  --lock KIND        semaphore | mutex | none | atomic (default semaphore)
  --width 1|8        1-byte counter that wraps at 256, or 8-byte little-endian (default 8)
  --struct           the counter and the Mutex as fields of a Struct view
                     ({ count: 'u64', lock: 'mutex' }): no offsets, no bytes by hand
  --json             print one JSON object instead of text
  -h, --help         show this help

Examples (the article's two listings):
  shmem race --width 1 --iterations 127 --sleep 5     # 255
  shmem race --width 8 --iterations 1000 --sleep 5    # 2001
  shmem race --struct --lock mutex --iterations 100000

Exit codes: 0 done; 1 the race failed (a child crashed); 2 usage error;
129 / 130 / 131 / 143 interrupted by SIGHUP (terminal closed) / SIGINT /
SIGQUIT / SIGTERM (everything is removed).`;

function formatRate(opsPerSecond: number): string {
  if (opsPerSecond >= 1e6) return `${(opsPerSecond / 1e6).toFixed(2)} M/s`;
  if (opsPerSecond >= 1e3) return `${(opsPerSecond / 1e3).toFixed(1)} k/s`;
  return `${opsPerSecond.toFixed(0)} /s`;
}

export function describeRace(r: RaceResult): string {
  const lock = { none: 'no lock', atomic: 'Atomics.add', semaphore: 'Semaphore', mutex: 'Mutex' }[r.lock];
  return (
    `${r.procs} processes × ${r.iterations} increments, ${r.width}-byte counter${r.struct ? ' (a Struct field)' : ''}, ${lock}` +
    (r.sleep > 0 ? `, ${r.sleep} ms sleep` : '') +
    `\nfinal ${r.final}, expected ${r.expected}, lost ${r.lost}` +
    `\n${r.seconds.toFixed(3)} s, ${formatRate(r.opsPerSecond)}`
  );
}

export const command: Command = {
  usage: help.split('\n')[0],
  help,
  async run(args) {
    const { values } = parseOptions(args, {
      procs: { type: 'string' },
      iterations: { type: 'string' },
      sleep: { type: 'string' },
      lock: { type: 'string' },
      width: { type: 'string' },
      struct: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    if (values.help) {
      await print(help);
      return 0;
    }
    const lock = (values.lock ?? 'semaphore') as LockKind;
    if (!LOCK_KINDS.includes(lock)) throw new UsageError(`--lock must be one of ${LOCK_KINDS.join(', ')}, got '${values.lock}'`);
    const width = Number(values.width ?? 8) as Width;
    if (width !== 1 && width !== 8) throw new UsageError(`--width must be 1 or 8, got '${values.width}'`);
    const procs = positiveInt(values.procs, '--procs', 2);
    const iterations = positiveInt(values.iterations, '--iterations', 1000);
    const sleep = nonNegative(values.sleep, '--sleep', 0);

    const live = !values.json && process.stderr.isTTY;
    return runInterruptible(async (signal) => {
      const result = await runRace({
        procs,
        iterations,
        sleep,
        lock,
        width,
        struct: values.struct === true,
        signal,
        onProgress: live
          ? (done, total, counter) =>
              process.stderr.write(
                `\rcounter ${counter.toLocaleString('en-US')}, ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} increments done`,
              )
          : undefined,
      });
      if (live) process.stderr.write('\r\x1b[K');
      await print(values.json ? JSON.stringify(result) : describeRace(result));
    }, 'removed the segment and the semaphore');
  },
};
