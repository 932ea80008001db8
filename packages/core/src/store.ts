/**
 * The session store every adapter wraps. All MongoDB work happens here.
 *
 * Document (format version 1):
 *   { _id: <session id>, session: <body>, expires: Date, createdAt: Date, updatedAt: Date, v: 1 }
 * The body sits in its own field so user keys never collide with ours.
 */
import { EventEmitter } from 'node:events';
import type { Collection, Document, UpdateFilter } from 'mongodb';
import { type Callback, splitCallback, withCallback } from './callback';
import { StoreConnection } from './connection';
import { CorruptDocumentError, decodeBody, encodeBody, encodedEqual, MAX_BSON_SIZE, type EncodedBody } from './encoding';
import {
  InvalidOptionError,
  InvalidSessionIdError,
  type MongoSessionError,
  SerializationError,
  StoreClosedError,
  describeValue,
  toStoreError,
} from './errors';
import { resolveOptions, type ResolvedOptions, type SessionData, type SessionStoreOptions, type StoreWarning } from './options';
import { globalState } from './registry';

export const FORMAT_VERSION = 1;
const MAX_ID_LENGTH = 1024;

/** The stored document, as this version writes it. */
export interface SessionDocument {
  _id: string;
  session: unknown;
  expires: Date;
  createdAt: Date;
  updatedAt: Date;
  v: number;
}

/** A warning event's payload. Never contains session data or session ids. */
export type { StoreWarning };

export interface StoreEventMap {
  connect: [];
  disconnect: [];
  error: [MongoSessionError];
  warning: [StoreWarning];
  create: [sessionId: string];
  update: [sessionId: string];
  touch: [sessionId: string];
  destroy: [sessionId: string];
}

type StoredFormat = 'lossless' | 'json' | 'custom' | 'foreign';

/**
 * What a `load` read, handed back to `set` / `touch` so they write only what
 * changed and skip touches that are not due. Opaque to adapters apart from
 * the fields below.
 */
export class SessionSnapshot {
  /** @internal The stored body as read (lossless: the encoded subdocument; json/custom: the stored value). */
  readonly stored: unknown;
  /** @internal How the body was stored. */
  readonly format: StoredFormat;

  constructor(
    readonly id: string,
    /** The stored expiry; moves forward when a touch through this snapshot writes. */
    public expires: Date,
    readonly createdAt: Date | undefined,
    stored: unknown,
    format: StoredFormat,
  ) {
    this.stored = stored;
    this.format = format;
  }
}

export interface LoadedSession<Body = SessionData> {
  session: Body;
  snapshot: SessionSnapshot;
}

/** One entry of `all()`. */
export interface StoredSession<Body = SessionData> {
  id: string;
  session: Body;
  expires: Date;
}

export interface WriteOptions {
  /** Absolute expiry; at or before now the document is deleted. */
  expires?: Date;
  /** Lifetime from now, in ms; used when `expires` is absent. 0 or less deletes. */
  ttlMs?: number;
  /** What `load` returned: writes become relative to it, and never upsert. */
  snapshot?: SessionSnapshot | undefined;
  /**
   * Top-level keys whose change alone does not call for a write (express-session's
   * `cookie`): if nothing else changed the call is a lazy touch. They are written
   * along whenever the document is written.
   */
  lazyKeys?: readonly string[];
  /**
   * This call's touch window, for callers whose lifetime per call is shorter than the
   * store's (a touch not yet due must never let an active session lapse); default the
   * store's `touchAfterMs`.
   */
  touchAfterMs?: number;
}

export class SessionStore<Body extends object = SessionData> extends EventEmitter<StoreEventMap> {
  readonly options: ResolvedOptions<Body>;
  readonly #connection: StoreConnection;
  readonly #setup: Promise<MongoSessionError | null>;
  readonly #inflight = new Set<Promise<unknown>>();
  /** The last write queued per session id; see {@link SessionStore.#serialize}. */
  readonly #writeQueues = new Map<string, Promise<unknown>>();
  #indexesReady: Promise<void> | undefined;
  #cleanupTimer: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #connected: boolean | undefined;

  constructor(options: SessionStoreOptions<Body>) {
    super();
    this.options = resolveOptions(options);
    const { connection, databaseName, selectionTimeoutMs } = this.options;
    this.#connection = new StoreConnection(connection, databaseName, selectionTimeoutMs, {
      onConnect: () => this.#onConnect(),
      onDisconnect: () => this.#onDisconnect(),
    });
    // Warnings found while reading options reach listeners attached right after construction.
    if (this.options.warnings.length > 0) setImmediate(() => this.options.warnings.forEach((w) => this.#warn(w)));
    this.#setup = this.#connection.firstAttempt.then(async (error) => {
      if (error) {
        this.#emitError(error);
        return error;
      }
      await this.#ensureIndexes().catch(() => undefined);
      return null;
    });
    globalState().stores.add(this);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Resolves once connected and indexed; rejects with the first connection attempt's error. */
  ready(callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#setup.then((error) => {
        if (error) throw error;
      }),
      callback,
    );
  }

  /** True while a server is selectable, false after `disconnect`, undefined before the first attempt ends. */
  get connected(): boolean | undefined {
    return this.#connected;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Waits for writes in flight and setup in flight, stops cleanup, and releases
   * the client (closing it only if this library created it and no other store uses it).
   */
  close(callback?: Callback<void>): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#cleanupTimer);
      this.#cleanupTimer = undefined;
      await Promise.allSettled([...this.#inflight]);
      // Index setup waits on the server; bounded by selection, never left racing a closed client.
      await this.#setup;
      await this.#indexesReady?.catch(() => undefined);
      globalState().stores.delete(this);
      await this.#connection.close();
    })();
    return withCallback(this.#closing, callback);
  }

  #onConnect(): void {
    if (this.#connected === true || this.closed) return;
    this.#connected = true;
    this.emit('connect');
    // Index setup that failed while the server was away is retried now.
    if (!this.#indexesReady) void this.#ensureIndexes().catch(() => undefined);
  }

  #onDisconnect(): void {
    if (this.#connected === false || this.closed) return;
    this.#connected = false;
    this.emit('disconnect');
  }

  #emitError(error: MongoSessionError): void {
    // An unhandled 'error' event would crash the app: emit only to listeners.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #warn(warning: StoreWarning): void {
    if (this.listenerCount('warning') > 0) {
      this.emit('warning', warning);
      return;
    }
    const warned = globalState().warned;
    if (warned.has(warning.code)) return;
    warned.add(warning.code);
    process.emitWarning(warning.message, { type: 'MongoSessionWarning', code: warning.code });
  }

  // ---------------------------------------------------------------- reads

  /** The session body, or null when absent, expired or unreadable. */
  get(id: string, callback?: Callback<Body | null>): Promise<Body | null> {
    return withCallback(
      this.load(id).then((loaded) => (loaded ? loaded.session : null)),
      callback,
    );
  }

  /** The session and a snapshot for relative writes, or null. */
  load(id: string, callback?: Callback<LoadedSession<Body> | null>): Promise<LoadedSession<Body> | null> {
    return withCallback(
      this.#run('read the session', async (col) => {
        checkId(id);
        const doc = await col.findOne({ _id: { $eq: id } });
        return doc ? this.#decode(doc) : null;
      }),
      callback,
    );
  }

  /** Every live session: `[{ id, session, expires }]`. Unreadable documents are skipped with a warning. */
  all(callback?: Callback<StoredSession<Body>[]>): Promise<StoredSession<Body>[]> {
    return withCallback(
      this.#run('list sessions', async (col) => {
        const docs = await col.find({ expires: { $gt: new Date() } }).toArray();
        const out: StoredSession<Body>[] = [];
        for (const doc of docs) {
          const loaded = this.#decode(doc);
          if (loaded) out.push({ id: loaded.snapshot.id, session: loaded.session, expires: loaded.snapshot.expires });
        }
        return out;
      }),
      callback,
    );
  }

  /** How many sessions are live (expired documents not yet removed are not counted). */
  length(callback?: Callback<number>): Promise<number> {
    return withCallback(
      this.#run('count sessions', (col) => col.countDocuments({ expires: { $gt: new Date() } })),
      callback,
    );
  }

  #decode(doc: Document): LoadedSession<Body> | null {
    const expires = doc['expires'];
    if (!(expires instanceof Date) || Number.isNaN(expires.getTime())) {
      this.#corrupt('its "expires" field is not a date');
      return null;
    }
    if (expires.getTime() <= Date.now()) return null;
    const id = doc['_id'];
    if (typeof id !== 'string') return null;
    const stored = doc['session'];
    const version = doc['v'];
    let format: StoredFormat;
    let session: unknown;
    try {
      if (version === undefined) {
        // Written by connect-mongo (a JSON string) or connect-mongodb-session (BSON): read as is.
        format = 'foreign';
        session = typeof stored === 'string' ? JSON.parse(stored) : stored;
      } else if (version !== FORMAT_VERSION) {
        this.#corrupt(`its format version is unknown to this release (v = ${describeValue(version)})`);
        return null;
      } else if (typeof this.options.serializer === 'object') {
        format = 'custom';
        session = this.options.serializer.deserialize(stored);
      } else if (typeof stored === 'string') {
        format = 'json';
        session = JSON.parse(stored);
      } else {
        format = 'lossless';
        session = decodeBody(stored);
      }
    } catch (error) {
      this.#corrupt(error instanceof CorruptDocumentError ? error.message : 'its session body could not be decoded');
      return null;
    }
    if (session === null || typeof session !== 'object' || Array.isArray(session)) {
      this.#corrupt('its session body is not an object');
      return null;
    }
    const createdAt = doc['createdAt'] instanceof Date ? doc['createdAt'] : undefined;
    return { session: session as Body, snapshot: new SessionSnapshot(id, expires, createdAt, stored, format) };
  }

  #corrupt(reason: string): void {
    this.#warn({ code: 'CORRUPT_DOCUMENT', message: `A stored session was ignored because ${reason}.` });
  }

  // ---------------------------------------------------------------- writes

  /**
   * Stores a session. With a snapshot, writes only the top-level keys that
   * changed and never upserts: a write landing after a concurrent destroy is
   * dropped (warning `WRITE_AFTER_DESTROY`) instead of resurrecting the session.
   */
  set(id: string, session: Body, options?: WriteOptions | Callback<void>, callback?: Callback<void>): Promise<void> {
    const [opts, cb] = splitCallback(options, callback);
    return withCallback(
      this.#run('save the session', async (col) => {
        checkId(id);
        // Encode first: a body that cannot be stored fails before any query and holds up no queue.
        const stored = this.#encode(session);
        return this.#serialize(id, () => this.#save(col, id, stored, opts));
      }),
      cb,
    );
  }

  async #save(col: Collection<SessionDocument>, id: string, stored: unknown, opts: WriteOptions | undefined): Promise<void> {
    const expires = expiryOf(opts, this.options.ttlMs);
    if (expires.getTime() <= Date.now()) return this.#delete(col, id);
    const snapshot = opts?.snapshot?.id === id ? opts.snapshot : undefined;
    if (snapshot?.format === 'lossless' && this.options.serializer === 'lossless') {
      return this.#writeChanges(col, snapshot, stored as EncodedBody, expires, opts);
    }
    if (snapshot && snapshot.format !== 'foreign' && snapshot.format !== 'lossless' && encodedEqual(snapshot.stored, stored)) {
      return this.#touch(col, snapshot, expires, opts?.touchAfterMs);
    }
    const now = new Date();
    const fields = { session: stored, expires, updatedAt: now, v: FORMAT_VERSION };
    if (snapshot) {
      // Read before: rewrite whole (another format, or the first write over a foreign document), never upsert.
      const result = await col.updateOne({ _id: { $eq: id } }, { $set: fields });
      return this.#afterRelativeWrite(result.matchedCount, snapshot, expires, 'update');
    }
    const result = await col.updateOne({ _id: id }, { $set: fields, $setOnInsert: { createdAt: now } }, { upsert: true });
    this.emit(result.upsertedCount > 0 ? 'create' : 'update', id);
  }

  /**
   * Extends a session's expiry. With a snapshot the write is skipped while the
   * stored expiry is within `touchAfterMs` of the new one (the invariant:
   * stored expires >= requested - touchAfterMs). Never creates a document.
   */
  touch(id: string, options?: WriteOptions | Callback<void>, callback?: Callback<void>): Promise<void> {
    const [opts, cb] = splitCallback(options, callback);
    return withCallback(
      this.#run('touch the session', async (col) => {
        checkId(id);
        const expires = expiryOf(opts, this.options.ttlMs);
        const snapshot = opts?.snapshot?.id === id ? opts.snapshot : undefined;
        if (snapshot && expires.getTime() > Date.now() && this.#touchNotDue(snapshot, expires, opts?.touchAfterMs)) return;
        return this.#serialize(id, async () => {
          if (expires.getTime() <= Date.now()) return this.#delete(col, id);
          if (snapshot) return this.#touch(col, snapshot, expires, opts?.touchAfterMs);
          const result = await col.updateOne({ _id: { $eq: id } }, { $set: { expires } });
          if (result.matchedCount > 0) this.emit('touch', id);
        });
      }),
      cb,
    );
  }

  destroy(id: string, callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#run('destroy the session', async (col) => {
        checkId(id);
        await this.#serialize(id, () => this.#delete(col, id));
      }),
      callback,
    );
  }

  /** Deletes every session in the collection. */
  clear(callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#run('clear sessions', async (col) => {
        await col.deleteMany({});
      }),
      callback,
    );
  }

  async #delete(col: Collection<SessionDocument>, id: string): Promise<void> {
    await col.deleteOne({ _id: { $eq: id } });
    this.emit('destroy', id);
  }

  #encode(session: Body): unknown {
    const serializer = this.options.serializer;
    if (serializer === 'lossless') return encodeBody(session);
    let stored: unknown;
    try {
      stored = serializer === 'json' ? JSON.stringify(session) : serializer.serialize(session);
    } catch (error) {
      const kind = error instanceof TypeError && /BigInt/i.test(error.message) ? 'a BigInt' : 'a circular reference or an unserializable value';
      throw new SerializationError(`The session body could not be serialized: it contains ${kind}.`);
    }
    if (typeof stored === 'string' && stored.length * 3 > MAX_BSON_SIZE && Buffer.byteLength(stored) > MAX_BSON_SIZE - 4096) {
      throw new SerializationError("The serialized session body is larger than MongoDB's 16 MiB document limit.");
    }
    if (stored === undefined) throw new SerializationError('The serializer returned undefined for a session body.');
    return stored;
  }

  async #writeChanges(
    col: Collection<SessionDocument>,
    snapshot: SessionSnapshot,
    next: EncodedBody,
    expires: Date,
    opts: WriteOptions | undefined,
  ): Promise<void> {
    const lazyKeys = opts?.lazyKeys;
    const previous = snapshot.stored as EncodedBody;
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    let dataChanged = false;
    let lazyChanged = false;
    const lazy = lazyKeys && lazyKeys.length > 0 ? new Set(lazyKeys) : undefined;
    for (const key of Object.keys(next)) {
      if (Object.prototype.hasOwnProperty.call(previous, key) && encodedEqual(previous[key], next[key])) continue;
      set[`session.${key}`] = next[key];
      if (lazy?.has(key)) lazyChanged = true;
      else dataChanged = true;
    }
    for (const key of Object.keys(previous)) {
      if (Object.prototype.hasOwnProperty.call(next, key)) continue;
      unset[`session.${key}`] = '';
      if (lazy?.has(key)) lazyChanged = true;
      else dataChanged = true;
    }
    if (!dataChanged) {
      if (!lazyChanged || this.#touchNotDue(snapshot, expires, opts?.touchAfterMs)) {
        return this.#touch(col, snapshot, expires, opts?.touchAfterMs);
      }
    }
    const update: UpdateFilter<SessionDocument> = { $set: { ...set, expires, ...(dataChanged ? { updatedAt: new Date() } : {}) } };
    if (Object.keys(unset).length > 0) update.$unset = unset;
    const result = await col.updateOne({ _id: { $eq: snapshot.id } }, update);
    this.#afterRelativeWrite(result.matchedCount, snapshot, expires, dataChanged ? 'update' : 'touch');
  }

  #touchNotDue(snapshot: SessionSnapshot, expires: Date, touchAfterMs = this.options.touchAfterMs): boolean {
    return snapshot.expires.getTime() >= expires.getTime() - touchAfterMs;
  }

  async #touch(col: Collection<SessionDocument>, snapshot: SessionSnapshot, expires: Date, touchAfterMs?: number): Promise<void> {
    if (this.#touchNotDue(snapshot, expires, touchAfterMs)) return;
    const result = await col.updateOne({ _id: { $eq: snapshot.id } }, { $set: { expires } });
    this.#afterRelativeWrite(result.matchedCount, snapshot, expires, 'touch');
  }

  #afterRelativeWrite(matched: number, snapshot: SessionSnapshot, expires: Date, event: 'update' | 'touch'): void {
    if (matched === 0) {
      this.#warn({
        code: 'WRITE_AFTER_DESTROY',
        message: 'A session write was dropped because the session was destroyed or expired after it was read.',
      });
      return;
    }
    snapshot.expires = expires;
    this.emit(event, snapshot.id);
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * Runs writes to one session id one after another within this process.
   * mongod applies each update atomically anyway; some compatible servers
   * (FerretDB 1.x on SQLite) read-modify-write documents without isolation
   * and would lose concurrent per-key updates. Writes to different sessions
   * are not ordered against each other.
   */
  #serialize<T>(id: string, write: () => Promise<T>): Promise<T> {
    const previous = this.#writeQueues.get(id);
    const next = previous ? previous.then(write, write) : write();
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

  /** Runs one operation: closed check, connection wait, error wrapping, tracking for close(). */
  #run<T>(action: string, operation: (col: Collection<SessionDocument>) => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new StoreClosedError());
    const db = this.#connection.dbNow;
    const started = db
      ? operation(db.collection<SessionDocument>(this.options.collection))
      : this.#connection.collection<SessionDocument>(this.options.collection).then(operation);
    const tracked = started.catch((error: unknown) => {
      throw toStoreError(error, action);
    });
    this.#inflight.add(tracked);
    const untrack = () => this.#inflight.delete(tracked);
    tracked.then(untrack, untrack);
    return tracked;
  }

  // ---------------------------------------------------------------- expiry

  #ensureIndexes(): Promise<void> {
    if (this.#indexesReady) return this.#indexesReady;
    const client = this.#connection.client;
    const setups = globalState().indexSetups;
    const perClient = client ? (setups.get(client) ?? new Map<string, Promise<unknown>>()) : new Map();
    if (client) setups.set(client, perClient);
    const key = `${this.#connection.dbNow?.databaseName ?? ''}/${this.options.collection}/${this.options.autoRemove}`;
    let setup = perClient.get(key) as Promise<'native' | 'interval' | 'disabled'> | undefined;
    if (!setup) {
      setup = this.#createExpiryIndex();
      perClient.set(key, setup);
      // A failed setup (server away) is forgotten so the next connect retries it.
      setup.catch(() => perClient.delete(key));
    }
    const ready = setup.then((mode) => {
      if (mode === 'interval') this.#startCleanup();
    });
    this.#indexesReady = ready;
    ready.catch(() => {
      if (this.#indexesReady === ready) this.#indexesReady = undefined;
    });
    return ready;
  }

  async #createExpiryIndex(): Promise<'native' | 'interval' | 'disabled'> {
    const mode = this.options.autoRemove;
    if (mode === 'disabled') return 'disabled';
    const col = await this.#connection.collection<SessionDocument>(this.options.collection);
    const name = col.collectionName;
    if (mode === 'native') {
      try {
        await col.createIndex({ expires: 1 }, { expireAfterSeconds: 0 });
        return 'native';
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 85 || code === 86) {
          this.#warn({
            code: 'TTL_INDEX_CONFLICT',
            message:
              `Collection "${name}" already has an index on { expires: 1 } with other options, so no TTL index was created ` +
              'and expired sessions are removed by a periodic sweep instead. To use native expiry, run: ' +
              `db.runCommand({ collMod: "${name}", index: { keyPattern: { expires: 1 }, expireAfterSeconds: 0 } })`,
          });
          return 'interval';
        }
        if (code === 238 || code === 115 || code === 13) {
          this.#warn({
            code: 'TTL_INDEX_UNAVAILABLE',
            message:
              `The server refused a TTL index on collection "${name}" (code ${code}); expired sessions are removed ` +
              `by a sweep every ${this.options.cleanupIntervalMs} ms instead. Set autoRemove: 'interval' to silence this warning.`,
          });
        } else {
          throw error;
        }
      }
    }
    try {
      await col.createIndex({ expires: 1 });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // An existing TTL index on the field serves the sweep just as well.
      if (code !== 85 && code !== 86 && code !== 13) throw error;
    }
    return 'interval';
  }

  #startCleanup(): void {
    if (this.#cleanupTimer || this.closed) return;
    this.#cleanupTimer = setInterval(() => void this.sweepExpired().catch(() => undefined), this.options.cleanupIntervalMs);
    this.#cleanupTimer.unref();
  }

  /** Deletes expired documents now; what the interval sweep runs. Resolves to the number deleted. */
  sweepExpired(callback?: Callback<number>): Promise<number> {
    return withCallback(
      this.#run('remove expired sessions', async (col) => {
        const result = await col.deleteMany({ expires: { $lte: new Date() } });
        return result.deletedCount;
      }),
      callback,
    );
  }
}

function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string') {
    throw new InvalidSessionIdError(`A session id must be a string; received ${describeValue(id)}.`);
  }
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidSessionIdError(
      `A session id must have 1 to ${MAX_ID_LENGTH} characters; received ${id.length}.`,
    );
  }
  if (id.includes('\u0000')) throw new InvalidSessionIdError('A session id cannot contain a NUL character.');
}

function expiryOf(options: WriteOptions | undefined, defaultTtlMs: number): Date {
  const expires = options?.expires;
  if (expires !== undefined) {
    if (!(expires instanceof Date) || Number.isNaN(expires.getTime())) {
      throw new InvalidOptionError('expires', `Option "expires" must be a valid Date; received ${describeValue(expires)}.`);
    }
    return expires;
  }
  const ttlMs = options?.ttlMs;
  if (ttlMs !== undefined) {
    if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs)) {
      throw new InvalidOptionError('ttlMs', `Option "ttlMs" must be a number of milliseconds; received ${describeValue(ttlMs)}.`);
    }
    return new Date(Date.now() + Math.min(ttlMs, 8.64e15 - Date.now()));
  }
  return new Date(Date.now() + defaultTtlMs);
}
