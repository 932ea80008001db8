/**
 * Moves the wall clock (`Date`, `Date.now()`, `new Date()`) of this test process ahead,
 * timers left real: "this write lands an hour later" without waiting an hour. Jest only
 * (it uses the `jest` global).
 */

const REAL_TIMERS = [
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

export async function withClockAhead<T>(ms: number, work: () => Promise<T>): Promise<T> {
  jest.useFakeTimers({ doNotFake: [...REAL_TIMERS], now: Date.now() + ms });
  try {
    return await work();
  } finally {
    jest.useRealTimers();
  }
}

/**
 * A request that stays open until released (an upload, a long poll): the handler awaits
 * `park()`, the test awaits `parked` (the request has read its session), acts, then `release()`s it.
 */
export function slowRequest(): { park(): Promise<void>; parked: Promise<void>; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let parkedNow!: () => void;
  const parked = new Promise<void>((resolve) => {
    parkedNow = resolve;
  });
  return {
    park: () => {
      parkedNow();
      return gate;
    },
    parked,
    release,
  };
}
