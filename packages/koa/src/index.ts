/**
 * A MongoDB store for koa-session 7 (`store` option). It translates
 * koa-session's calling convention onto @mongo-session/core; all MongoDB work
 * is the core's.
 */
import {
  addOwnerMethods,
  type OwnerMethods,
  isSessionId,
  SessionStore,
  type LoadedSession,
  type SessionData,
  type SessionStoreOptions,
  type StoreEventMap,
  InvalidOptionError,
} from '@mongo-session/core';

const DAY = 24 * 60 * 60 * 1000;
/** koa-session's own bookkeeping keys: their change alone is a (lazy) touch. */
const LAZY_KEYS = Object.freeze(['_expire', '_maxAge']);

export interface KoaStoreOptions extends SessionStoreOptions {
  /** Server-side lifetime of a session whose cookie has `maxAge: 'session'`, in ms; default one day. */
  sessionCookieTtlMs?: number;
}

/** What koa-session passes as the last argument of `get` / `set` / `destroy`. */
export interface KoaStoreCallOptions {
  ctx?: object;
  rolling?: boolean;
  changed?: boolean;
}

type Listener<E extends keyof StoreEventMap> = (...args: StoreEventMap[E]) => void;

export interface KoaSessionStore extends OwnerMethods {}
/** The object given to koa-session's `store` option. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: addOwnerMethods (static block) puts these on the prototype.
export class KoaSessionStore {
  static {
    addOwnerMethods(KoaSessionStore, (store) => store.core);
  }

  /** The core store underneath (for `all()`, `length()`, `clear()`, ...). */
  readonly core: SessionStore;
  readonly sessionCookieTtlMs: number;
  /** What `get` read in each request, so that `set` writes relative to it. */
  readonly #loaded = new WeakMap<object, LoadedSession>();

  constructor(options: KoaStoreOptions) {
    const { sessionCookieTtlMs, ...coreOptions } = options ?? ({} as KoaStoreOptions);
    if (
      sessionCookieTtlMs !== undefined &&
      !(typeof sessionCookieTtlMs === 'number' && Number.isFinite(sessionCookieTtlMs) && sessionCookieTtlMs > 0)
    ) {
      throw new InvalidOptionError(
        'sessionCookieTtlMs',
        'Option "sessionCookieTtlMs" must be a positive, finite number of milliseconds.',
      );
    }
    this.sessionCookieTtlMs = sessionCookieTtlMs ?? DAY;
    this.core = new SessionStore(coreOptions);
  }

  /** Called by koa-session at the start of a request. Resolves the session or null. */
  async get(key: string, _maxAge?: number | 'session', options?: KoaStoreCallOptions): Promise<SessionData | null> {
    // A cookie value the store cannot take as an id is the client's doing: a new session.
    const loaded: LoadedSession | null = isSessionId(key) ? await this.core.load(key) : null;
    const ctx = options?.ctx;
    if (ctx && typeof ctx === 'object') {
      if (loaded) this.#loaded.set(ctx, loaded);
      else this.#loaded.delete(ctx);
    }
    return loaded ? loaded.session : null;
  }

  /**
   * Called by koa-session to save. `maxAge` is the cookie's plus 10 s, or `'session'`.
   * `changed: false` (rolling, renew, forced saves) writes lazily.
   */
  async set(key: string, sess: SessionData, maxAge?: number | 'session', options?: KoaStoreCallOptions): Promise<void> {
    const ttlMs = typeof maxAge === 'number' ? maxAge : maxAge === 'session' ? this.sessionCookieTtlMs : this.core.options.ttlMs;
    const expires = new Date(Date.now() + ttlMs);
    const ctx = options?.ctx;
    const loaded = ctx && typeof ctx === 'object' ? this.#loaded.get(ctx) : undefined;
    const snapshot = loaded !== undefined && loaded.snapshot.id === key ? loaded.snapshot : undefined;
    // Nothing was read for this key in this request: koa-session generated it.
    if (!snapshot) return this.core.set(key, sess, { expires, isNew: true });
    // A touch must come early enough that the stored `_expire` never lapses while
    // the session is in use: skipped only while half the cookie's lifetime remains.
    const lifetime = typeof sess['_maxAge'] === 'number' ? sess['_maxAge'] : ttlMs;
    const touchAfterMs = Math.min(this.core.options.touchAfterMs, lifetime / 2);
    // Only `_expire` / `_maxAge` changed: the core skips the write until the touch is due.
    await this.core.set(key, sess, { expires, snapshot, lazyKeys: LAZY_KEYS, touchAfterMs });
  }

  /** Called by koa-session for `ctx.session = null` and `regenerate()`. */
  async destroy(key: string, options?: KoaStoreCallOptions): Promise<void> {
    const ctx = options?.ctx;
    if (ctx && typeof ctx === 'object') this.#loaded.delete(ctx);
    if (isSessionId(key)) await this.core.destroy(key);
  }

  /** Resolves once connected; rejects with the first connection error. */
  ready(): Promise<void> {
    return this.core.ready();
  }

  /** Waits for writes in flight and releases the connection (a client you passed in stays open). */
  close(): Promise<void> {
    return this.core.close();
  }

  get connected(): boolean | undefined {
    return this.core.connected;
  }

  // Events are the core's: connect, disconnect, error, warning, create, update, touch, destroy.
  on<E extends keyof StoreEventMap>(event: E, listener: Listener<E>): this {
    this.core.on(event, listener as never);
    return this;
  }

  once<E extends keyof StoreEventMap>(event: E, listener: Listener<E>): this {
    this.core.once(event, listener as never);
    return this;
  }

  off<E extends keyof StoreEventMap>(event: E, listener: Listener<E>): this {
    this.core.off(event, listener as never);
    return this;
  }

  removeListener<E extends keyof StoreEventMap>(event: E, listener: Listener<E>): this {
    return this.off(event, listener);
  }
}

/** Creates the store for koa-session's `store` option. */
export function createStore(options: KoaStoreOptions): KoaSessionStore {
  return new KoaSessionStore(options);
}

export default createStore;
export type { SessionData, StoreEventMap, StoredSession } from '@mongo-session/core';

// The core's error tree, warning codes and helpers, from every adapter (CommonJS too).
export * from '@mongo-session/core/adapter-exports';
