/**
 * Promise and callback styles from one helper. The callback is called once,
 * on a later tick and outside any try/catch, so an exception it throws is the
 * caller's uncaught exception rather than a swallowed rejection.
 */
export type Callback<T> = (error: Error | null, result?: T) => void;

export function withCallback<T>(promise: Promise<T>, callback?: Callback<T> | undefined): Promise<T> {
  if (typeof callback === 'function') {
    // Handlers attached here also mark the promise as handled, so callers who
    // passed a callback and ignore the promise never see an unhandled rejection.
    promise.then(
      (result) => process.nextTick(callback, null, result),
      (error: Error) => process.nextTick(callback, error),
    );
  }
  return promise;
}

/** Splits an optional trailing callback off an argument that may also be an options object. */
export function splitCallback<O extends object, T>(
  optionsOrCallback: O | Callback<T> | undefined,
  callback: Callback<T> | undefined,
): [O | undefined, Callback<T> | undefined] {
  if (typeof optionsOrCallback === 'function') return [undefined, optionsOrCallback];
  return [optionsOrCallback, callback];
}
