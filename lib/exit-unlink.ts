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

/** The name is gone (unlinked by hand): nothing to do for it at exit. */
export function forgetUnlinkOnExit(kind: ExitUnlinkKind, osName: string): void {
  if (listening) native.exitUnlinkForget(kind, osName);
}
