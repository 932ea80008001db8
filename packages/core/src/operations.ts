/**
 * How one operation runs: refused once the store is closed or too much work already
 * waits on MongoDB, bounded by its deadline, wrapped in our error tree, tracked so that
 * `close()` can wait for it; and writes to one session id queued one after another.
 */
import type { Collection } from 'mongodb';
import type { StoreConnection } from './connection';
import { Deadline } from './deadline';
import type { SessionDocument } from './document';
import { ConnectionError, StoreClosedError, isUnreachableError, toStoreError } from './errors';
import { type OperationAction, observeOperation, operationStart } from './metrics';
import type { ResolvedOptions } from './options';

/**
 * What an operation touches. One session's reads and writes are the request path: a
 * server that misses their deadline is reported unavailable. Collection-wide ones may
 * legitimately take longer, so they get more time and missing it says nothing of the server.
 */
export interface Scope {
  readonly timeoutFactor: number;
}
export const ONE_SESSION: Scope = { timeoutFactor: 1 };
export const COLLECTION_WIDE: Scope = { timeoutFactor: 6 };

type Operation<T> = (col: Collection<SessionDocument>, deadline: Deadline) => Promise<T>;

export class OperationRunner {
  readonly #connection: StoreConnection;
  readonly #collection: string;
  readonly #options: Pick<ResolvedOptions, 'operationTimeoutMs' | 'maxPendingOperations'>;
  readonly #isClosed: () => boolean;
  readonly #inflight = new Set<Promise<unknown>>();
  /** Operations whose MongoDB work has not settled, those past their deadline included. */
  #pending = 0;
  /** The last write queued per session id; see {@link OperationRunner.serialize}. */
  readonly #writeQueues = new Map<string, Promise<unknown>>();

  constructor(
    connection: StoreConnection,
    collection: string,
    options: Pick<ResolvedOptions, 'operationTimeoutMs' | 'maxPendingOperations'>,
    isClosed: () => boolean,
  ) {
    this.#connection = connection;
    this.#collection = collection;
    this.#options = options;
    this.#isClosed = isClosed;
  }

  get pending(): number {
    return this.#pending;
  }

  /** Settles once every operation started so far has. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inflight]);
  }

  /** Settles once this process's queued writes have (undefined when none are queued). */
  writesSettled(): Promise<unknown> | undefined {
    return this.#writeQueues.size > 0 ? Promise.allSettled([...this.#writeQueues.values()]) : undefined;
  }

  /**
   * Runs writes to one session id one after another within this process.
   * mongod applies each update atomically anyway; some compatible servers
   * (FerretDB 1.x on SQLite) read-modify-write documents without isolation
   * and would lose concurrent per-key updates. Writes to different sessions
   * are not ordered against each other.
   */
  serialize<T>(id: string, write: () => Promise<T>, deadline: Deadline): Promise<T> {
    const previous = this.#writeQueues.get(id);
    // A write whose caller has already been told it timed out must not start later.
    const start = () =>
      deadline.expired
        ? Promise.reject(
            new ConnectionError(
              'The write was dropped: its deadline passed while it waited behind another write of the same session.',
            ),
          )
        : write();
    const next = previous ? previous.then(start, start) : start();
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    this.#writeQueues.set(id, settled);
    void settled.then(() => {
      if (this.#writeQueues.get(id) === settled) this.#writeQueues.delete(id);
    });
    return next;
  }

  /**
   * Runs one operation: closed check, the pending bound, connection wait, the deadline,
   * error wrapping, tracking for close().
   */
  run<T>(action: OperationAction, operation: Operation<T>): Promise<T>;
  run<T>(action: OperationAction, scope: Scope, operation: Operation<T>): Promise<T>;
  run<T>(
    action: OperationAction,
    scopeOrOperation: Scope | ((col: Collection<SessionDocument>, deadline: Deadline) => Promise<T>),
    maybeOperation?: (col: Collection<SessionDocument>, deadline: Deadline) => Promise<T>,
  ): Promise<T> {
    if (this.#isClosed()) return Promise.reject(new StoreClosedError());
    const [scope, operation] =
      typeof scopeOrOperation === 'function' ? [ONE_SESSION, scopeOrOperation] : [scopeOrOperation, maybeOperation!];
    const { maxPendingOperations } = this.#options;
    const operationTimeoutMs = this.#options.operationTimeoutMs * scope.timeoutFactor;
    if (this.#pending >= maxPendingOperations) {
      return Promise.reject(
        new ConnectionError(
          `Refused to ${action}: ${this.#pending} operations are already waiting for MongoDB (maxPendingOperations).`,
        ),
      );
    }
    const deadline = new Deadline(operationTimeoutMs);
    const startedAt = operationStart();
    const db = this.#connection.dbNow;
    const started = db
      ? operation(db.collection<SessionDocument>(this.#collection), deadline)
      : this.#connection.collection<SessionDocument>(this.#collection).then((col) => operation(col, deadline));
    this.#pending++;
    const release = () => {
      this.#pending--;
    };
    started.then(release, release);
    const timedOut = () =>
      new ConnectionError(`MongoDB did not answer within ${operationTimeoutMs} ms (operationTimeoutMs) to ${action}.`);
    const tracked = deadline.race(started, timedOut).catch((error: unknown) => {
      // A server that stopped answering is as unavailable as one that is gone.
      if (isUnreachableError(error) || (deadline.expired && scope === ONE_SESSION)) this.#connection.reportUnreachable();
      throw toStoreError(error, action);
    });
    observeOperation(tracked, startedAt, action, this.#collection, deadline);
    this.#inflight.add(tracked);
    const untrack = () => this.#inflight.delete(tracked);
    tracked.then(untrack, untrack);
    return tracked;
  }
}
