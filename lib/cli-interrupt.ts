// Ctrl-C and SIGTERM for the commands that run processes (`race`, `demo`):
// they stop the run, which then removes what it created.
import { EXIT } from './cli-command';

/** Exit codes after an interruption, as a shell reports a job killed by the signal. */
export const INTERRUPTED = { SIGINT: 130, SIGTERM: 143 } as const;

/** An AbortSignal that fires on SIGINT or SIGTERM (setting the exit code to 130 or 143), until dispose(). */
export function interruptible(): { signal: AbortSignal; exitCode: () => number | undefined; dispose: () => void } {
  const controller = new AbortController();
  let code: number | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    code = sig === 'SIGINT' ? INTERRUPTED.SIGINT : INTERRUPTED.SIGTERM;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    exitCode: () => code,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** Runs `fn` with an interruptible signal; an interruption becomes exit code 130/143 and a note on stderr. */
export async function runInterruptible(fn: (signal: AbortSignal) => Promise<void>, note: string): Promise<number> {
  const { signal, exitCode, dispose } = interruptible();
  try {
    await fn(signal);
    return exitCode() ?? EXIT.OK;
  } catch (err) {
    // This process's own handler may not have run yet when a child that got
    // the same Ctrl-C (one process group) is already gone: its error says so.
    const by = (err as { interruptedBy?: unknown } | null)?.interruptedBy;
    const code = exitCode() ?? (by === 'SIGINT' || by === 'SIGTERM' ? INTERRUPTED[by] : undefined);
    if (code === undefined) throw err;
    process.stderr.write(`\nshmem: interrupted; ${note}\n`);
    return code;
  } finally {
    dispose();
  }
}
