/**
 * Keeps the store's indexes: creates them once per client and collection, then checks
 * every `cleanupIntervalMs` and after each reconnect that they are still there (a server
 * back empty, a dropped or restored collection) and, when sweeping is how sessions
 * expire, removes expired ones.
 */
import { WarningCode } from './errors';
import type { StoreConnection } from './connection';
import type { MongoSessionError } from './errors';
import { createIndexes, missingIndexes, type ExpiryMode, type IndexOutcome, type IndexPlan } from './indexes';
import { COLLECTION_WIDE, type OperationRunner } from './operations';
import type { ResolvedOptions, StoreWarning } from './options';
import { globalState } from './registry';

export interface KeeperContext {
  readonly options: ResolvedOptions<any>;
  readonly connection: StoreConnection;
  readonly operations: OperationRunner;
  warn(warning: StoreWarning): void;
  emitError(error: MongoSessionError): void;
  isClosed(): boolean;
}

export class IndexKeeper {
  readonly #options: ResolvedOptions<any>;
  readonly #connection: StoreConnection;
  readonly #operations: OperationRunner;
  readonly #warn: KeeperContext['warn'];
  readonly #emitError: KeeperContext['emitError'];
  readonly #isClosed: KeeperContext['isClosed'];
  #indexesReady: Promise<IndexOutcome> | undefined;
  #expiryMode: ExpiryMode | undefined;
  #maintenanceTimer: NodeJS.Timeout | undefined;
  #maintaining: Promise<void> | undefined;

  constructor(context: KeeperContext) {
    this.#options = context.options;
    this.#connection = context.connection;
    this.#operations = context.operations;
    this.#warn = context.warn;
    this.#emitError = context.emitError;
    this.#isClosed = context.isClosed;
  }

  /** After a reconnect: set up what failed while the server was away, or check what may be gone. */
  onReconnect(): void {
    if (!this.#indexesReady) void this.ensure().catch(() => undefined);
    else void this.maintain(false);
  }

  /** Stops the timer and waits for setup in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#maintenanceTimer);
    this.#maintenanceTimer = undefined;
    await this.#indexesReady?.catch(() => undefined);
  }

  /** Creates the indexes once per client and collection (stores sharing both share the work), then starts maintenance. */
  ensure(): Promise<IndexOutcome> {
    if (this.#indexesReady) return this.#indexesReady;
    const client = this.#connection.client;
    const setups = globalState().indexSetups;
    const perClient = client ? (setups.get(client) ?? new Map<string, Promise<unknown>>()) : new Map();
    if (client) setups.set(client, perClient);
    const key = `${this.#connection.dbNow?.databaseName ?? ''}/${this.#options.collection}/${this.#options.autoRemove}/${this.#options.owner ? 'owner' : ''}`;
    let setup = perClient.get(key) as Promise<IndexOutcome> | undefined;
    if (!setup) {
      setup = this.#connection.collection(this.#options.collection).then((col) => createIndexes(col, this.#indexPlan));
      perClient.set(key, setup);
      // A failed setup (server away) is forgotten so the next connect retries it.
      setup.catch(() => perClient.delete(key));
    }
    const ready = setup.then((outcome) => {
      this.#expiryMode = outcome.mode;
      this.#report(outcome);
      this.#startMaintenance();
      return outcome;
    });
    this.#indexesReady = ready;
    ready.catch(() => {
      if (this.#indexesReady === ready) this.#indexesReady = undefined;
    });
    return ready;
  }

  get #indexPlan(): IndexPlan {
    const { autoRemove, cleanupIntervalMs, owner } = this.#options;
    return { autoRemove, cleanupIntervalMs, owner: owner !== undefined };
  }

  #report(outcome: IndexOutcome): void {
    outcome.warnings.forEach((warning) => this.#warn(warning));
    if (outcome.error) this.#emitError(outcome.error);
  }

  #startMaintenance(): void {
    if (this.#maintenanceTimer || this.#isClosed()) return;
    this.#maintenanceTimer = setInterval(() => void this.maintain(true), this.#options.cleanupIntervalMs);
    this.#maintenanceTimer.unref();
  }

  /**
   * Recreates indexes found missing (a server back empty, a dropped or restored
   * collection), then, when sweeping is how sessions expire, removes expired ones.
   * Runs every `cleanupIntervalMs` and after each reconnect. Never rejects.
   */
  maintain(sweep: boolean): Promise<void> {
    this.#maintaining ??= this.#operations
      .run('check the indexes', COLLECTION_WIDE, async (col) => {
        const mode = this.#expiryMode;
        if (mode === undefined) return;
        const missing = await missingIndexes(col, this.#indexPlan, mode);
        if (missing.length > 0) {
          const outcome = await createIndexes(col, this.#indexPlan, mode);
          this.#expiryMode = outcome.mode;
          this.#warn({
            code: WarningCode.IndexesRecreated,
            message:
              `Collection "${col.collectionName}" had lost its index(es) on ${missing.join(', ')} (restored or dropped, or a server ` +
              'that came back empty); they were created again.',
          });
          this.#report(outcome);
        }
        if (sweep && this.#expiryMode === 'interval') await col.deleteMany({ expires: { $lte: new Date() } });
      })
      .catch(() => undefined)
      .finally(() => {
        this.#maintaining = undefined;
      });
    return this.#maintaining;
  }
}
