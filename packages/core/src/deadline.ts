/**
 * Operation deadlines. The driver has no bound on an operation against a server
 * that accepts connections but never answers (it waits for its monitor, 30 s or
 * more), so every store operation races a timer of its own.
 */
export class Deadline {
  /** Set when the time ran out: work queued behind the operation does not start. */
  expired = false;

  constructor(readonly ms: number) {}

  /** Settles like `work`, or rejects with `timeoutError()` after `ms`, whichever comes first. */
  race<T>(work: Promise<T>, timeoutError: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.expired = true;
        reject(timeoutError());
      }, this.ms);
      work.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
