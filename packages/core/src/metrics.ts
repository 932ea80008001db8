/**
 * Metrics without a dependency: what stores do, published on two named
 * `node:diagnostics_channel` channels. A message is built only while its channel has
 * subscribers, so a store nobody observes pays one boolean check per point.
 * Messages never hold a session id (a bearer secret) nor session data.
 */
import { channel } from 'node:diagnostics_channel';
import type { Deadline } from './deadline';
import type { PolicyEnd } from './policy';

/** Channel of {@link OperationMessage}: one per store operation, when it settles. */
export const OPERATION_CHANNEL = 'mongo-session:operation';
/** Channel of {@link SessionMessage}: one per session event. */
export const SESSION_CHANNEL = 'mongo-session:session';

/**
 * The operations a store runs against MongoDB, by the action its errors name, and the name
 * its metrics give. `read` is `get`, `load` and `read`; `checkIndexes` is the store's own
 * index setup (at start, on reconnect).
 */
export const OPERATION_NAMES = {
  'read the session': 'read',
  'save the session': 'set',
  'touch the session': 'touch',
  'destroy the session': 'destroy',
  'rotate the session id': 'regenerate',
  'clear sessions': 'clear',
  'list sessions': 'all',
  'count sessions': 'length',
  'list sessions by owner': 'listByOwner',
  'count sessions by owner': 'countByOwner',
  'destroy sessions by owner': 'destroyByOwner',
  'remove expired sessions': 'sweepExpired',
  'check the indexes': 'checkIndexes',
} as const;

export type OperationAction = keyof typeof OPERATION_NAMES;
export type OperationName = (typeof OPERATION_NAMES)[OperationAction];

/** `timeout`: the operation missed its deadline (`operationTimeoutMs`); `error`: any other failure. */
export type OperationOutcome = 'ok' | 'error' | 'timeout';

export interface OperationMessage {
  operation: OperationName;
  /** From the start of the operation to its settling, waiting for a connection included. */
  durationMs: number;
  outcome: OperationOutcome;
  /** The store's collection name. */
  collection: string;
}

/**
 * - `hit` / `miss`: a read (`get`, `load`, `read`) found a session / found none (absent,
 *   expired, revoked or unreadable);
 * - `create`, `update`, `touch`, `destroy`: writes, like the store's events of those names;
 * - `touch-skipped`: a touch (or an unchanged save) not written, within the lazy-touch window;
 * - `decryption-failed`: a stored session was ignored (warning `DECRYPTION_FAILED`);
 * - `expired`: a lifetime policy ended a session (the store's `expired` event, with its `reason`).
 */
export type SessionEvent =
  | 'hit'
  | 'miss'
  | 'create'
  | 'update'
  | 'touch'
  | 'touch-skipped'
  | 'destroy'
  | 'decryption-failed'
  | 'expired';

export interface SessionMessage {
  event: SessionEvent;
  /** The store's collection name. */
  collection: string;
  /** Only for `expired`: the policy that ended the session. */
  reason?: PolicyEnd;
}

const operations = channel(OPERATION_CHANNEL);
const sessions = channel(SESSION_CHANNEL);

export function publishSession(event: SessionEvent, collection: string, reason?: PolicyEnd): void {
  if (!sessions.hasSubscribers) return;
  const message: SessionMessage = reason === undefined ? { event, collection } : { event, collection, reason };
  sessions.publish(message);
}

/** A read's outcome, `hit` or `miss`; gives back what was read. */
export function publishRead<T>(found: T, collection: string): T {
  publishSession(found ? 'hit' : 'miss', collection);
  return found;
}

/** When an operation starts: the time, while anyone listens for operations (else nothing is measured). */
export function operationStart(): number | undefined {
  return operations.hasSubscribers ? performance.now() : undefined;
}

/** Publishes an operation's outcome and duration once it settles (if it was measured). */
export function observeOperation(
  settled: Promise<unknown>,
  startedAt: number | undefined,
  action: OperationAction,
  collection: string,
  deadline: Deadline,
): void {
  if (startedAt === undefined) return;
  const publish = (outcome: OperationOutcome) => {
    if (!operations.hasSubscribers) return;
    const message: OperationMessage = {
      operation: OPERATION_NAMES[action],
      durationMs: Math.max(0, performance.now() - startedAt),
      outcome,
      collection,
    };
    operations.publish(message);
  };
  settled.then(
    () => publish('ok'),
    () => publish(deadline.expired ? 'timeout' : 'error'),
  );
}
