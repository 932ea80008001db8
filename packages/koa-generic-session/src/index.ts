/**
 * A MongoDB store for koa-generic-session 2.x (replaces koa-mongodb-session).
 * It translates koa-generic-session's calling convention; all MongoDB work is
 * the core's.
 */
import { EventEmitter } from 'node:events';
import {
  ErrorCode,
  SessionStore,
  withCallback,
  type Callback,
  type SessionSnapshot,
  type SessionStoreOptions,
  type StoredSession,
} from '@mongo-session/core';

/** A koa-generic-session session object (its `cookie` included). */
export type KoaSession = Record<string, any>;

/**
 * Seed koa-mongodb-session's options (`uri`, `collection`) plus every core
 * option, passed through unchanged.
 */
export type MongoDBStoreOptions = SessionStoreOptions<KoaSession>;

/** Events re-emitted from the core store. */
const FORWARDED = new Set<string | symbol>(['connect', 'disconnect', 'error', 'warning', 'create', 'update', 'touch', 'destroy']);

class MongoDBStoreImpl extends EventEmitter {
  readonly #core: SessionStore<KoaSession>;
  /** What `get` read, keyed by the object it returned: koa-generic-session hands that object back to `set`. */
  readonly #snapshots = new WeakMap<object, SessionSnapshot>();

  constructor(options: MongoDBStoreOptions, callback?: Callback<void>) {
    super();
    this.#core = new SessionStore<KoaSession>(options);
    // Forward a core event once someone listens for it here, so that without
    // listeners the core keeps its own behaviour (errors unemitted, warnings
    // as process warnings once).
    const forwarding = new Set<string | symbol>();
    this.on('newListener', (event: string | symbol) => {
      if (!FORWARDED.has(event) || forwarding.has(event)) return;
      forwarding.add(event);
      this.#core.on(event as 'connect', (...args: unknown[]) => {
        if (this.listenerCount(event) > 0) this.emit(event, ...args);
        else if (event === 'warning') process.emitWarning(String((args[0] as { message?: unknown })?.message));
      });
    });
    // Seed behaviour: the callback fires once after the first connection attempt, with null or the error.
    if (typeof callback === 'function') void withCallback(this.#core.ready(), callback).catch(() => undefined);
  }

  /** The session stored under `sid`, or null. */
  async get(sid: string): Promise<KoaSession | null> {
    // A cookie value the store cannot take as an id (too long, NUL, ...) is the client's
    // doing: no session, so koa-generic-session starts a new one with a new id.
    const loaded = await this.#core.load(sid).catch((error: unknown) => {
      if ((error as { code?: unknown })?.code === ErrorCode.InvalidSessionId) return null;
      throw error;
    });
    if (!loaded) return null;
    this.#snapshots.set(loaded.session, loaded.snapshot);
    return loaded.session;
  }

  /**
   * Stores `sess` for `ttlMs` milliseconds (the core's `ttlMs` when absent; 0 or
   * less deletes). An object `get` returned is written relative to what was read.
   */
  async set(sid: string, sess: KoaSession, ttlMs?: number): Promise<void> {
    const snapshot = sess !== null && typeof sess === 'object' ? this.#snapshots.get(sess) : undefined;
    const ttl = typeof ttlMs === 'number' && !Number.isNaN(ttlMs) ? { ttlMs } : {};
    // An unchanged (`rolling`) save is a lazy touch; the core keeps its window under half this ttl.
    // Without a snapshot the session was generated in this request (isNew: one insert).
    await this.#core.set(sid, sess, { ...ttl, snapshot, isNew: !snapshot });
  }

  async destroy(sid: string): Promise<void> {
    await this.#core.destroy(sid);
  }

  /** Resolves once connected; rejects with the first connection error. */
  ready(callback?: Callback<void>): Promise<void> {
    return withCallback(this.#core.ready(), callback);
  }

  /** True while connected, false after `disconnect`, undefined before the first attempt ends. */
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

  /** The live sessions of one owner (option `owner`): `[{ id, session, expires }]`, ids as stored (hashed with `hashSessionIds`). */
  listByOwner(owner: string, callback?: Callback<StoredSession<KoaSession>[]>): Promise<StoredSession<KoaSession>[]> {
    return this.#core.listByOwner(owner, callback);
  }

  countByOwner(owner: string, callback?: Callback<number>): Promise<number> {
    return this.#core.countByOwner(owner, callback);
  }

  /** "Log out everywhere": revokes every session of one owner; resolves to how many. */
  destroyByOwner(owner: string, callback?: Callback<number>): Promise<number> {
    return this.#core.destroyByOwner(owner, callback);
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

export const MongoDBStore = new Proxy(MongoDBStoreImpl, {
  apply: (target, _this, args: [MongoDBStoreOptions, Callback<void>?]) => new target(...args),
}) as unknown as MongoDBStoreConstructor;

export default MongoDBStore;
export type { StoredSession } from '@mongo-session/core';
