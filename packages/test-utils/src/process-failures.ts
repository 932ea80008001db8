/**
 * Counts unhandled rejections and uncaught exceptions while a test runs, so a
 * test can assert "the app never crashed" instead of hoping Jest notices.
 */
export interface ProcessFailures {
  readonly unhandledRejections: unknown[];
  readonly uncaughtExceptions: unknown[];
  stop(): void;
}

export function trackProcessFailures(): ProcessFailures {
  const unhandledRejections: unknown[] = [];
  const uncaughtExceptions: unknown[] = [];
  const onRejection = (reason: unknown) => unhandledRejections.push(reason);
  const onException = (error: unknown) => uncaughtExceptions.push(error);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    unhandledRejections,
    uncaughtExceptions,
    stop() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}
