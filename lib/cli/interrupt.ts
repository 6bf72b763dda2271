// Stop signals for the commands that run processes (`race`, `demo`): Ctrl-C
// (SIGINT), SIGTERM, a closed terminal window or `tmux kill-session`
// (SIGHUP), Ctrl-\ (SIGQUIT). They stop the run, which then removes what it
// created, and the command exits with 128 + the signal's number, as a shell
// reports a job killed by it.
import { constants } from 'node:os';

import { EXIT } from './command';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The exit code after an interruption by `sig`: 128 + its number (130 for SIGINT, 143 for SIGTERM, 129, 131). */
export function interruptedCode(sig: StopSignal): number {
  return 128 + constants.signals[sig];
}

/** True if `sig` is one of the stop signals. */
export function isStopSignal(sig: unknown): sig is StopSignal {
  return (STOP_SIGNALS as readonly unknown[]).includes(sig);
}

/** An AbortSignal that fires on a stop signal (setting the exit code), until dispose(). */
export function interruptible(): { signal: AbortSignal; exitCode: () => number | undefined; dispose: () => void } {
  const controller = new AbortController();
  let code: number | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    code ??= interruptedCode(sig as StopSignal);
    controller.abort();
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);
  return {
    signal: controller.signal,
    exitCode: () => code,
    dispose: () => {
      for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
    },
  };
}

/** Runs `fn` with an interruptible signal; an interruption becomes exit code 128 + signal and a note on stderr. */
export async function runInterruptible(fn: (signal: AbortSignal) => Promise<void>, note: string): Promise<number> {
  const { signal, exitCode, dispose } = interruptible();
  try {
    await fn(signal);
    return exitCode() ?? EXIT.OK;
  } catch (err) {
    // This process's own handler may not have run yet when a child that got
    // the same signal (one process group) is already gone: its error says so.
    const by = (err as { interruptedBy?: unknown } | null)?.interruptedBy;
    const code = exitCode() ?? (isStopSignal(by) ? interruptedCode(by) : undefined);
    if (code === undefined) throw err;
    // After SIGHUP the terminal may be gone: this note is then lost (cli.ts ignores EIO).
    process.stderr.write(`\nshmem: interrupted; ${note}\n`);
    return code;
  } finally {
    dispose();
  }
}
