// `shmem demo` (`npm run demo`): the race without a lock, with a Semaphore, a
// Mutex and Atomics, side by side.
import { Command, parseOptions, positiveInt, print } from '../command';
import { runInterruptible } from '../interrupt';
import { runDemo } from '../demo';

const help = `Usage: shmem demo [options]

Runs the race four times (no lock, Semaphore, Mutex, Atomics) with the same
processes and iterations and shows the counts and the throughput. Then sends
small objects (iterations / 5, from 1,000 to 200,000) to a forked child
through a Channel and through process.send, and shows both rates.

Options:
  --procs N          processes that race (default 2)
  --iterations K     increments per process (default 1000000)
  -h, --help         show this help

Exit codes: 0 done; 1 a race failed; 2 usage error; 129 / 130 / 131 / 143
interrupted by SIGHUP (terminal closed) / SIGINT / SIGQUIT / SIGTERM
(everything is removed).`;

export const command: Command = {
  usage: help.split('\n')[0],
  help,
  async run(args) {
    const { values } = parseOptions(args, { procs: { type: 'string' }, iterations: { type: 'string' } });
    if (values.help) {
      await print(help);
      return 0;
    }
    const procs = positiveInt(values.procs, '--procs', 2);
    const iterations = positiveInt(values.iterations, '--iterations', 1_000_000);
    return runInterruptible((signal) => runDemo({ procs, iterations, signal }).then(() => undefined), 'removed the segment, the channel and the semaphore');
  },
};
