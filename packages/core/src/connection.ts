/**
 * Turns a resolved connection input into a Db, shares the clients this
 * library creates, and tells stores when MongoDB goes away and comes back.
 *
 * - One MongoClient per connection string + options, reference-counted and
 *   closed when its last store closes. Clients, Dbs and mongoose connections
 *   the user passed in are never closed.
 * - One topology listener per client, however many stores use it.
 * - While no server is selectable, a background `ping` (unref'd, backoff
 *   250 ms to 5 s) keeps asking, because express-session and
 *   koa-generic-session stop calling a store that said `disconnect` and would
 *   never notice the recovery themselves.
 */
import { MongoClient } from 'mongodb';
import type { Collection, Db, DbOptions, Document, MongoClientOptions } from 'mongodb';
import { Deadline } from './deadline';
import { ConnectionError, InvalidOptionError, type MongoSessionError, toStoreError } from './errors';
import type { ConnectionInput, MongooseConnectionLike } from './options';
import { globalState, type ClientLike, type SharedClientEntry } from './registry';

export interface ConnectionEvents {
  onConnect(): void;
  onDisconnect(): void;
}

const PING_BACKOFF_START_MS = 250;
/** Recovery is noticed within about this much of the server answering again. */
const PING_BACKOFF_MAX_MS = 1000;
/** A ping to a hung server never answers: give up on it after this and send another. */
const PING_TIMEOUT_MS = 1500;
const MONGOOSE_OPEN = 1;

/** Watches one client's topology; shared by every store using that client. */
class ClientWatcher {
  /** undefined until the first attempt or topology event says otherwise. */
  connected: boolean | undefined;
  readonly subscribers = new Set<ConnectionEvents>();
  #pinging = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(readonly client: ClientLike) {}

  readonly #onTopology = (event: { newDescription?: { hasDataBearingServers?: boolean; hasKnownServers?: boolean } }) => {
    const description = event.newDescription;
    if (!description) return;
    const selectable = description.hasDataBearingServers ?? description.hasKnownServers ?? false;
    // Before the first attempt has an answer, only good news counts: the
    // topology starts out "Unknown" on every connect.
    if (selectable) this.setConnected(true);
    else if (this.connected === true) this.setConnected(false);
  };

  subscribe(listener: ConnectionEvents): void {
    if (this.subscribers.size === 0) this.client.on('topologyDescriptionChanged', this.#onTopology);
    this.subscribers.add(listener);
    // A late subscriber to a client already known to be down hears about it.
    if (this.connected === false) queueMicrotask(() => this.subscribers.has(listener) && listener.onDisconnect());
  }

  unsubscribe(listener: ConnectionEvents): void {
    if (!this.subscribers.delete(listener) || this.subscribers.size > 0) return;
    this.client.removeListener('topologyDescriptionChanged', this.#onTopology);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    globalState().watchers.delete(this.client);
  }

  setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    for (const listener of [...this.subscribers]) {
      if (connected) listener.onConnect();
      else listener.onDisconnect();
    }
    if (!connected) this.#startPinging();
  }

  #startPinging(): void {
    if (this.#pinging || this.subscribers.size === 0) return;
    this.#pinging = true;
    let backoff = PING_BACKOFF_START_MS;
    const attempt = (): void => {
      this.#timer = undefined;
      if (this.connected !== false || this.subscribers.size === 0) {
        this.#pinging = false;
        return;
      }
      const started = Date.now();
      // After a failed first connect, driver 7 answers every operation with
      // "Topology is closed" until connect() is called again; connect() is a
      // no-op on a connected client.
      new Deadline(PING_TIMEOUT_MS)
        .race(
          this.client.connect().then(() => (this.client.db('admin') as Db).command({ ping: 1 })),
          () => new ConnectionError('ping timed out'),
        )
        .then(
          () => {
            this.#pinging = false;
            this.setConnected(true);
          },
          () => {
            if (this.connected !== false || this.subscribers.size === 0) {
              this.#pinging = false;
              return;
            }
            // The ping itself waited for server selection; count that time in the backoff.
            const wait = Math.max(0, backoff - (Date.now() - started));
            backoff = Math.min(backoff * 2, PING_BACKOFF_MAX_MS);
            this.#timer = setTimeout(attempt, wait);
            this.#timer.unref();
          },
        );
    };
    attempt();
  }
}

function watcherFor(client: ClientLike): ClientWatcher {
  const watchers = globalState().watchers;
  let watcher = watchers.get(client) as ClientWatcher | undefined;
  if (!watcher) {
    watcher = new ClientWatcher(client);
    watchers.set(client, watcher);
  }
  return watcher;
}

/** A key for sharing clients: connection string + options; unshareable options give a unique key. */
function clientKey(uri: string, options: MongoClientOptions): string {
  let unique = false;
  const normalize = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') {
      if (typeof value === 'function' || typeof value === 'symbol') unique = true;
      return value;
    }
    if (Array.isArray(value)) return value.map(normalize);
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      unique = true;
      return null;
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = normalize((value as Record<string, unknown>)[k]);
    return out;
  };
  const key = `${uri}\n${JSON.stringify(normalize(options))}`;
  return unique ? `${key}\n#${Math.random().toString(36).slice(2)}${Date.now()}` : key;
}

function acquireSharedClient(uri: string, options: MongoClientOptions): { key: string; entry: SharedClientEntry } {
  const state = globalState();
  const key = clientKey(uri, options);
  let entry = state.clients.get(key);
  if (!entry) {
    let client: MongoClient;
    try {
      client = new MongoClient(uri, options);
    } catch (error) {
      const name = (error as { name?: unknown })?.name;
      const text = error instanceof Error ? error.message : String(error);
      throw new InvalidOptionError(
        'connectionOptions',
        `The MongoDB driver refused the connection options (${String(name)}: ${text}).`,
      );
    }
    const firstConnect = client.connect().then(() => undefined);
    // Handled here; stores read the outcome through their own first attempt.
    firstConnect.catch(() => undefined);
    entry = { client, refs: 0, firstConnect };
    state.clients.set(key, entry);
  }
  entry.refs++;
  return { key, entry };
}

async function releaseSharedClient(key: string, entry: SharedClientEntry): Promise<void> {
  entry.refs--;
  if (entry.refs > 0) return;
  const state = globalState();
  if (state.clients.get(key) === entry) state.clients.delete(key);
  await entry.client.close();
}

/** Closes every client this library opened (koa-session-mongo's `closeConnections`). */
export async function closeSharedClients(): Promise<void> {
  const state = globalState();
  const entries = [...state.clients.values()];
  state.clients.clear();
  await Promise.allSettled(entries.map((entry) => entry.client.close()));
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Deadline(ms).race(promise, () => new ConnectionError(`Timed out after ${ms} ms waiting for ${what}.`));
}

async function openMongoose(connection: MongooseConnectionLike, timeoutMs: number): Promise<MongoClient> {
  if (connection.readyState !== MONGOOSE_OPEN) {
    if (typeof connection.asPromise !== 'function') {
      throw new ConnectionError('The mongoose connection is not open and has no asPromise() to wait for it.');
    }
    await withTimeout(connection.asPromise(), timeoutMs, 'the mongoose connection to open');
  }
  return connection.getClient();
}

/**
 * The Db every session operation runs on: the user's database, read and write concerns and
 * BSON options kept, with two settings forced, because a session must be read back right
 * after it was written (a login, then the redirect):
 * - read preference `primary`: a secondary may not have the write yet, whatever the URI or a
 *   client passed in says (`secondary`, `nearest`, tags, `maxStalenessSeconds`);
 * - acknowledged writes: with `w: 0` the driver gets no answer, not even to reads on that
 *   client, so `w: 0` becomes `w: 1` here (other write concerns, `majority` included, stay).
 * Only this Db is changed; the user's client and Db keep their own settings.
 */
export function forSessions(db: Db): Db {
  const writeConcern = db.writeConcern;
  const unacknowledged = writeConcern?.w === 0;
  // A Db-like object without the driver's fields (a test double) is used as it is.
  if (typeof db.client?.db !== 'function' || (db.readPreference?.mode === 'primary' && !unacknowledged)) return db;
  const options: DbOptions & { readPreferenceTags?: unknown } = { ...db.options, readPreference: 'primary' };
  delete options.readPreferenceTags; // tags with primary are refused
  if (unacknowledged) options.writeConcern = { ...writeConcern, w: 1 };
  return db.client.db(db.databaseName, options);
}

/**
 * One store's view of its connection. `db` is available synchronously for
 * inputs that already hold a client (uri, client, db); promise inputs and
 * mongoose connections still opening are waited for, bounded by the
 * selection timeout.
 */
export class StoreConnection {
  /** True when this store created (and so shares and closes) the client. */
  readonly owned: boolean;
  /** Settles after the first connection attempt: null, or the error. Never rejects. */
  readonly firstAttempt: Promise<MongoSessionError | null>;
  #db: Db | undefined;
  #pending: Promise<Db> | undefined;
  #watcher: ClientWatcher | undefined;
  #shared: { key: string; entry: SharedClientEntry } | undefined;
  #closed = false;
  #openFailedBefore = false;

  constructor(
    private readonly input: ConnectionInput,
    private readonly databaseName: string | undefined,
    private readonly selectionTimeoutMs: number,
    private readonly events: ConnectionEvents,
  ) {
    this.owned = input.kind === 'uri';
    switch (input.kind) {
      case 'uri': {
        this.#shared = acquireSharedClient(input.uri, input.clientOptions);
        const client = this.#shared.entry.client as MongoClient;
        this.#useClient(client);
        this.firstAttempt = this.#settle(this.#shared.entry.firstConnect);
        break;
      }
      case 'client':
        this.#useClient(input.client);
        this.firstAttempt = this.#settle(input.client.connect());
        break;
      case 'db':
        this.#db = forSessions(input.db);
        this.#watch(input.db.client as unknown as ClientLike);
        this.firstAttempt = this.#settle(input.db.command({ ping: 1 }));
        break;
      default: {
        // A ping makes a client from a promise connect (the driver connects on first use).
        this.firstAttempt = this.#settle(this.#openLazy().then((db) => db.command({ ping: 1 })));
      }
    }
  }

  #useClient(client: MongoClient): void {
    this.#db = forSessions(client.db(this.databaseName));
    this.#watch(client as unknown as ClientLike);
  }

  #watch(client: ClientLike): void {
    this.#watcher = watcherFor(client);
    this.#watcher.subscribe(this.events);
  }

  #openLazy(): Promise<Db> {
    if (!this.#pending) {
      const input = this.input;
      const opening =
        input.kind === 'mongoose'
          ? openMongoose(input.connection, this.selectionTimeoutMs)
          : input.kind === 'clientPromise'
            ? withTimeout(Promise.resolve().then(input.get), this.selectionTimeoutMs, 'clientPromise to resolve')
            : Promise.reject(new Error(`unexpected input ${input.kind}`));
      this.#pending = opening.then(
        (client) => {
          if (this.#closed) throw new ConnectionError('The store was closed while its connection was opening.');
          if (input.kind === 'mongoose' && input.connection.db && this.databaseName === undefined) {
            this.#db = forSessions(input.connection.db);
            this.#watch(client as unknown as ClientLike);
          } else {
            this.#useClient(client);
          }
          if (this.#openFailedBefore) void this.#settle(this.#db!.command({ ping: 1 }));
          return this.#db!;
        },
        (error: unknown) => {
          // A later operation may try again (a serverless clientPromise function, a mongoose retry).
          this.#pending = undefined;
          this.#openFailedBefore = true;
          throw toStoreError(error, 'open the connection');
        },
      );
    }
    return this.#pending;
  }

  async #settle(attempt: Promise<unknown>): Promise<MongoSessionError | null> {
    try {
      await attempt;
      this.#watcher?.setConnected(true);
      return null;
    } catch (error) {
      const wrapped = toStoreError(error, 'connect');
      if (this.#watcher) this.#watcher.setConnected(false);
      else this.events.onDisconnect();
      return wrapped;
    }
  }

  /**
   * An operation found no server. Say `disconnect` now rather than at the
   * driver's next heartbeat (10 s by default): express-session and
   * koa-generic-session then stop waiting on the store, and the background
   * ping reports the recovery.
   */
  reportUnreachable(): void {
    if (!this.#closed && this.#watcher?.connected !== false) this.#watcher?.setConnected(false);
  }

  /** The Db if already known (the hot path), else undefined. */
  get dbNow(): Db | undefined {
    return this.#db;
  }

  db(): Promise<Db> {
    return this.#db ? Promise.resolve(this.#db) : this.#openLazy();
  }

  async collection<T extends Document>(name: string): Promise<Collection<T>> {
    const db = this.#db ?? (await this.#openLazy());
    return db.collection<T>(name);
  }

  /** A key naming this connection's client, for once-per-collection work. */
  get client(): object | undefined {
    return this.#watcher?.client;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher?.unsubscribe(this.events);
    if (this.#shared) await releaseSharedClient(this.#shared.key, this.#shared.entry);
  }
}
