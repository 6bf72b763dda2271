// unlinkOnExit: names that this thread removes when it ends.
//
// The list is kept natively per Node environment (src-native/exit_unlink.cc):
// its teardown covers a worker that returns, calls process.exit() or is
// terminated, and the main thread's normal end. process.exit() and a fatal
// uncaught error on the main thread skip that teardown but emit 'exit'.
// Death by a signal (SIGKILL, or SIGINT/SIGTERM without a handler) runs
// neither: no JS and no teardown happen then.
import { native } from './binding';

export const ExitUnlinkKind = { Segment: 0, Semaphore: 1 } as const;
export type ExitUnlinkKind = (typeof ExitUnlinkKind)[keyof typeof ExitUnlinkKind];

let listening = false;

/** Removes `osName` when this thread (or process) ends. */
export function unlinkOnExit(kind: ExitUnlinkKind, osName: string): void {
  if (!listening) {
    listening = true;
    process.on('exit', () => native.exitUnlinkRun());
  }
  native.exitUnlinkAdd(kind, osName);
}

/**
 * Removes `osName` with `unlink` (by hand, now), and forgets it for the exit:
 * once the name is gone, a later object under the same name is someone
 * else's. An unlink that fails with ENOENT forgets it too.
 */
export function unlinkNow(kind: ExitUnlinkKind, osName: string, unlink: (osName: string) => void): void {
  try {
    unlink(osName);
  } catch (err) {
    if (listening && (err as { code?: unknown })?.code === 'ENOENT') native.exitUnlinkForget(kind, osName);
    throw err;
  }
  if (listening) native.exitUnlinkForget(kind, osName);
}
