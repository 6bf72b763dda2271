// One promise shape for every asynchronous wait (Semaphore.wait, Mutex.lock,
// waitAsync): the native layer starts the wait and calls back once; an
// AbortSignal or a close() cancels it through native.cancelWait, which says
// whether it was still pending (then it never calls back, and whatever its
// thread took is given back).
import { native } from './binding';
import { AbortError } from './errors';

export type NativeCallback<R> = (err: Error | null, result?: R) => void;

/**
 * @param start starts the native wait with the callback and returns its request
 * @param settle maps the native result to the promise's value
 * @param signal rejects with AbortError when it aborts
 * @param onCancel registers a canceller (used by close()); returns its removal
 */
export function pendingWait<R, T>(
  start: (callback: NativeCallback<R>) => unknown,
  settle: (result: R) => T,
  signal: AbortSignal | undefined,
  onCancel: (cancel: (err: Error) => void) => () => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let request: unknown;
    let unregister = () => {};
    let onAbort: (() => void) | undefined;
    const done = () => {
      unregister();
      if (onAbort) signal!.removeEventListener('abort', onAbort);
    };
    const cancel = (err: Error) => {
      if (!native.cancelWait(request)) return; // already settled
      done();
      reject(err);
    };
    request = start((err, result) => {
      done();
      if (err) reject(err);
      else resolve(settle(result as R));
    });
    unregister = onCancel(cancel);
    if (signal) {
      onAbort = () => cancel(new AbortError(undefined, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}
