/**
 * @mongo-session/express: an express-session Store (also for connect and
 * @fastify/session) over the core. It only translates express-session's
 * calling convention; MongoDB work is the core's.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import {
  addOwnerMethods,
  type DeviceRecord,
  describeDevice,
  type OwnerMethods,
  type Callback,
  callableClass,
  forwardEvents,
  InvalidOptionError,
  type SessionData,
  type SessionSnapshot,
  SessionStore,
  sameNames,
  type SessionStoreOptions,
  type StoreEventMap,
  withCallback,
} from '@mongo-session/core';
import { type ConnectMongoOptions, fromConnectMongo } from './connect-mongo';

/** express-session's `Store` constructor, by shape. */
export type FrameworkStore = abstract new () => EventEmitter;
/** What the factory accepts: the express-session module (or anything with its `Store`). */
export interface SessionModuleLike {
  Store?: FrameworkStore;
}

/** Options of `new MongoStore(...)`: the core's, plus connect-mongodb-session's names. */
export interface MongoStoreOptions extends SessionStoreOptions {
  /** connect-mongodb-session: the store lifetime in ms (same as `ttlMs`). */
  expires?: number;
  /** connect-mongodb-session: only the default `'_id'` is supported. */
  idField?: string;
  /** connect-mongodb-session: only the default `'expires'` is supported. */
  expiresKey?: string;
  /** connect-mongodb-session: only the default `0` is supported. */
  expiresAfterSeconds?: number;
  /**
   * Describes the device of a request that creates a session (user agent, address, …): kept with
   * the session and listed by `listByOwner`. A throw or a record the store cannot keep saves the
   * session without one (warning `DEVICE_FAILED`). express-session and connect only.
   */
  device?(req: IncomingMessage): DeviceRecord | undefined;
}

/** express-session types its callbacks' results with its own SessionData: accept any. */
type LooseCallback = (error: any, result?: any) => void;
type Sess = SessionData & { cookie?: { expires?: Date | string | null; maxAge?: number | null } };

/** express-session's Store when installed: resolved once, lazily optional. */
function loadFrameworkStore(): FrameworkStore | undefined {
  try {
    return (createRequire(import.meta.url)('express-session') as SessionModuleLike).Store;
  } catch {
    return undefined;
  }
}
/**
 * The store's events: the core's (`error` only while the app listens for it), plus connect-mongo's
 * `set` with the session id, right after each `create` or `update`.
 */
export type MongoStoreEvents = StoreEventMap & { set: [sessionId: string] };
const FrameworkBase = (loadFrameworkStore() ?? EventEmitter) as new () => EventEmitter<MongoStoreEvents>;

/** Snapshots read by `get`, keyed by the body it returned, then by the Session object built from it. */
const loadedBodies = new WeakMap<object, SessionSnapshot>();
const requestSnapshots = new WeakMap<object, SessionSnapshot>();
const FORWARDED = ['connect', 'disconnect', 'warning', 'touch', 'destroy', 'expired'] as const;
/** Core events a `set()` write ends with; each is followed by connect-mongo's `set`. */
const WRITTEN = ['create', 'update'] as const;
const LAZY_KEYS = ['cookie'] as const;
const DEVICE = Symbol('device');

export interface MongoStore extends OwnerMethods {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: addOwnerMethods (static block) puts these on the prototype.
export class MongoStore extends FrameworkBase {
  static {
    addOwnerMethods(MongoStore, (store) => store.core);
  }

  /** The core store doing the work. */
  readonly core: SessionStore;
  /** From express-session's Store (absent when express-session is not installed). */
  declare regenerate: (req: any, callback: (error?: any) => any) => void;
  /** From express-session's Store (absent when express-session is not installed). */
  declare load: (sid: string, callback: (error: any, session?: any) => any) => void;

  /** A store from connect-mongo 6 option names. */
  static create(options: ConnectMongoOptions): MongoStore {
    return new this(fromConnectMongo(options));
  }

  /** `callback` (connect-mongodb-session) fires once after the first connection attempt with null or the error. */
  constructor(options: MongoStoreOptions, callback?: (error: Error | null) => void) {
    super();
    const { expires, idField, expiresKey, expiresAfterSeconds, device, ...rest } = options ?? ({} as MongoStoreOptions);
    seedDefaultOnly('idField', idField, '_id');
    seedDefaultOnly('expiresKey', expiresKey, 'expires');
    seedDefaultOnly('expiresAfterSeconds', expiresAfterSeconds, 0);
    if (expires !== undefined && rest.ttlMs !== undefined) {
      throw new InvalidOptionError('expires', 'Options "expires" and "ttlMs" both set the lifetime; give only "ttlMs".');
    }
    if (device !== undefined && typeof device !== 'function') {
      throw new InvalidOptionError('device', 'Option "device" must be a function of the request that returns a device record.');
    }
    // Under a symbol, not a #field: a store made with `Object.create(store)` still reaches it.
    Object.defineProperty(this, DEVICE, { value: device });
    this.core = new SessionStore(expires === undefined ? rest : { ...rest, ttlMs: expires });
    this.core.on('error', (error) => {
      // Reaches the app only if it listens: an unhandled 'error' event would crash it.
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    forwardEvents(this.core, this, sameNames(...FORWARDED));
    const forwarding = new Set<string>();
    (this as EventEmitter).on('newListener', (name: string | symbol) => {
      if (typeof name !== 'string' || forwarding.has(name)) return;
      if (name === 'set' || (WRITTEN as readonly string[]).includes(name)) {
        // connect-mongo's `set` ("created OR updated"): right after `create` or `update`, with
        // the session id, whichever of the three was listened to first.
        forwarding.add('set');
        for (const written of WRITTEN) {
          forwarding.add(written);
          this.core.on(written, (id: string) => {
            this.emit(written, id);
            this.emit('set', id);
          });
        }
      }
    });
    if (typeof callback === 'function') withCallback(this.core.ready(), (error) => callback(error ?? null));
  }

  /** True while connected, false after `disconnect`, undefined before the first attempt ends. */
  get connected(): boolean | undefined {
    return this.core.connected;
  }

  get(sid: string, callback?: LooseCallback): Promise<SessionData | null> {
    const loaded = this.core.load(sid).then((found) => {
      if (!found) return null;
      loadedBodies.set(found.session, found.snapshot);
      return found.session;
    });
    return withCallback(loaded, callback);
  }

  set(sid: string, session: Sess, callback?: Callback<void>): Promise<void> {
    const snapshot = requestSnapshots.get(session);
    // express-session's own Session (it carries a hidden `req`) without a snapshot was never
    // read: a new or regenerated id. @fastify/session's sessions are whole writes.
    const isNew = !snapshot && typeof session === 'object' && session !== null && Object.hasOwn(session, 'req');
    const options = { ...expiryOf(session), snapshot, lazyKeys: LAZY_KEYS, isNew };
    const device = (this as unknown as Record<symbol, MongoStoreOptions['device']>)[DEVICE];
    const record =
      isNew && device ? describeDevice(this.core, () => device((session as { req: IncomingMessage }).req)) : undefined;
    return withCallback(this.core.set(sid, session, record ? { ...options, device: record } : options), callback);
  }

  /**
   * Log-in: moves `req.session` to a new id keeping its data (express-session's `regenerate()`
   * starts an empty session), so an id known before, such as one an attacker planted (session
   * fixation), reads nothing from now on. The stored session keeps its creation time (an
   * `absoluteTimeoutMs` never restarts) and device record; `req.session` gets a new cookie.
   * Needs express-session's middleware in front of this store.
   */
  regenerateKeepingData(req: any, callback?: Callback<void>): Promise<void> {
    return withCallback(regenerateKeepingData(this, req), callback);
  }

  touch(sid: string, session: Sess, callback?: Callback<void>): Promise<void> {
    const snapshot = requestSnapshots.get(session);
    return withCallback(this.core.touch(sid, { ...expiryOf(session), snapshot }), callback);
  }

  destroy(sid: string, callback?: Callback<void>): Promise<void> {
    return withCallback(this.core.destroy(sid), callback);
  }

  /** Every live session, as express-session's MemoryStore gives them: an object keyed by session id. */
  all(callback?: LooseCallback): Promise<Record<string, SessionData>> {
    const listed = this.core.all().then((list) => Object.fromEntries(list.map((s) => [s.id, s.session])));
    return withCallback(listed, callback);
  }

  length(callback?: Callback<number>): Promise<number> {
    return withCallback(this.core.length(), callback);
  }

  clear(callback?: Callback<void>): Promise<void> {
    return withCallback(this.core.clear(), callback);
  }

  close(callback?: Callback<void>): Promise<void> {
    return withCallback(this.core.close(), callback);
  }

  /** express-session builds the request's Session here: it inherits the snapshot `get` read for its body. */
  // Typed as express-session's (its Request and Session types are not ours to depend on).
  createSession(req: any, sess: any): any {
    const base = (Object.getPrototypeOf(MongoStore.prototype) as { createSession?: MongoStore['createSession'] }).createSession;
    if (typeof base !== 'function') throw new Error('createSession needs express-session: pass it to the factory or install it.');
    const snapshot = loadedBodies.get(sess);
    const session = base.call(this, req, sess);
    if (snapshot) requestSnapshots.set(session, snapshot);
    return session;
  }
}

async function regenerateKeepingData(
  store: MongoStore,
  req: { sessionID?: string; session?: Record<string, unknown> },
): Promise<void> {
  // express-session's middleware puts `generate` on the store it is given: a new id and Session on `req`.
  const generate = (store as { generate?: (req: unknown) => void }).generate;
  const oldId = req?.sessionID;
  const old = req?.session;
  if (typeof generate !== 'function' || typeof oldId !== 'string' || !old) {
    throw new Error('regenerateKeepingData(req) needs a request that went through express-session with this store.');
  }
  generate(req);
  const fresh = req.session!;
  for (const [key, value] of Object.entries(old)) if (key !== 'cookie') fresh[key] = value;
  try {
    // False: nothing was stored under the old id; the new session is saved as a new one.
    if (await store.core.regenerate(oldId, req.sessionID!)) {
      const loaded = await store.core.load(req.sessionID!);
      if (loaded) requestSnapshots.set(fresh, loaded.snapshot);
    }
  } catch (error) {
    [req.sessionID, req.session] = [oldId, old];
    throw error;
  }
}

function seedDefaultOnly(option: string, value: unknown, only: unknown): void {
  if (value === undefined || value === only) return;
  throw new InvalidOptionError(
    option,
    `Option "${option}" is only supported with its default (${JSON.stringify(only)}): documents use _id and a date "expires" ` +
      'with a TTL index at expiry. Remove the option; sessions in the old layout are still read.',
  );
}

/**
 * The cookie's expiry as write options. One the cookie cannot express (an Invalid Date,
 * a non-finite maxAge, as after `cookie.expires = new Date(NaN)`) leaves both out: the
 * session gets the store's lifetime (option `ttlMs`), like a cookie with no expiry,
 * rather than a rejection naming an option the app never set. Never throws.
 */
function expiryOf(session: Sess | undefined): { expires?: Date; ttlMs?: number } {
  const cookie = session?.cookie;
  const expires = cookie?.expires;
  if (expires) {
    const date = toDate(expires);
    if (date) return { expires: date };
  }
  const maxAge = cookie?.maxAge;
  return typeof maxAge === 'number' && Number.isFinite(maxAge) ? { ttlMs: maxAge } : {};
}

function toDate(value: unknown): Date | undefined {
  try {
    const date = value instanceof Date ? value : new Date(value as string);
    return Number.isNaN(date.getTime()) ? undefined : date;
  } catch {
    return undefined; // a value no Date can be made of (a Symbol, a throwing valueOf)
  }
}

/** `MongoDBStore` as connect-mongodb-session returns it: a class that may also be called without `new`. */
export interface MongoDBStoreConstructor {
  new (options: MongoStoreOptions, callback?: (error: Error | null) => void): MongoStore;
  (options: MongoStoreOptions, callback?: (error: Error | null) => void): MongoStore;
  readonly prototype: MongoStore;
  create(options: ConnectMongoOptions): MongoStore;
}

const constructors = new WeakMap<object, MongoDBStoreConstructor>();

function callable(cls: typeof MongoStore): MongoDBStoreConstructor {
  return callableClass(cls) as unknown as MongoDBStoreConstructor;
}

/**
 * connect-mongodb-session's factory: `require('@mongo-session/express')(session)`
 * returns the store class, built on that express-session's `Store`.
 */
function connectMongoDBSession(session?: SessionModuleLike): MongoDBStoreConstructor {
  const Store = session?.Store;
  const key: object = typeof Store === 'function' && (Store as unknown) !== FrameworkBase ? Store : MongoStore;
  let made = constructors.get(key);
  if (!made) {
    if (key === MongoStore) {
      made = callable(MongoStore);
    } else {
      // Another copy of express-session: its regenerate/load/createSession, our store.
      const theirs = (key as { prototype: Record<string, unknown> }).prototype;
      class MongoDBStore extends MongoStore {
        override createSession(req: any, sess: any): any {
          const snapshot = loadedBodies.get(sess);
          const created = (theirs['createSession'] as MongoStore['createSession']).call(this, req, sess);
          if (snapshot) requestSnapshots.set(created, snapshot);
          return created;
        }
      }
      for (const name of ['regenerate', 'load']) {
        if (typeof theirs[name] === 'function')
          Object.defineProperty(MongoDBStore.prototype, name, { value: theirs[name], writable: true, configurable: true });
      }
      made = callable(MongoDBStore);
    }
    constructors.set(key, made);
  }
  return made;
}

export interface ConnectMongoDBSession {
  (session?: SessionModuleLike): MongoDBStoreConstructor;
  MongoStore: typeof MongoStore;
  default: ConnectMongoDBSession;
}

const factory = connectMongoDBSession as ConnectMongoDBSession;
factory.MongoStore = MongoStore;
factory.default = factory;

export default factory;
export { factory as connectMongoDBSession };
// The core's error tree, warning codes and helpers, from every adapter (CommonJS too).
export * from '@mongo-session/core/adapter-exports';
export type { Callback, SessionData, SessionStoreOptions, StoreEventMap, StoredSession } from '@mongo-session/core';
export type { ConnectMongoCrypto, ConnectMongoOptions } from './connect-mongo';
