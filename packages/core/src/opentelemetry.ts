/**
 * `@mongo-session/core/opentelemetry`: the store's diagnostics channels recorded as
 * OpenTelemetry instruments. A subpath of its own, so only apps that import it load
 * `@opentelemetry/api` (an optional peer dependency).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type Meter, metrics } from '@opentelemetry/api';
import { OPERATION_CHANNEL, type OperationMessage, SESSION_CHANNEL, type SessionMessage } from './metrics';

/** The instrument names, as documented in the README's "Metrics" section. */
export const SESSIONS_COUNTER = 'mongo_session.sessions';
export const OPERATION_DURATION_HISTOGRAM = 'mongo_session.operation.duration';

export interface InstrumentOpenTelemetryOptions {
  /** Where the instruments are created; default: `metrics.getMeter('@mongo-session/core')` (the global meter provider). */
  meter?: Meter;
}

/**
 * Records every store's session events (counter `mongo_session.sessions`, attributes `event`
 * and `collection`) and operation durations (histogram `mongo_session.operation.duration` in
 * ms, attributes `operation`, `outcome` and `collection`). Returns a function that stops recording.
 */
export function instrumentOpenTelemetry(options: InstrumentOpenTelemetryOptions = {}): () => void {
  const meter = options.meter ?? metrics.getMeter('@mongo-session/core');
  const sessions = meter.createCounter(SESSIONS_COUNTER, {
    description: 'Session events: hits, misses, writes, lazy touches skipped, decryption failures, policy ends.',
    unit: '{event}',
  });
  const durations = meter.createHistogram(OPERATION_DURATION_HISTOGRAM, {
    description: 'How long store operations took, from their start to their outcome.',
    unit: 'ms',
  });
  const onSession = (message: unknown) => {
    const { event, collection } = message as SessionMessage;
    sessions.add(1, { event, collection });
  };
  const onOperation = (message: unknown) => {
    const { operation, outcome, collection, durationMs } = message as OperationMessage;
    durations.record(durationMs, { operation, outcome, collection });
  };
  subscribe(SESSION_CHANNEL, onSession);
  subscribe(OPERATION_CHANNEL, onOperation);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    unsubscribe(SESSION_CHANNEL, onSession);
    unsubscribe(OPERATION_CHANNEL, onOperation);
  };
}
