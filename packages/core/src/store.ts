/**
 * The session store every adapter wraps. All MongoDB work happens here.
 *
 * Document (format version 1):
 *   { _id: <session id>, session: <body>, expires: Date, createdAt: Date, updatedAt: Date, v: 1, owner?: string }
 * The body sits in its own field so user keys never collide with ours. With
 * `hashSessionIds` the `_id` is a keyed hash of the session id; with `crypto`
 * each top-level value of the body (or the whole body, for whole-document
 * serializers) is an encrypted envelope. `destroyByOwner` leaves tombstones
 * `{ _id, revoked: true, revokedAt, session: null, expires }` that live as long as
 * the revoked session could have: no write prepared before the revocation can
 * bring it back, however late it lands. Only a write that read the tombstone
 * itself (a new log-in by a browser that keeps its id) replaces it.
 */
import { EventEmitter } from 'node:events';
import type { Collection, Document, UpdateFilter } from 'mongodb';
import { type Callback, splitCallback, withCallback } from './callback';
import { StoreConnection } from './connection';
import { ServerCode, duplicateKeyIndex, serverCodeOf } from './server-codes';
import {
  decodePeer,
  encodePeer,
  KrupteinCipher,
  PEER_ONLY_FIELDS,
  PEER_SHAPES,
  PeerDecryptionError,
  peerExpiry,
  peerShapeOf,
  touchPeer,
  type PeerShape,
} from './peers';
import { createIndexes, missingIndexes, type ExpiryMode, type IndexOutcome, type IndexPlan } from './indexes';
import { Deadline } from './deadline';
import { DecryptionError, SessionCipher, SessionIdHasher, WHOLE_BODY, sealedBodySize } from './crypto';
import { CorruptDocumentError, decodeBody, encodeBody, encodedEqual, MAX_BODY_SIZE, MAX_BSON_SIZE, type EncodedBody } from './encoding';
import {
  ConnectionError,
  InvalidArgumentError,
  InvalidOptionError,
  InvalidSessionIdError,
  type MongoSessionError,
  OperationError,
  SerializationError,
  StoreClosedError,
  describeValue,
  isUnreachableError,
  toStoreError,
} from './errors';
import { resolveOptions, type ResolvedOptions, type SessionData, type SessionStoreOptions, type StoreWarning } from './options';
import { globalState } from './registry';

export const FORMAT_VERSION = 1;
const MAX_ID_LENGTH = 1024;
// Filters use `{ _id: id }`, not `{ _id: { $eq: id } }`: checkId() admits only strings, so no
// operator can reach them, and FerretDB 1.x finds a document by _id quickly only in that form.
/**
 * The driver looks array field names up in a plain `{}` of raw fields, so an array under
 * a key such as `constructor` or `toString` comes back as raw BSON bytes; an empty
 * null-prototype map avoids that.
 */
const READ_OPTIONS = Object.freeze({ fieldsAsRaw: Object.create(null) as Record<string, boolean> });

/** The stored document, as this version writes it. */
export interface SessionDocument {
  _id: string;
  session: unknown;
  expires: Date;
  createdAt: Date;
  updatedAt: Date;
  v: number;
  /** With the `owner` option. */
  owner?: string;
  /** A tombstone left by `destroyByOwner`. */
  revoked?: true;
  /** When it was revoked: names the tombstone a new log-in replaces. */
  revokedAt?: Date;
  /** Written with `crypto`: the body is sealed even when it has no value to show it (`{}`). */
  sealed?: true;
}

/** Owner queries skip tombstones. */
const NOT_REVOKED = { revoked: { $ne: true } } as const;
/**
 * Writes filter by a plain `{ _id }`, the one filter every server (FerretDB 1.x included)
 * resolves by index, and let the update itself fail on a tombstone. Its `session` is null,
 * so a per-key write (`$set: { 'session.k': … }`) fails with PathNotViable. A touch onto a
 * tombstone only moves its expiry.
 */
/**
 * Every write relative to what was read carries `$pop: { revoked: 1 }`: a no-op on a
 * live document, which has no `revoked` field, and TypeMismatch on a tombstone, whose
 * `revoked` is `true`. So a touch or write prepared before a revocation neither revives
 * the session nor stretches its tombstone.
 */
// The driver's types allow $pop on array fields only; failing on the boolean is the point.
const REFUSE_TOMBSTONE = { $pop: { revoked: 1 } } as unknown as UpdateFilter<SessionDocument>;

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

/**
 * How a body was stored; `peer`: by another session store (see peers.ts); `absent`:
 * nothing live was there when read (see {@link SessionStore.read}).
 */
type StoredFormat = 'lossless' | 'json' | 'custom' | 'peer' | 'absent';

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
  /** @internal The document `_id` (the hashed id with `hashSessionIds`). */
  readonly documentId: string;
  /** @internal The stored `owner` field. */
  owner: string | undefined;
  /** @internal Some value is in clear or under an older key: the next write re-encrypts the whole body. */
  reseal: boolean;
  /** @internal What was read was a tombstone revoked at this time. */
  readonly revokedAt: Date | undefined;
  /** @internal A peer document's shape: written back in it until `adoptPeerDocuments`. */
  readonly peerShape: PeerShape | undefined;

  constructor(
    readonly id: string,
    /** The stored expiry; moves forward when a touch through this snapshot writes. */
    public expires: Date,
    readonly createdAt: Date | undefined,
    stored: unknown,
    format: StoredFormat,
    storage: { documentId?: string; owner?: string | undefined; reseal?: boolean; revokedAt?: Date | undefined; peerShape?: PeerShape } = {},
  ) {
    this.stored = stored;
    this.format = format;
    this.documentId = storage.documentId ?? id;
    this.owner = storage.owner;
    this.reseal = storage.reseal ?? false;
    this.revokedAt = storage.revokedAt;
    this.peerShape = storage.peerShape;
  }
}

/** What {@link SessionStore.read} found: the session or null, and always a snapshot to write relative to. */
export interface ReadSession<Body = SessionData> {
  session: Body | null;
  snapshot: SessionSnapshot;
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
  /**
   * What `load` or `read` returned: writes become relative to it. A snapshot of a session
   * never upserts (a write after a destroy or revocation is dropped); a snapshot of
   * nothing (`read` found no session) writes a new one, replacing the tombstone it read.
   */
  snapshot?: SessionSnapshot | undefined;
  /**
   * Top-level keys whose change alone does not call for a write (express-session's
   * `cookie`): if nothing else changed the call is a lazy touch. They are written
   * along whenever the document is written.
   */
  lazyKeys?: readonly string[];
  /**
   * The caller just generated this id, so no document should exist: written with one
   * `insert` (cheaper than an upsert on some servers). Should one exist after all, the
   * write falls back to the usual upsert.
   */
  isNew?: boolean;
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
  /** Operations whose MongoDB work has not settled, those past their deadline included. */
  #pending = 0;
  /** The last write queued per session id; see {@link SessionStore.#serialize}. */
  readonly #writeQueues = new Map<string, Promise<unknown>>();
  #indexesReady: Promise<IndexOutcome> | undefined;
  #expiryMode: ExpiryMode | undefined;
  #maintenanceTimer: NodeJS.Timeout | undefined;
  #maintaining: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #connected: boolean | undefined;
  readonly #cipher: SessionCipher | undefined;
  readonly #hasher: SessionIdHasher | undefined;
  readonly #kruptein: KrupteinCipher | undefined;
  /** The peer shape new sessions are written in (see peers.ts), until `adoptPeerDocuments`. */
  #newShape: PeerShape | undefined;
  /** Settles once the collection was looked at for peer documents (new sessions wait for it). */
  readonly #peerShapeKnown: Promise<unknown>;

  constructor(options: SessionStoreOptions<Body>) {
    super();
    this.options = resolveOptions(options);
    this.#cipher = this.options.crypto && new SessionCipher(this.options.crypto.secrets);
    this.#hasher = this.options.hashSessionIds && new SessionIdHasher(this.options.hashSessionIds.secret);
    this.#kruptein = this.options.peerCrypto && new KrupteinCipher(this.options.peerCrypto);
    const { peerFormat, adoptPeerDocuments } = this.options;
    this.#newShape = peerFormat && !adoptPeerDocuments ? PEER_SHAPES[peerFormat] : undefined;
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
      // A refused index reaches ready() and `error` listeners; the store still works (with a sweep).
      const outcome = await this.#ensureIndexes().catch(() => undefined);
      await this.#detectPeerShape().catch(() => undefined);
      return outcome?.error ?? null;
    });
    this.#peerShapeKnown = this.#setup;
    globalState().stores.add(this);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Resolves once connected and indexed; rejects with the first connection attempt's error, or an index the server refused. */
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

  /** Operations whose MongoDB work has not settled yet (those past their deadline included); at most `maxPendingOperations`. */
  get pendingOperations(): number {
    return this.#pending;
  }

  /**
   * Waits for writes in flight and setup in flight, stops cleanup, and releases
   * the client (closing it only if this library created it and no other store uses it).
   */
  close(callback?: Callback<void>): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#maintenanceTimer);
      this.#maintenanceTimer = undefined;
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
    // Index setup that failed while the server was away is retried now; a server
    // that came back may have come back without them.
    if (!this.#indexesReady) void this.#ensureIndexes().catch(() => undefined);
    else void this.#maintain(false);
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
        const doc = await col.findOne({ _id: this.#documentId(id) }, READ_OPTIONS);
        return doc ? this.#decode(doc, id) : null;
      }),
      callback,
    );
  }

  /**
   * Like `load`, but with a snapshot even when there is no session. Adapters whose
   * framework keeps a session id after its session is gone (koa-session-store) pass it
   * to `set`: then a new log-in under a revoked id can replace the tombstone, while a
   * write prepared before the revocation still cannot.
   */
  read(id: string, callback?: Callback<ReadSession<Body>>): Promise<ReadSession<Body>> {
    return withCallback(
      this.#run('read the session', async (col) => {
        checkId(id);
        const documentId = this.#documentId(id);
        const doc = await col.findOne({ _id: documentId }, READ_OPTIONS);
        const loaded = doc ? this.#decode(doc, id) : null;
        if (loaded) return loaded;
        const revokedAt = doc?.['revoked'] === true && doc['revokedAt'] instanceof Date ? doc['revokedAt'] : undefined;
        return { session: null, snapshot: new SessionSnapshot(id, new Date(0), undefined, undefined, 'absent', { documentId, revokedAt }) };
      }),
      callback,
    );
  }

  /**
   * Every live session: `[{ id, session, expires }]` (ids as stored: hashed with
   * `hashSessionIds`). Unreadable documents are skipped with a warning.
   */
  all(callback?: Callback<StoredSession<Body>[]>): Promise<StoredSession<Body>[]> {
    return withCallback(
      this.#run('list sessions', COLLECTION_WIDE, (col) => this.#list(col, {})),
      callback,
    );
  }

  /** How many sessions are live (expired documents not yet removed are not counted). */
  length(callback?: Callback<number>): Promise<number> {
    return withCallback(
      this.#run('count sessions', COLLECTION_WIDE, (col) => this.#count(col, {})),
      callback,
    );
  }

  /** The live documents this store can read, decoded one at a time. */
  async *#readable(col: Collection<SessionDocument>, filter: Document): AsyncGenerator<LoadedSession<Body>> {
    for await (const doc of col.find(liveFilter(filter), READ_OPTIONS)) {
      const loaded = typeof doc._id === 'string' ? this.#decode(doc, doc._id) : null;
      if (loaded) yield loaded;
    }
  }

  async #list(col: Collection<SessionDocument>, filter: Document): Promise<StoredSession<Body>[]> {
    const out: StoredSession<Body>[] = [];
    for await (const { session, snapshot } of this.#readable(col, filter)) {
      out.push({ id: snapshot.id, session, expires: snapshot.expires });
    }
    return out;
  }

  /**
   * Counts what `#list` would return: a document this store cannot read (encrypted with a
   * retired key, in clear under `crypto`, corrupt) is no session, so it is not counted.
   */
  async #count(col: Collection<SessionDocument>, filter: Document): Promise<number> {
    let count = 0;
    for await (const _ of this.#readable(col, filter)) count++;
    return count;
  }

  #decode(doc: Document, id: string): LoadedSession<Body> | null {
    if (doc['revoked'] === true) return null;
    const version = doc['v'];
    const peerShape = version === undefined ? peerShapeOf(doc) : undefined;
    const expires = peerShape ? peerExpiry(peerShape, doc, this.options.ttlMs) : doc['expires'];
    if (!(expires instanceof Date) || Number.isNaN(expires.getTime())) {
      this.#corrupt(peerShape === 'blob' ? 'its "updatedAt" field is not a date' : 'its "expires" field is not a date');
      return null;
    }
    if (expires.getTime() <= Date.now()) return null;
    const documentId = doc['_id'];
    if (typeof documentId !== 'string') return null;
    const createdAt = doc['createdAt'] instanceof Date ? doc['createdAt'] : undefined;
    const owner = typeof doc['owner'] === 'string' ? doc['owner'] : undefined;
    if (peerShape) return this.#decodePeer(doc, id, peerShape, expires, { documentId, owner, createdAt });
    let stored = doc['session'];
    let reseal = false;
    if (this.#cipher) {
      try {
        ({ stored, reseal } = this.#open(stored, documentId, doc['sealed'] === true));
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        this.#warn({ code: 'DECRYPTION_FAILED', message: `A stored session was ignored because ${error.message}.` });
        return null;
      }
    }
    let format: StoredFormat;
    let session: unknown;
    try {
      if (version !== FORMAT_VERSION) {
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
    return {
      session: session as Body,
      snapshot: new SessionSnapshot(id, expires, createdAt, stored, format, { documentId, owner, reseal }),
    };
  }

  /** A document another session store wrote (see peers.ts): read as it is, remembered by shape. */
  #decodePeer(
    doc: Document,
    id: string,
    shape: PeerShape,
    expires: Date,
    storage: { documentId: string; owner: string | undefined; createdAt: Date | undefined },
  ): LoadedSession<Body> | null {
    const kruptein = this.#kruptein;
    const sealedByPeer = shape === 'json' && kruptein !== undefined && KrupteinCipher.looksEncrypted(doc['session'] as string);
    // Under our encryption a body in clear is refused whoever wrote it (else anyone who can write could plant one).
    if (this.#cipher && !this.options.crypto?.acceptUnencrypted && !sealedByPeer) {
      this.#warn({ code: 'DECRYPTION_FAILED', message: 'A stored session was ignored because it is not encrypted (set crypto.acceptUnencrypted to read such sessions).' });
      return null;
    }
    let session: unknown;
    try {
      session = decodePeer(shape, doc, kruptein);
    } catch (error) {
      if (error instanceof PeerDecryptionError) {
        this.#warn({ code: 'DECRYPTION_FAILED', message: `A stored session was ignored because ${error.message}.` });
      } else {
        this.#corrupt(`its ${shape === 'blob' ? '"blob"' : 'session'} could not be decoded`);
      }
      return null;
    }
    if (session === null || typeof session !== 'object' || Array.isArray(session)) {
      this.#corrupt('its session body is not an object');
      return null;
    }
    return {
      session: session as Body,
      snapshot: new SessionSnapshot(id, expires, storage.createdAt, session, 'peer', { ...storage, peerShape: shape }),
    };
  }

  /** Decrypts a stored body: one envelope (whole-body serializers) or one per top-level value. */
  #open(stored: unknown, documentId: string, markedSealed: boolean): { stored: unknown; reseal: boolean } {
    const cipher = this.#cipher!;
    if (SessionCipher.isEnvelope(stored)) {
      const { value, current } = cipher.decrypt(stored, documentId, WHOLE_BODY);
      return { stored: value, reseal: !current };
    }
    const inClear = () => {
      if (!this.options.crypto?.acceptUnencrypted) {
        throw new DecryptionError('it is not encrypted (set crypto.acceptUnencrypted to read such sessions)');
      }
      return { stored, reseal: true };
    };
    if (stored === null || typeof stored !== 'object' || Array.isArray(stored) || stored instanceof Date) return inClear();
    const values = stored as Record<string, unknown>;
    const keys = Object.keys(values);
    // An empty body shows no envelope: only the document's mark says it was sealed.
    if (keys.length === 0 ? !markedSealed : !keys.some((key) => SessionCipher.isEnvelope(values[key]))) return inClear();
    const opened: EncodedBody = {};
    let reseal = false;
    for (const key of keys) {
      const { value, current } = cipher.decrypt(values[key], documentId, key);
      opened[key] = value;
      if (!current) reseal = true;
    }
    return { stored: opened, reseal };
  }

  /** Encrypts a body about to be written whole (identity without `crypto`). */
  #seal(stored: unknown, documentId: string): unknown {
    const cipher = this.#cipher;
    if (!cipher) return stored;
    if (this.options.serializer !== 'lossless') return cipher.encrypt(stored, documentId, WHOLE_BODY);
    const sealed: EncodedBody = {};
    for (const [key, value] of Object.entries(stored as EncodedBody)) sealed[key] = cipher.encrypt(value, documentId, key);
    return sealed;
  }

  #documentId(id: string): string {
    return this.#hasher ? this.#hasher.hash(id) : id;
  }

  /** The owner of a body about to be written; checked, since it comes from application code. */
  #ownerOf(session: Body): string | undefined {
    const ownerOf = this.options.owner;
    if (!ownerOf) return undefined;
    let owner: unknown;
    try {
      owner = ownerOf(session);
    } catch (error) {
      throw new InvalidOptionError('owner', 'Option "owner" threw while naming the owner of a session.', {
        cause: error instanceof Error ? new Error(error.name) : undefined,
      });
    }
    if (owner === undefined || owner === null) return undefined;
    if (typeof owner !== 'string' || owner.length === 0 || owner.length > MAX_ID_LENGTH) {
      throw new InvalidOptionError(
        'owner',
        `Option "owner" must return a string of 1 to ${MAX_ID_LENGTH} characters or undefined; it returned ${describeValue(owner)}.`,
      );
    }
    return owner;
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
      this.#run('save the session', async (col, deadline) => {
        checkId(id);
        if (session === null || typeof session !== 'object' || Array.isArray(session)) {
          throw new SerializationError(`A session body must be a plain object; received ${describeValue(session)}.`);
        }
        // Encode first: a body that cannot be stored fails before any query and holds up no queue.
        const stored = this.#encode(session);
        const owner = this.#ownerOf(session);
        return this.#serialize(id, () => this.#save(col, id, session, stored, owner, opts), deadline);
      }),
      cb,
    );
  }

  async #save(
    col: Collection<SessionDocument>,
    id: string,
    session: Body,
    stored: unknown,
    owner: string | undefined,
    opts: WriteOptions | undefined,
  ): Promise<void> {
    const expires = expiryOf(opts, this.options.ttlMs);
    if (expires.getTime() <= Date.now()) return this.#delete(col, id);
    const given = opts?.snapshot?.id === id ? opts.snapshot : undefined;
    const now = new Date();
    if (given?.format === 'absent') return this.#saveOverAbsent(col, id, given, this.#newUpdate(session, stored, given.documentId, owner, expires, now), now);
    const snapshot = given;
    if (snapshot?.peerShape && !this.options.adoptPeerDocuments) {
      // Kept in its peer's shape, so switching back to that store still reads it.
      const matched = await this.#updateLive(col, snapshot.documentId, this.#peerUpdate(snapshot.peerShape, session, owner, expires, now));
      if (matched > 0) snapshot.owner = owner;
      return this.#afterRelativeWrite(matched, snapshot, expires, 'update');
    }
    if (snapshot?.format === 'lossless' && this.options.serializer === 'lossless') {
      return this.#writeChanges(col, snapshot, stored as EncodedBody, owner, expires, opts);
    }
    if (
      snapshot &&
      snapshot.format !== 'peer' &&
      snapshot.format !== 'lossless' &&
      !snapshot.reseal &&
      snapshot.owner === owner &&
      encodedEqual(snapshot.stored, stored)
    ) {
      return this.#touch(col, snapshot, expires, opts?.touchAfterMs);
    }
    const documentId = snapshot?.documentId ?? this.#documentId(id);
    if (snapshot) {
      // Read before: rewrite whole (another format, or a peer document adopted), never upsert.
      const update = this.#wholeUpdate(stored, documentId, owner, expires, now);
      if (snapshot.peerShape) {
        update.$set = { ...update.$set, createdAt: snapshot.createdAt ?? now };
        update.$unset = { ...update.$unset, ...PEER_ONLY_FIELDS };
      }
      const matched = await this.#updateLive(col, documentId, update);
      if (matched > 0) snapshot.owner = owner;
      return this.#afterRelativeWrite(matched, snapshot, expires, 'update');
    }
    await this.#peerShapeKnown;
    return this.#saveBlind(col, id, documentId, this.#newUpdate(session, stored, documentId, owner, expires, now), now, opts?.isNew === true);
  }

  /** A new session's document: ours, or the peer shape the collection is kept in. */
  #newUpdate(session: Body, stored: unknown, documentId: string, owner: string | undefined, expires: Date, now: Date): UpdateFilter<SessionDocument> {
    return this.#newShape ? this.#peerUpdate(this.#newShape, session, owner, expires, now) : this.#wholeUpdate(stored, documentId, owner, expires, now);
  }

  #peerUpdate(shape: PeerShape, session: Body, owner: string | undefined, expires: Date, now: Date): UpdateFilter<SessionDocument> {
    let fields: Document;
    try {
      fields = encodePeer(shape, session, expires, now, this.#kruptein);
    } catch {
      throw new SerializationError('The session body could not be serialized in its peer store\'s shape: it contains a circular reference or an unserializable value.');
    }
    return { $set: { ...fields, ...this.#ownerSet(owner) } as Partial<SessionDocument>, ...this.#ownerUnset(owner) };
  }

  #wholeUpdate(stored: unknown, documentId: string, owner: string | undefined, expires: Date, now: Date): UpdateFilter<SessionDocument> {
    return {
      $set: { session: this.#seal(stored, documentId), ...this.#sealedMark(), expires, updatedAt: now, v: FORMAT_VERSION, ...this.#ownerSet(owner) },
      ...this.#ownerUnset(owner),
    };
  }

  /**
   * An update of a document read live: 0 matched when it is gone, or a tombstone now
   * (the `$pop` guard fails on it, or a per-key path under its null `session` does).
   */
  async #updateLive(col: Collection<SessionDocument>, documentId: string, update: UpdateFilter<SessionDocument>): Promise<number> {
    try {
      return (await col.updateOne({ _id: documentId }, { ...update, ...REFUSE_TOMBSTONE })).matchedCount;
    } catch (error) {
      const code = serverCodeOf(error);
      if (code !== ServerCode.TypeMismatch && code !== ServerCode.PathNotViable) throw error;
      return 0; // a tombstone: the session was revoked after it was read
    }
  }

  /**
   * A write after `read` found no session. Over the tombstone it read (a new log-in under
   * a revoked id) it replaces that tombstone, and only that one; otherwise it is a new session.
   */
  async #saveOverAbsent(
    col: Collection<SessionDocument>,
    id: string,
    snapshot: SessionSnapshot,
    update: UpdateFilter<SessionDocument>,
    now: Date,
  ): Promise<void> {
    if (snapshot.revokedAt) {
      const result = await col.updateOne(
        { _id: snapshot.documentId, revoked: true, revokedAt: snapshot.revokedAt },
        { $set: { ...update.$set, createdAt: now }, $unset: { ...update.$unset, revoked: '', revokedAt: '' } },
      );
      if (result.matchedCount > 0) {
        this.emit('create', id);
        return;
      }
    }
    return this.#saveBlind(col, id, snapshot.documentId, update, now, true);
  }

  /** A write with nothing read before: insert or upsert, never over a live tombstone. */
  async #saveBlind(
    col: Collection<SessionDocument>,
    id: string,
    documentId: string,
    update: UpdateFilter<SessionDocument>,
    now: Date,
    isNew: boolean,
  ): Promise<void> {
    if (isNew) {
      try {
        await col.insertOne({ ...(update.$set as SessionDocument), _id: documentId, createdAt: now });
        this.emit('create', id);
        return;
      } catch (error) {
        if (!this.#duplicateId(error)) throw error;
      }
    }
    try {
      const result = await col.updateOne({ _id: documentId }, { ...update, ...REFUSE_TOMBSTONE, $setOnInsert: { createdAt: now } }, { upsert: true });
      this.emit(result.upsertedCount > 0 ? 'create' : 'update', id);
      return;
    } catch (error) {
      // A tombstone (TypeMismatch), or a concurrent insert of the same id: the careful path decides.
      if (serverCodeOf(error) !== ServerCode.TypeMismatch && !this.#duplicateId(error)) throw error;
    }
    try {
      // An expired tombstone is replaced; a live one makes the upsert fail on the duplicate _id.
      const result = await col.updateOne(
        { _id: documentId, $nor: [liveTombstone(now)] },
        { ...update, $unset: { ...update.$unset, revoked: '', revokedAt: '' }, $setOnInsert: { createdAt: now } },
        { upsert: true },
      );
      this.emit(result.upsertedCount > 0 ? 'create' : 'update', id);
    } catch (error) {
      if (!this.#duplicateId(error)) throw error;
      // A live tombstone (the session was revoked while this write was in flight) is the one
      // _id this filter can collide with; servers that do not name the index (FerretDB 1.x)
      // are asked, so another unique index never passes for a revocation.
      const tombstone = await col.findOne({ _id: documentId }, { projection: { revoked: 1, expires: 1 } });
      if (tombstone?.revoked === true) return this.#writeAfterDestroy();
      throw await this.#foreignUniqueIndexError(col);
    }
  }

  async #foreignUniqueIndexError(col: Collection<SessionDocument>): Promise<OperationError> {
    const names = (await col.listIndexes().toArray())
      .filter((index) => index['unique'] === true && index['name'] !== '_id_')
      .map((index) => String(index['name']));
    return this.#uniqueIndexError(names.length > 0 ? names.join('", "') : 'a unique index other than _id');
  }

  #uniqueIndexError(name: string): OperationError {
    return new OperationError(
      `The unique index "${name}" on collection "${this.options.collection}" refused a session write (duplicate key). ` +
        `It is not an index of this store (another session store may have left it): drop it with ` +
        `db.${this.options.collection}.dropIndex("${name}") or use another collection.`,
      ServerCode.DuplicateKey,
      'DuplicateKey',
    );
  }

  /**
   * True for a duplicate `_id` (a concurrent insert, a tombstone). A duplicate on another
   * unique index (one left by another session store, e.g. `sid_1`) is no collision of
   * ours: silently dropping the write would lose the session, so it fails, naming the index.
   */
  #duplicateId(error: unknown): boolean {
    const index = duplicateKeyIndex(error);
    if (!index) return false;
    if (index.onId) return true;
    throw this.#uniqueIndexError(index.name);
  }

  #sealedMark(): { sealed?: true } {
    return this.#cipher ? { sealed: true } : {};
  }

  #ownerSet(owner: string | undefined): { owner?: string } {
    return owner === undefined ? {} : { owner };
  }

  #ownerUnset(owner: string | undefined): { $unset?: { owner: '' } } {
    return owner === undefined && this.options.owner ? { $unset: { owner: '' } } : {};
  }

  /**
   * Extends a session's expiry. With a snapshot the write is skipped while the
   * stored expiry is within `touchAfterMs` of the new one (the invariant:
   * stored expires >= requested - touchAfterMs). Never creates a document.
   */
  touch(id: string, options?: WriteOptions | Callback<void>, callback?: Callback<void>): Promise<void> {
    const [opts, cb] = splitCallback(options, callback);
    return withCallback(
      this.#run('touch the session', async (col, deadline) => {
        checkId(id);
        const expires = expiryOf(opts, this.options.ttlMs);
        const snapshot = opts?.snapshot?.id === id ? opts.snapshot : undefined;
        if (snapshot && expires.getTime() > Date.now() && this.#touchNotDue(snapshot, expires, opts?.touchAfterMs)) return;
        return this.#serialize(id, async () => {
          if (expires.getTime() <= Date.now()) return this.#delete(col, id);
          if (snapshot) return this.#touch(col, snapshot, expires, opts?.touchAfterMs);
          // Never onto a tombstone: it lives exactly as long as the revoked session could have.
          if ((await this.#updateLive(col, this.#documentId(id), { $set: { expires } })) > 0) this.emit('touch', id);
        }, deadline);
      }),
      cb,
    );
  }

  destroy(id: string, callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#run('destroy the session', async (col, deadline) => {
        checkId(id);
        await this.#serialize(id, () => this.#delete(col, id), deadline);
      }),
      callback,
    );
  }

  /** Deletes every session in the collection. */
  clear(callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#run('clear sessions', COLLECTION_WIDE, async (col) => {
        await col.deleteMany({});
      }),
      callback,
    );
  }

  async #delete(col: Collection<SessionDocument>, id: string): Promise<void> {
    await col.deleteOne({ _id: this.#documentId(id) });
    this.emit('destroy', id);
  }

  // ---------------------------------------------------------------- owners

  /** The live sessions of one owner: `[{ id, session, expires }]` (ids as stored, like `all()`). */
  listByOwner(owner: string, callback?: Callback<StoredSession<Body>[]>): Promise<StoredSession<Body>[]> {
    return withCallback(
      this.#run('list sessions by owner', COLLECTION_WIDE, async (col) => this.#list(col, { owner: { $eq: checkOwner(owner) } })),
      callback,
    );
  }

  countByOwner(owner: string, callback?: Callback<number>): Promise<number> {
    return withCallback(
      this.#run('count sessions by owner', COLLECTION_WIDE, async (col) => this.#count(col, { owner: { $eq: checkOwner(owner) } })),
      callback,
    );
  }

  /**
   * Revokes every session of one owner ("log out everywhere"); resolves to how
   * many. Each becomes a tombstone (body and owner removed) until the session would
   * have expired, so no write prepared before the revocation, however slow, brings it back.
   */
  destroyByOwner(owner: string, callback?: Callback<number>): Promise<number> {
    return withCallback(
      this.#run('destroy sessions by owner', COLLECTION_WIDE, async (col) => {
        const filter = { owner: { $eq: checkOwner(owner) }, ...NOT_REVOKED };
        const revoke = () =>
          col.updateMany(filter, {
            // The expiry stays: the tombstone lasts as long as the session could have.
            $set: { revoked: true, revokedAt: new Date(), session: null },
            // A koa-session-mongo `blob` would still be read by that store after switching back.
            $unset: { owner: '', blob: '' },
          });
        let revoked = (await revoke()).modifiedCount;
        // Servers without per-document isolation (FerretDB 1.x) can let a concurrent write
        // of this process put a revoked body back: revoke again once those writes settle.
        if (this.#writeQueues.size > 0) {
          await Promise.allSettled([...this.#writeQueues.values()]);
          revoked += (await revoke()).modifiedCount;
        }
        return revoked;
      }),
      callback,
    );
  }

  #encode(session: Body): unknown {
    const stored = this.#encodeClear(session);
    this.#checkSealedSize(stored);
    return stored;
  }

  #encodeClear(session: Body): unknown {
    const serializer = this.options.serializer;
    if (serializer === 'lossless') return encodeBody(session);
    let stored: unknown;
    try {
      stored = serializer === 'json' ? JSON.stringify(session) : serializer.serialize(session);
    } catch (error) {
      const kind = error instanceof TypeError && /BigInt/i.test(error.message) ? 'a BigInt' : 'a circular reference or an unserializable value';
      throw new SerializationError(`The session body could not be serialized: it contains ${kind}.`);
    }
    if (typeof stored === 'string' && stored.length * 3 > MAX_BSON_SIZE && Buffer.byteLength(stored) > MAX_BODY_SIZE) {
      throw new SerializationError("The serialized session body is larger than MongoDB's 16 MiB document limit.");
    }
    if (stored === undefined) throw new SerializationError('The serializer returned undefined for a session body.');
    return stored;
  }

  /** Encryption adds a fixed overhead per sealed value: the limit holds for what is stored. */
  #checkSealedSize(stored: unknown): void {
    if (!this.#cipher) return;
    const size = sealedBodySize(stored, this.options.serializer === 'lossless');
    if (size > MAX_BODY_SIZE) {
      throw new SerializationError(
        `The session body is larger than MongoDB's 16 MiB document limit once encrypted (${(size / 1048576).toFixed(1)} MiB).`,
      );
    }
  }

  async #writeChanges(
    col: Collection<SessionDocument>,
    snapshot: SessionSnapshot,
    next: EncodedBody,
    owner: string | undefined,
    expires: Date,
    opts: WriteOptions | undefined,
  ): Promise<void> {
    const cipher = this.#cipher;
    const documentId = snapshot.documentId;
    const lazyKeys = opts?.lazyKeys;
    const previous = snapshot.stored as EncodedBody;
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    let dataChanged = false;
    let lazyChanged = false;
    const lazy = lazyKeys && lazyKeys.length > 0 ? new Set(lazyKeys) : undefined;
    for (const key of Object.keys(next)) {
      if (Object.prototype.hasOwnProperty.call(previous, key) && encodedEqual(previous[key], next[key])) continue;
      set[`session.${key}`] = cipher ? cipher.encrypt(next[key], documentId, key) : next[key];
      if (lazy?.has(key)) lazyChanged = true;
      else dataChanged = true;
    }
    for (const key of Object.keys(previous)) {
      if (Object.prototype.hasOwnProperty.call(next, key)) continue;
      unset[`session.${key}`] = '';
      if (lazy?.has(key)) lazyChanged = true;
      else dataChanged = true;
    }
    if (this.options.owner && owner !== snapshot.owner) {
      dataChanged = true;
      if (owner === undefined) unset['owner'] = '';
      else set['owner'] = owner;
    }
    if (!dataChanged) {
      if (!lazyChanged || this.#touchNotDue(snapshot, expires, opts?.touchAfterMs)) {
        return this.#touch(col, snapshot, expires, opts?.touchAfterMs);
      }
    }
    if (cipher && snapshot.reseal) {
      // Values in clear or under an older key: re-encrypt all of them with the current key.
      for (const key of Object.keys(next)) set[`session.${key}`] ??= cipher.encrypt(next[key], documentId, key);
    }
    const update: UpdateFilter<SessionDocument> = {
      $set: { ...set, ...this.#sealedMark(), expires, ...(dataChanged ? { updatedAt: new Date() } : {}) },
    };
    if (Object.keys(unset).length > 0) update.$unset = unset;
    const matched = await this.#updateLive(col, documentId, update);
    if (matched > 0) {
      snapshot.owner = owner;
      snapshot.reseal = false;
    }
    this.#afterRelativeWrite(matched, snapshot, expires, dataChanged ? 'update' : 'touch');
  }

  /**
   * A touch may be skipped while the stored expiry is within the touch window of the
   * requested one. The window never exceeds half the requested lifetime, so a session
   * in use never lapses, however short its cookie is next to `touchAfterMs`.
   */
  #touchNotDue(snapshot: SessionSnapshot, expires: Date, touchAfterMs = this.options.touchAfterMs): boolean {
    const window = Math.min(touchAfterMs, (expires.getTime() - Date.now()) / 2);
    return snapshot.expires.getTime() >= expires.getTime() - window;
  }

  async #touch(col: Collection<SessionDocument>, snapshot: SessionSnapshot, expires: Date, touchAfterMs?: number): Promise<void> {
    if (this.#touchNotDue(snapshot, expires, touchAfterMs)) return;
    const fields = snapshot.peerShape ? touchPeer(snapshot.peerShape, expires, new Date()) : { expires };
    const matched = await this.#updateLive(col, snapshot.documentId, { $set: fields });
    this.#afterRelativeWrite(matched, snapshot, expires, 'touch');
  }

  #afterRelativeWrite(matched: number, snapshot: SessionSnapshot, expires: Date, event: 'update' | 'touch'): void {
    if (matched === 0) return this.#writeAfterDestroy();
    snapshot.expires = expires;
    this.emit(event, snapshot.id);
  }

  #writeAfterDestroy(): void {
    this.#warn({
      code: 'WRITE_AFTER_DESTROY',
      message: 'A session write was dropped because the session was destroyed or expired after it was read.',
    });
  }

  // ---------------------------------------------------------------- plumbing

  /**
   * Runs writes to one session id one after another within this process.
   * mongod applies each update atomically anyway; some compatible servers
   * (FerretDB 1.x on SQLite) read-modify-write documents without isolation
   * and would lose concurrent per-key updates. Writes to different sessions
   * are not ordered against each other.
   */
  #serialize<T>(id: string, write: () => Promise<T>, deadline: Deadline): Promise<T> {
    const previous = this.#writeQueues.get(id);
    // A write whose caller has already been told it timed out must not start later.
    const start = () => (deadline.expired ? Promise.reject(new ConnectionError('The write was dropped: its deadline passed while it waited behind another write of the same session.')) : write());
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
  #run<T>(action: string, operation: (col: Collection<SessionDocument>, deadline: Deadline) => Promise<T>): Promise<T>;
  #run<T>(action: string, scope: Scope, operation: (col: Collection<SessionDocument>, deadline: Deadline) => Promise<T>): Promise<T>;
  #run<T>(
    action: string,
    scopeOrOperation: Scope | ((col: Collection<SessionDocument>, deadline: Deadline) => Promise<T>),
    maybeOperation?: (col: Collection<SessionDocument>, deadline: Deadline) => Promise<T>,
  ): Promise<T> {
    if (this.#closing) return Promise.reject(new StoreClosedError());
    const [scope, operation] = typeof scopeOrOperation === 'function' ? [ONE_SESSION, scopeOrOperation] : [scopeOrOperation, maybeOperation!];
    const { maxPendingOperations } = this.options;
    const operationTimeoutMs = this.options.operationTimeoutMs * scope.timeoutFactor;
    if (this.#pending >= maxPendingOperations) {
      return Promise.reject(
        new ConnectionError(
          `Refused to ${action}: ${this.#pending} operations are already waiting for MongoDB (maxPendingOperations).`,
        ),
      );
    }
    const deadline = new Deadline(operationTimeoutMs);
    const db = this.#connection.dbNow;
    const started = db
      ? operation(db.collection<SessionDocument>(this.options.collection), deadline)
      : this.#connection.collection<SessionDocument>(this.options.collection).then((col) => operation(col, deadline));
    this.#pending++;
    const release = () => {
      this.#pending--;
    };
    started.then(release, release);
    const timedOut = () => new ConnectionError(`MongoDB did not answer within ${operationTimeoutMs} ms (operationTimeoutMs) to ${action}.`);
    const tracked = deadline.race(started, timedOut).catch((error: unknown) => {
      // A server that stopped answering is as unavailable as one that is gone.
      if (isUnreachableError(error) || (deadline.expired && scope === ONE_SESSION)) this.#connection.reportUnreachable();
      throw toStoreError(error, action);
    });
    this.#inflight.add(tracked);
    const untrack = () => this.#inflight.delete(tracked);
    tracked.then(untrack, untrack);
    return tracked;
  }

  // ---------------------------------------------------------------- expiry

  /**
   * While the collection holds another store's documents, new sessions are written in
   * that store's shape too, so switching back to it keeps them (see peers.ts).
   */
  async #detectPeerShape(): Promise<void> {
    if (this.options.peerFormat || this.options.adoptPeerDocuments) return;
    const col = await this.#connection.collection<SessionDocument>(this.options.collection);
    const doc = await col.findOne({ v: { $exists: false }, revoked: { $exists: false } } as Document, { projection: { session: 1, blob: 1, v: 1 } });
    this.#newShape = doc ? peerShapeOf(doc) : undefined;
  }

  /** Creates the indexes once per client and collection (stores sharing both share the work), then starts maintenance. */
  #ensureIndexes(): Promise<IndexOutcome> {
    if (this.#indexesReady) return this.#indexesReady;
    const client = this.#connection.client;
    const setups = globalState().indexSetups;
    const perClient = client ? (setups.get(client) ?? new Map<string, Promise<unknown>>()) : new Map();
    if (client) setups.set(client, perClient);
    const key = `${this.#connection.dbNow?.databaseName ?? ''}/${this.options.collection}/${this.options.autoRemove}/${this.options.owner ? 'owner' : ''}`;
    let setup = perClient.get(key) as Promise<IndexOutcome> | undefined;
    if (!setup) {
      setup = this.#connection.collection(this.options.collection).then((col) => createIndexes(col, this.#indexPlan));
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
    const { autoRemove, cleanupIntervalMs, owner } = this.options;
    return { autoRemove, cleanupIntervalMs, owner: owner !== undefined };
  }

  #report(outcome: IndexOutcome): void {
    outcome.warnings.forEach((warning) => this.#warn(warning));
    if (outcome.error) this.#emitError(outcome.error);
  }

  #startMaintenance(): void {
    if (this.#maintenanceTimer || this.closed) return;
    this.#maintenanceTimer = setInterval(() => void this.#maintain(true), this.options.cleanupIntervalMs);
    this.#maintenanceTimer.unref();
  }

  /**
   * Recreates indexes found missing (a server back empty, a dropped or restored
   * collection), then, when sweeping is how sessions expire, removes expired ones.
   * Runs every `cleanupIntervalMs` and after each reconnect. Never rejects.
   */
  #maintain(sweep: boolean): Promise<void> {
    this.#maintaining ??= this.#run('check the indexes', COLLECTION_WIDE, async (col) => {
      const mode = this.#expiryMode;
      if (mode === undefined) return;
      const missing = await missingIndexes(col, this.#indexPlan, mode);
      if (missing.length > 0) {
        const outcome = await createIndexes(col, this.#indexPlan, mode);
        this.#expiryMode = outcome.mode;
        this.#warn({
          code: 'INDEXES_RECREATED',
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

  /** Deletes expired documents now; what the interval sweep runs. Resolves to the number deleted. */
  sweepExpired(callback?: Callback<number>): Promise<number> {
    return withCallback(
      this.#run('remove expired sessions', COLLECTION_WIDE, async (col) => {
        const result = await col.deleteMany({ expires: { $lte: new Date() } });
        return result.deletedCount;
      }),
      callback,
    );
  }
}

/**
 * What an operation touches. One session's reads and writes are the request path: a
 * server that misses their deadline is reported unavailable. Collection-wide ones may
 * legitimately take longer, so they get more time and missing it says nothing of the server.
 */
interface Scope {
  readonly timeoutFactor: number;
}
const ONE_SESSION: Scope = { timeoutFactor: 1 };
const COLLECTION_WIDE: Scope = { timeoutFactor: 6 };

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

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
  // BSON stores a lone surrogate as U+FFFD: two different ids would name one document.
  if (LONE_SURROGATE.test(id)) throw new InvalidSessionIdError('A session id cannot contain a lone UTF-16 surrogate.');
}

/** Live sessions: not expired, not revoked. */
function liveFilter(filter: Document): Document {
  return { ...filter, expires: { $gt: new Date() }, ...NOT_REVOKED };
}

function liveTombstone(now: Date): Document {
  return { revoked: true, expires: { $gt: now } };
}

function checkOwner(owner: unknown): string {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(
      'owner',
      `An owner must be a string of 1 to ${MAX_ID_LENGTH} characters; received ${describeValue(owner)}.`,
    );
  }
  return owner;
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
    // Clamped into Date's range: a huge negative lifetime deletes, a huge positive one is "forever".
    const now = Date.now();
    return new Date(now + Math.max(-now, Math.min(ttlMs, 8.64e15 - now)));
  }
  return new Date(Date.now() + defaultTtlMs);
}
