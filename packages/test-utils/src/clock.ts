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
