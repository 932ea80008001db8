/**
 * A MongoDB store for koa-session 7 (`store` option). It translates
 * koa-session's calling convention onto @mongo-session/core; all MongoDB work
 * is the core's.
 */
import {
  addOwnerMethods,
  type DeviceRecord,
  describeDevice,
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
  /**
   * Describes the device of a request that creates a session (user agent, address, …): kept with
   * the session and listed by `listByOwner`. A throw or a record the store cannot keep saves the
   * session without one (warning `DEVICE_FAILED`).
   */
  device?(ctx: any): DeviceRecord | undefined;
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
  readonly #device: KoaStoreOptions['device'];
  /** Requests inside {@link KoaSessionStore.regenerate}; then the id koa-session's `destroy` gave up, until its `set`. */
  readonly #rotating = new WeakMap<object, string | undefined>();

  constructor(options: KoaStoreOptions) {
    const { sessionCookieTtlMs, device, ...coreOptions } = options ?? ({} as KoaStoreOptions);
    if (device !== undefined && typeof device !== 'function') {
      throw new InvalidOptionError(
        'device',
        'Option "device" must be a function of the Koa context that returns a device record.',
      );
    }
    this.#device = device;
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
  async get(key: string, maxAge?: number | 'session', options?: KoaStoreCallOptions): Promise<SessionData | null> {
    // A cookie value the store cannot take as an id is the client's doing: a new session.
    const loaded: LoadedSession | null = isSessionId(key) ? await this.core.load(key) : null;
    // koa-session saves unchanged sessions only with `rolling` / `renew`: under an idle timeout
    // each read is a (lazy) touch, so a session in use is never taken for an idle one.
    if (loaded && this.core.options.idleTimeoutMs !== undefined) {
      await this.core.touch(key, { ttlMs: this.#lifetime(maxAge), snapshot: loaded.snapshot });
    }
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
    const ttlMs = this.#lifetime(maxAge);
    const expires = new Date(Date.now() + ttlMs);
    const ctx = options?.ctx && typeof options.ctx === 'object' ? options.ctx : undefined;
    const from = ctx ? this.#rotating.get(ctx) : undefined;
    if (ctx && from !== undefined) {
      // The `set` of a rotation (see regenerate): the stored session moves to the new key first.
      this.#rotating.set(ctx, undefined);
      const loaded = (await this.core.regenerate(from, key)) ? await this.core.load(key) : null;
      if (loaded) this.#loaded.set(ctx, loaded);
    }
    const loaded = ctx ? this.#loaded.get(ctx) : undefined;
    const snapshot = loaded !== undefined && loaded.snapshot.id === key ? loaded.snapshot : undefined;
    // Nothing was read for this key in this request: koa-session generated it.
    if (!snapshot) {
      const device = this.#device;
      const create = { expires, isNew: true };
      const record = ctx && device ? describeDevice(this.core, () => device(ctx)) : undefined;
      return this.core.set(key, sess, record ? { ...create, device: record } : create);
    }
    // A touch must come early enough that the stored `_expire` never lapses while
    // the session is in use: skipped only while half the cookie's lifetime remains. The
    // core's own cap (half the stored lifetime) is not enough here: koa-session stores
    // for its cookie's maxAge plus 10 s, so with a maxAge under 10 s `_expire` would lapse.
    const lifetime = typeof sess['_maxAge'] === 'number' ? sess['_maxAge'] : ttlMs;
    const touchAfterMs = Math.min(this.core.options.touchAfterMs, lifetime / 2);
    // Only `_expire` / `_maxAge` changed: the core skips the write until the touch is due.
    await this.core.set(key, sess, { expires, snapshot, lazyKeys: LAZY_KEYS, touchAfterMs });
  }

  /** Called by koa-session for `ctx.session = null` and `regenerate()`. */
  async destroy(key: string, options?: KoaStoreCallOptions): Promise<void> {
    const ctx = options?.ctx;
    if (ctx && typeof ctx === 'object') {
      // Inside regenerate(ctx), a session read in this request is moved by the `set` that follows, not removed.
      if (this.#rotating.has(ctx) && this.#loaded.get(ctx)?.snapshot.id === key) {
        this.#rotating.set(ctx, key);
        this.#loaded.delete(ctx);
        return;
      }
      this.#loaded.delete(ctx);
    }
    if (isSessionId(key)) await this.core.destroy(key);
  }

  /**
   * Log-in: `await store.regenerate(ctx)` moves the session to a new id, keeping its data, so an
   * id known before, such as one an attacker planted (session fixation), reads nothing from now
   * on. koa-session's own `ctx.session.regenerate()` does the work (a new key from `genid`, the
   * cookie); the store moves the stored session in one step (core `regenerate`): the old id is
   * revoked at once, and the session keeps its creation time (an `absoluteTimeoutMs` never
   * restarts) and device record.
   */
  async regenerate(ctx: object): Promise<void> {
    const session = (ctx as { session?: { regenerate?: () => Promise<void> | undefined } | null } | null)?.session;
    if (!session || typeof session.regenerate !== 'function') {
      throw new Error('regenerate(ctx) needs a Koa context with koa-session in front of this store.');
    }
    this.#rotating.set(ctx, undefined);
    try {
      await session.regenerate();
    } finally {
      const left = this.#rotating.get(ctx);
      this.#rotating.delete(ctx);
      // koa-session gave up the old key but saved nothing under a new one: it must still go.
      if (left !== undefined) await this.core.destroy(left);
    }
  }

  #lifetime(maxAge: number | 'session' | undefined): number {
    return typeof maxAge === 'number' ? maxAge : maxAge === 'session' ? this.sessionCookieTtlMs : this.core.options.ttlMs;
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

  // Events are the core's: connect, disconnect, error, warning, create, update, touch, destroy, expired.
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
