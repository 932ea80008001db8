/**
 * A MongoDB storage layer for koa-session-store 2.x (replaces koa-session-mongo).
 * It maps koa-session-mongo's options onto the core's and translates the
 * layer's `load` / `save` / `remove`; all MongoDB work is the core's.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Db } from 'mongodb';
import {
  addOwnerMethods,
  DeviceContext,
  type DeviceFunction,
  type OwnerMethods,
  forwardEvents,
  isSessionId,
  sameNames,
  WarningCode,
  emitWarning,
  InvalidOptionError,
  RequestReads,
  SerializationError,
  SessionStore,
  withCallback,
  type Callback,
  type MongooseConnectionLike,
  type SessionData,
  type SessionStoreOptions,
  type StoreEventMap,
  type StoreWarning,
} from '@mongo-session/core';

/** koa-session-mongo's options, plus the core options passed through unchanged. */
export interface CreateOptions extends Omit<SessionStoreOptions, 'db' | 'mongoose' | 'url' | 'ttlMs' | 'serializer'> {
  /** A database name, or a `Db` you own (then host, port, username, password and ssl are ignored). */
  db?: string | Db;
  /** Session lifetime in seconds, refreshed while the session is in use; default two weeks. */
  expirationTime?: number;
  /**
   * What the request says about the device, kept with each new session (`listByOwner` shows
   * it); needs `app.use(store.deviceContext())` before the session middleware. A throw saves
   * the session without one (warning `DEVICE_FAILED`).
   */
  device?: DeviceFunction<any>;
  /** Accepted for compatibility; the driver reconnects on its own (one warning). */
  auto_reconnect?: boolean;
  /** `mongodb://user:pass@host:port/database/collection`; wins over every option but `mongoose`. */
  url?: string;
  /** A mongoose Connection (`mongoose.connection`); wins over every other connection option. */
  mongoose?: MongooseConnectionLike;
}

const DEFAULT_HOST = '127.0.0.1';
const OTHER_INPUTS = ['uri', 'client', 'clientPromise', 'servers'] as const;
const FORWARDED = sameNames('connect', 'disconnect', 'error', 'warning', 'create', 'update', 'touch', 'destroy', 'expired');

/** Stores created by `create()` and not yet closed, for `closeConnections()`. */
const created = new Set<KoaSessionStoreLayer>();

export interface KoaSessionStoreLayer extends OwnerMethods {}
/** The storage layer koa-session-store calls: `load`, `save`, `remove`. */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: addOwnerMethods (static block) puts these on the prototype.
export class KoaSessionStoreLayer extends EventEmitter<StoreEventMap> {
  static {
    addOwnerMethods(KoaSessionStoreLayer, (store) => store.#core);
  }

  readonly #core: SessionStore<SessionData>;
  /** koa-session-store hands `save` only the id and a JSON string: what this request's `load` read. */
  readonly #reads = new RequestReads();
  readonly #device: DeviceFunction<any> | undefined;
  readonly #devices = new DeviceContext();

  constructor(options: CreateOptions = {}) {
    super();
    this.#device = options?.device;
    const { coreOptions, ignored, winner } = toCoreOptions(options);
    this.#core = construct(coreOptions, ignored, options);
    forwardEvents(this.#core, this, FORWARDED);
    if (ignored.length > 0) {
      const warning: StoreWarning = {
        code: WarningCode.IgnoredOptions,
        message: `Option(s) ${ignored.map((n) => `"${n}"`).join(', ')} ignored: "${winner}" takes precedence (mongoose > url > the rest).`,
      };
      setImmediate(() => emitWarning(this, warning));
    }
    created.add(this);
  }

  /**
   * The JSON string saved for `sid`, or undefined. Refreshes the expiry lazily (an active session stays).
   * A `_sid` the core cannot take as an id is stored under a digest of it (see {@link storageId}).
   */
  async load(sid: string): Promise<string | undefined> {
    const id = storageId(sid);
    const record = this.#reads.begin(id);
    const read = await this.#core.read(id);
    record.snapshot = read.snapshot;
    if (!read.session) return undefined;
    await this.#core.touch(id, { snapshot: read.snapshot });
    return JSON.stringify(read.session);
  }

  /** Saves the whole session (koa-session-store hands over a JSON string). */
  async save(sid: string, json: string): Promise<void> {
    let body: unknown;
    try {
      body = JSON.parse(json);
    } catch {
      throw new SerializationError('koa-session-store passed session data that is not valid JSON.');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SerializationError('koa-session-store passed session data that is not a JSON object.');
    }
    // Relative to what this request read: a write prepared before a revocation stays
    // dropped, while a log-in after it (same id: the cookie keeps it) replaces the tombstone.
    const id = storageId(sid);
    const snapshot = this.#reads.snapshotFor(id);
    // A device record is kept only by the write that creates the session: asked for when none was read.
    const device = snapshot?.createdAt ? undefined : this.#devices.describe(this.#core, this.#device);
    await this.#core.set(id, body as SessionData, { snapshot, ...(device ? { device } : {}) });
  }

  /** The Koa middleware that lets `device` see each request: `app.use(store.deviceContext())` before the session middleware. */
  deviceContext(): (ctx: object, next: () => Promise<unknown>) => Promise<unknown> {
    return this.#devices.middleware();
  }

  /** Removes the session. */
  async remove(sid: string): Promise<void> {
    await this.#core.destroy(storageId(sid));
  }

  /** Resolves once connected; rejects with the first connection error. */
  ready(callback?: Callback<void>): Promise<void> {
    return withCallback(this.#core.ready(), callback);
  }

  get connected(): boolean | undefined {
    return this.#core.connected;
  }

  /** Waits for writes in flight and releases the connection (a Db or mongoose connection you passed stays open). */
  close(callback?: Callback<void>): Promise<void> {
    created.delete(this);
    return withCallback(this.#core.close(), callback);
  }
}

/**
 * The id a session is stored under. With `signed: false` the `_sid` of koa-session-store's JSON
 * cookie is whatever the client sent, of any JSON type, and koa-session-store keeps it (it sends
 * a cookie only for ids it generated). A value the core cannot take as an id (not a string, over
 * 1024 characters, NUL, ...) is stored under a digest of it instead: that browser gets a new,
 * working session, as with any id an unsigned cookie names, never a 500 or another's session.
 */
function storageId(sid: unknown): string {
  if (isSessionId(sid)) return sid;
  let text: string;
  try {
    text = typeof sid === 'string' ? sid : `${typeof sid}:${JSON.stringify(sid) ?? String(sid)}`;
  } catch {
    text = `${typeof sid}:${String(sid)}`; // a BigInt, or a value JSON cannot take
  }
  return `refused-id:${createHash('sha256').update(text).digest('base64url')}`;
}

function toCoreOptions(options: CreateOptions): { coreOptions: SessionStoreOptions; ignored: string[]; winner: string } {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionError('options', 'create() takes an options object, e.g. { db: "app" }.');
  }
  const {
    expirationTime,
    auto_reconnect,
    mongoose,
    url,
    db,
    host,
    port,
    username,
    password,
    ssl,
    device: _device,
    ...rest
  } = options;
  const given = (entries: Record<string, unknown>) => Object.keys(entries).filter((k) => entries[k] !== undefined);
  const discrete = { host, port, username, password, ssl };
  const coreOptions: SessionStoreOptions = { ...rest };
  let ignored: string[] = [];
  let winner = '';
  if (mongoose !== undefined) {
    coreOptions.mongoose = mongoose;
    [ignored, winner] = [given({ url, db, ...discrete }), 'mongoose'];
  } else if (url !== undefined) {
    coreOptions.url = url;
    [ignored, winner] = [given({ db, ...discrete }), 'url'];
  } else if (db !== undefined && typeof db !== 'string') {
    coreOptions.db = db;
    [ignored, winner] = [given(discrete), 'db'];
  } else {
    Object.assign(coreOptions, { db, ...discrete });
    if (!OTHER_INPUTS.some((name) => rest[name] !== undefined)) coreOptions.host = host ?? DEFAULT_HOST;
  }
  if (expirationTime !== undefined) {
    if (typeof expirationTime !== 'number' || !Number.isFinite(expirationTime) || expirationTime <= 0) {
      throw new InvalidOptionError('expirationTime', 'Option "expirationTime" must be a positive number of seconds.');
    }
    coreOptions.ttlMs = expirationTime * 1000;
  }
  // The core maps legacy driver options and warns once that this one has no effect.
  if (auto_reconnect !== undefined) coreOptions.connectionOptions = { ...rest.connectionOptions, auto_reconnect };
  for (const name of Object.keys(coreOptions) as (keyof SessionStoreOptions)[]) {
    if (coreOptions[name] === undefined) delete coreOptions[name];
  }
  return { coreOptions, ignored, winner };
}

/** A collection named by `url` wins over `collection` (the seed's precedence): retried without it. */
function construct(coreOptions: SessionStoreOptions, ignored: string[], options: CreateOptions): SessionStore<SessionData> {
  try {
    return new SessionStore<SessionData>(coreOptions);
  } catch (error) {
    const urlWins = coreOptions.url !== undefined && options.collection !== undefined;
    if (!urlWins || (error as InvalidOptionError).option !== 'collection') throw error;
    const { collection: _dropped, ...withoutCollection } = coreOptions;
    ignored.push('collection');
    return new SessionStore<SessionData>(withoutCollection);
  }
}

/** A storage layer for koa-session-store's `store` option. */
export function create(options: CreateOptions = {}): KoaSessionStoreLayer {
  return new KoaSessionStoreLayer(options);
}

/** Closes every store `create()` made (connections you passed in stay open). */
export async function closeConnections(callback?: Callback<void>): Promise<void> {
  const closing = Promise.allSettled([...created].map((store) => store.close())).then(() => undefined);
  return withCallback(closing, callback);
}

export default { create, closeConnections };
export type { StoreEventMap, StoredSession } from '@mongo-session/core';

// The core's error tree, warning codes and helpers, from every adapter (CommonJS too).
export * from '@mongo-session/core/adapter-exports';
