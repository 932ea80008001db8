/**
 * A MongoDB store for koa-generic-session 2.x (replaces koa-mongodb-session).
 * It translates koa-generic-session's calling convention; all MongoDB work is
 * the core's.
 */
import { EventEmitter } from 'node:events';
import {
  addOwnerMethods,
  type OwnerMethods,
  ConnectionError,
  callableClass,
  isSessionId,
  type ForwardedEvents,
  forwardEvents,
  sameNames,
  RequestReads,
  SessionStore,
  withCallback,
  type Callback,
  type SessionSnapshot,
  type SessionStoreOptions,
  DeviceContext,
  type DeviceFunction,
  type StoreEventMap,
} from '@mongo-session/core';

/** A koa-generic-session session object (its `cookie` included). */
export type KoaSession = Record<string, any>;

/**
 * koa-mongodb-session's options (`uri`, `collection`) plus every core option, passed through
 * unchanged, and `device`.
 */
export type MongoDBStoreOptions = SessionStoreOptions<KoaSession> & {
  /**
   * What the request says about the device, kept with each new session (`listByOwner` shows
   * it); needs `app.use(store.deviceContext())` before the session middleware. A throw saves
   * the session without one (warning `DEVICE_FAILED`).
   */
  device?: DeviceFunction<any>;
};

/**
 * This store's events, each with the core event it re-emits. The core's `disconnect` is
 * re-emitted as `unavailable` and never as `disconnect`: koa-generic-session 2.3.1 answers a
 * store's `disconnect` with a promise that rejects after its `reconnectTimeout` and that only a
 * request arriving meanwhile awaits, so a quiet outage (or a start while the server is down)
 * ended the app with an unhandled rejection. Its listener cannot be told apart from an app's
 * (both are plain `on('disconnect', fn)` calls), so the event has a name it does not listen to;
 * `connect` only ever tells it "available", which it already assumes.
 */
const FORWARDED: ForwardedEvents = {
  ...sameNames('connect', 'error', 'warning', 'create', 'update', 'touch', 'destroy', 'expired'),
  unavailable: 'disconnect',
};

const UNAVAILABLE_MESSAGE =
  'No MongoDB server is reachable (the store emitted `unavailable`): sessions fail at once until it emits `connect`.';

/** This store's events: the core's, with `unavailable` in place of `disconnect` (see FORWARDED). */
export type MongoDBStoreEvents = Omit<StoreEventMap, 'disconnect'> & { unavailable: [] };

// biome-ignore lint/correctness/noUnusedVariables: it declares the owner methods of the class below.
interface MongoDBStoreImpl extends OwnerMethods<KoaSession> {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: addOwnerMethods (static block) puts these on the prototype.
class MongoDBStoreImpl extends EventEmitter<MongoDBStoreEvents> {
  static {
    addOwnerMethods(MongoDBStoreImpl, (store) => store.#core);
  }

  readonly #core: SessionStore<KoaSession>;
  /** What `get` read, keyed by the object it returned: koa-generic-session hands that object back to `set`. */
  readonly #snapshots = new WeakMap<object, SessionSnapshot>();
  /** What this request's `get` read, for a `set` of an object the app assigned in its place. */
  readonly #reads = new RequestReads();
  readonly #device: DeviceFunction<any> | undefined;
  readonly #devices = new DeviceContext();
  /** Whether the core tells a recovery by itself; see {@link MongoDBStoreImpl.#failWhileUnavailable}. */
  #recoveryReported: boolean;

  constructor(options: MongoDBStoreOptions, callback?: Callback<void>) {
    super();
    // `device` is this adapter's; anything that is no options object is the core's to refuse.
    const { device, ...coreOptions } = options !== null && typeof options === 'object' ? options : { device: undefined };
    this.#device = device;
    this.#core = new SessionStore<KoaSession>(options !== null && typeof options === 'object' ? coreOptions : options);
    // The core pings in the background and emits `connect` once it is back for a client it
    // watches: from the start for uri / client / db, and once opened for a clientPromise or a
    // mongoose connection. One that never opened is retried only by the next operation.
    const kind = this.#core.options.connection.kind;
    this.#recoveryReported = kind === 'uri' || kind === 'client' || kind === 'db';
    if (!this.#recoveryReported) this.#core.once('connect', () => (this.#recoveryReported = true));
    forwardEvents(this.#core, this, FORWARDED);
    // As koa-mongodb-session did: the callback fires once after the first connection attempt, with null or the error.
    if (typeof callback === 'function') void withCallback(this.#core.ready(), callback).catch(() => undefined);
  }

  /**
   * What koa-generic-session's own `reconnectTimeout` state did, without its timer: while
   * the core knows no server is reachable (after `unavailable`, until the `connect` its
   * background ping reports), a request's store call fails at once instead of waiting out a
   * server selection. Before the first attempt ends, once closed, and while only an operation
   * can find the server again (a clientPromise or mongoose input that never opened), the core decides.
   */
  #failWhileUnavailable(): void {
    if (this.#core.connected === false && this.#recoveryReported && !this.#core.closed)
      throw new ConnectionError(UNAVAILABLE_MESSAGE);
  }

  /** The session stored under `sid`, or null. */
  async get(sid: string): Promise<KoaSession | null> {
    this.#failWhileUnavailable();
    const record = this.#reads.begin(sid);
    // A cookie value the store cannot take as an id (too long, NUL, ...) is the client's
    // doing: no session, so koa-generic-session starts a new one with a new id.
    const loaded = isSessionId(sid) ? await this.#core.load(sid) : null;
    if (!loaded) return null;
    record.snapshot = loaded.snapshot;
    this.#snapshots.set(loaded.session, loaded.snapshot);
    return loaded.session;
  }

  /**
   * Stores `sess` for `ttlMs` milliseconds (the core's `ttlMs` when absent; 0 or
   * less deletes). An object `get` returned is written relative to what was read.
   */
  async set(sid: string, sess: KoaSession, ttlMs?: number): Promise<void> {
    this.#failWhileUnavailable();
    // The object `get` returned, or one the app assigned in its place after reading this id.
    const snapshot =
      (sess !== null && typeof sess === 'object' ? this.#snapshots.get(sess) : undefined) ?? this.#reads.snapshotFor(sid);
    const ttl = typeof ttlMs === 'number' && !Number.isNaN(ttlMs) ? { ttlMs } : {};
    // An unchanged (`rolling`) save is a lazy touch; the core keeps its window under half this ttl.
    // Without a snapshot the session was generated in this request (isNew: one insert).
    const device = snapshot ? undefined : this.#devices.describe(this.#core, this.#device);
    await this.#core.set(sid, sess, { ...ttl, snapshot, isNew: !snapshot, ...(device ? { device } : {}) });
  }

  /** The Koa middleware that lets `device` see each request: `app.use(store.deviceContext())` before the session middleware. */
  deviceContext(): (ctx: object, next: () => Promise<unknown>) => Promise<unknown> {
    return this.#devices.middleware();
  }

  async destroy(sid: string): Promise<void> {
    this.#failWhileUnavailable();
    await this.#core.destroy(sid);
  }

  /** Resolves once connected; rejects with the first connection error. */
  ready(callback?: Callback<void>): Promise<void> {
    return withCallback(this.#core.ready(), callback);
  }

  /** True while connected, false after `unavailable`, undefined before the first attempt ends. */
  get connected(): boolean | undefined {
    return this.#core.connected;
  }

  /** Waits for writes in flight and releases the connection (a client you passed stays open). */
  close(callback?: Callback<void>): Promise<void> {
    return withCallback(this.#core.close(), callback);
  }

  /** Deletes every session in the collection. */
  clear(callback?: Callback<void>): Promise<void> {
    return withCallback(this.#core.clear(), callback);
  }

  /** The number of live sessions. */
  length(callback?: Callback<number>): Promise<number> {
    return withCallback(this.#core.length(), callback);
  }
}

Object.defineProperty(MongoDBStoreImpl, 'name', { value: 'MongoDBStore' });

/** A MongoDBStore instance. */
export type MongoDBStore = MongoDBStoreImpl;

/** The class; callable without `new` as the seed allowed. */
export interface MongoDBStoreConstructor {
  new (options: MongoDBStoreOptions, callback?: Callback<void>): MongoDBStore;
  (options: MongoDBStoreOptions, callback?: Callback<void>): MongoDBStore;
  readonly prototype: MongoDBStore;
}

export const MongoDBStore = callableClass(MongoDBStoreImpl) as unknown as MongoDBStoreConstructor;

export default MongoDBStore;
export type { StoredSession } from '@mongo-session/core';

// The core's error tree, warning codes and helpers, from every adapter (CommonJS too).
export * from '@mongo-session/core/adapter-exports';
