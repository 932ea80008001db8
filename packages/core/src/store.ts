/**
 * The session store every adapter wraps: a small facade over the modules that do the
 * work. All MongoDB work happens in this package.
 *
 * - document.ts: the document model (encode, decode, seal) and snapshots;
 * - write-plan.ts / writes.ts: what a write changes, and how it reaches the server;
 * - reader.ts: finding and reading sessions; policy.ts: idle / absolute / anonymous lifetimes;
 * - revocation.ts: tombstones ("log out everywhere"); rotation.ts: `regenerate`;
 * - indexes.ts: indexes and expiry; peers.ts, peer-tracker.ts: other stores' documents;
 * - connection.ts, deadline.ts: connections, outages and operation deadlines.
 */
import { EventEmitter } from 'node:events';
import type { Document } from 'mongodb';
import { type Callback, splitCallback, withCallback } from './callback';
import { StoreConnection } from './connection';
import {
  DocumentCodec,
  type SessionSnapshot,
  type LoadedSession,
  type ReadSession,
  type SessionDocument,
  type StoredSession,
} from './document';
import { InvalidArgumentError, type MongoSessionError, SerializationError, describeValue } from './errors';
import { IndexKeeper } from './maintenance';
import { checkDevice, checkId, checkOwner } from './limits';
import { resolveOptions, type ResolvedOptions, type SessionData, type SessionStoreOptions, type StoreWarning } from './options';
import { PeerTracker } from './peer-tracker';
import { IssuedSnapshots } from './snapshot';
import { SessionReader } from './reader';
import { rotateSession } from './rotation';
import { emitWarning } from './forward-events';
import { globalState } from './registry';
import { NOT_REVOKED, evictBeyondLimit, revokeMatching } from './revocation';
import { COLLECTION_WIDE, OperationRunner } from './operations';
import type { DestroyByOwnerOptions, StoreEventMap } from './store-events';
import { publishSession } from './metrics';
import { SessionWriter } from './writes';
import { SessionPolicy } from './policy';
import type { WriteOptions } from './write-plan';

export { FORMAT_VERSION, SessionSnapshot } from './document';
export type { LoadedSession, ReadSession, SessionDocument, StoredSession } from './document';
export type { DeviceRecord, WriteOptions } from './write-plan';
export type { PolicyEnd } from './policy';

export type { DestroyByOwnerOptions, StoreEventMap, StoreWarning } from './store-events';

export class SessionStore<Body extends object = SessionData> extends EventEmitter<StoreEventMap> {
  readonly options: ResolvedOptions<Body>;
  readonly #connection: StoreConnection;
  readonly #setup: Promise<MongoSessionError | null>;
  readonly #operations: OperationRunner;
  readonly #indexes: IndexKeeper;
  /** Snapshots this store handed out: a write may only be relative to one of them. */
  readonly #issued = new IssuedSnapshots();
  #closing: Promise<void> | undefined;
  #connected: boolean | undefined;
  readonly #codec: DocumentCodec<Body>;
  readonly #writer: SessionWriter<Body>;
  /** Other stores' documents in the collection (see peers.ts). */
  readonly #peers: PeerTracker;
  readonly #reader: SessionReader<Body>;

  constructor(options: SessionStoreOptions<Body>) {
    super();
    this.options = resolveOptions(options);
    this.#codec = new DocumentCodec(this.options, (warning) => this.#warn(warning));
    const policy = new SessionPolicy(this.options);
    const peers = new PeerTracker(this.options);
    this.#peers = peers;
    this.#reader = new SessionReader({
      options: this.options,
      codec: this.#codec,
      policy,
      peers,
      expired: (sessionId, reason) => this.emit('expired', sessionId, reason),
    });
    this.#writer = new SessionWriter({
      options: this.options,
      codec: this.#codec,
      emit: (event, sessionId) => this.emit(event, sessionId),
      warn: (warning) => this.#warn(warning),
      newShape: () => peers.newShape,
      peerShapeKnown: () => peers.known,
      findsBySid: () => peers.findsBySid,
      policy,
    });
    const { connection, databaseName, selectionTimeoutMs } = this.options;
    this.#connection = new StoreConnection(connection, databaseName, selectionTimeoutMs, {
      onConnect: () => this.#onConnect(),
      onDisconnect: () => this.#onDisconnect(),
    });
    this.#operations = new OperationRunner(this.#connection, this.options.collection, this.options, () => this.closed);
    this.#indexes = new IndexKeeper({
      options: this.options,
      connection: this.#connection,
      operations: this.#operations,
      warn: (warning) => this.#warn(warning),
      emitError: (error) => this.#emitError(error),
      isClosed: () => this.closed,
    });
    // Warnings found while reading options reach listeners attached right after construction.
    if (this.options.warnings.length > 0) setImmediate(() => this.options.warnings.forEach((w) => this.#warn(w)));
    this.#setup = this.#connection.firstAttempt.then(async (error) => {
      if (error) {
        this.#emitError(error);
        return error;
      }
      // A refused index reaches ready() and `error` listeners; the store still works (with a sweep).
      const outcome = await this.#indexes.ensure().catch(() => undefined);
      const col = await this.#connection.collection<SessionDocument>(this.options.collection).catch(() => undefined);
      if (col) await peers.detect(col).catch(() => undefined);
      return outcome?.error ?? null;
    });
    peers.known = this.#setup;
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
    return this.#operations.pending;
  }

  /**
   * Waits for writes in flight and setup in flight, stops cleanup, and releases
   * the client (closing it only if this library created it and no other store uses it).
   */
  close(callback?: Callback<void>): Promise<void> {
    this.#closing ??= (async () => {
      await this.#operations.settled();
      // Index setup waits on the server; bounded by selection, never left racing a closed client.
      await this.#setup;
      await this.#indexes.stop();
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
    this.#indexes.onReconnect();
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
    emitWarning(this, warning);
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
      this.#operations.run('read the session', async (col) => {
        checkId(id);
        return this.#issue(await this.#reader.load(col, id));
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
      this.#operations.run('read the session', async (col) => {
        checkId(id);
        return this.#issue(await this.#reader.read(col, id));
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
      this.#operations.run('list sessions', COLLECTION_WIDE, (col) => this.#reader.list(col, {})),
      callback,
    );
  }

  /** How many sessions are live (expired documents not yet removed are not counted). */
  length(callback?: Callback<number>): Promise<number> {
    return withCallback(
      this.#operations.run('count sessions', COLLECTION_WIDE, (col) => this.#reader.count(col, {})),
      callback,
    );
  }

  #issue<T extends { snapshot: SessionSnapshot } | null>(read: T): T {
    return this.#issued.issue(read);
  }

  /** The snapshot a write is relative to, if it is for this id (see IssuedSnapshots). */
  #snapshotFor(id: string, opts: WriteOptions | undefined): SessionSnapshot | undefined {
    return this.#issued.checked(
      id,
      opts?.snapshot,
      () =>
        new InvalidArgumentError('snapshot', 'Option "snapshot" must be the snapshot this store returned from load() or read().'),
    );
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
      this.#operations.run('save the session', async (col, deadline) => {
        checkId(id);
        if (session === null || typeof session !== 'object' || Array.isArray(session)) {
          throw new SerializationError(`A session body must be a plain object; received ${describeValue(session)}.`);
        }
        // Encode first: a body that cannot be stored fails before any query and holds up no queue.
        const stored = this.#codec.encode(session);
        const owner = this.#codec.ownerOf(session);
        checkDevice(opts?.device);
        const snapshot = this.#snapshotFor(id, opts); // refuses one this store did not hand out
        const ownerBefore = snapshot && snapshot.format !== 'absent' ? snapshot.owner : undefined;
        await this.#operations.serialize(id, () => this.#writer.save(col, id, session, stored, owner, opts), deadline);
        // A log-in (the session got its owner): the owner's oldest sessions beyond the limit go.
        if (owner !== undefined && owner !== ownerBefore && this.options.maxSessionsPerOwner !== undefined) {
          const evicted = await evictBeyondLimit(col, owner, this.#codec.documentId(id), this.options.maxSessionsPerOwner);
          for (const evictedId of evicted) {
            publishSession('expired', this.options.collection, 'evicted');
            this.emit('expired', evictedId, 'evicted');
          }
        }
      }),
      cb,
    );
  }

  /**
   * Extends a session's expiry. With a snapshot the write is skipped while the
   * stored expiry is within `touchAfterMs` of the new one (the invariant:
   * stored expires >= requested - touchAfterMs). Never creates a document.
   */
  touch(id: string, options?: WriteOptions | Callback<void>, callback?: Callback<void>): Promise<void> {
    const [opts, cb] = splitCallback(options, callback);
    return withCallback(
      this.#operations.run('touch the session', async (col, deadline) => {
        checkId(id);
        const snapshot = this.#snapshotFor(id, opts);
        return this.#writer.touchRequested(col, id, snapshot, opts, (work) => this.#operations.serialize(id, work, deadline));
      }),
      cb,
    );
  }

  destroy(id: string, callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#operations.run('destroy the session', async (col, deadline) => {
        checkId(id);
        await this.#operations.serialize(id, () => this.#writer.delete(col, id), deadline);
      }),
      callback,
    );
  }

  /** Deletes every session in the collection. */
  clear(callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#operations.run('clear sessions', COLLECTION_WIDE, async (col) => {
        await col.deleteMany({});
      }),
      callback,
    );
  }

  // ---------------------------------------------------------------- owners

  /** The live sessions of one owner: `[{ id, session, expires }]` (ids as stored, like `all()`). */
  listByOwner(owner: string, callback?: Callback<StoredSession<Body>[]>): Promise<StoredSession<Body>[]> {
    return withCallback(
      this.#operations.run('list sessions by owner', COLLECTION_WIDE, async (col) =>
        this.#reader.list(col, { owner: { $eq: checkOwner(owner) } }),
      ),
      callback,
    );
  }

  countByOwner(owner: string, callback?: Callback<number>): Promise<number> {
    return withCallback(
      this.#operations.run('count sessions by owner', COLLECTION_WIDE, async (col) =>
        this.#reader.count(col, { owner: { $eq: checkOwner(owner) } }),
      ),
      callback,
    );
  }

  /**
   * Revokes every session of one owner ("log out everywhere"), or all but one (`except`:
   * "log out my other devices"); resolves to how many. Each becomes a tombstone (body and
   * owner removed) until the session would have expired, so no write prepared before the
   * revocation, however slow, brings it back.
   */
  destroyByOwner(
    owner: string,
    options?: DestroyByOwnerOptions | Callback<number>,
    callback?: Callback<number>,
  ): Promise<number> {
    const [opts, cb] = splitCallback(options, callback);
    return withCallback(
      this.#operations.run('destroy sessions by owner', COLLECTION_WIDE, async (col) => {
        const filter: Document = { owner: { $eq: checkOwner(owner) }, ...NOT_REVOKED };
        if (opts?.except !== undefined) {
          checkId(opts.except);
          filter['_id'] = { $ne: this.#codec.documentId(opts.except) };
          filter['sid'] = { $ne: opts.except }; // koa-generic-session-mongo's documents
        }
        return revokeMatching(col, filter, () => this.#operations.writesSettled());
      }),
      cb,
    );
  }

  // ---------------------------------------------------------------- rotation

  /**
   * Moves a session to a new id (at log-in, against session fixation), keeping its body,
   * creation time (an absolute timeout never restarts) and device record. The old id is
   * revoked at once, in the same command that reads what it last held, so a write in flight
   * on it cannot bring it back. Resolves true, or false when the old id has no session.
   */
  regenerate(oldId: string, newId: string, callback?: Callback<boolean>): Promise<boolean> {
    return withCallback(
      this.#operations.run('rotate the session id', async (col, deadline) => {
        checkId(oldId);
        checkId(newId);
        if (oldId === newId) throw new InvalidArgumentError('newId', 'regenerate() needs a new session id, not the old one.');
        return this.#operations.serialize(
          oldId,
          () =>
            rotateSession(col, oldId, newId, {
              reader: this.#reader,
              codec: this.#codec,
              writer: this.#writer,
              destroyed: () => {
                publishSession('destroy', this.options.collection);
                this.emit('destroy', oldId);
              },
            }),
          deadline,
        );
      }),
      callback,
    );
  }

  // ---------------------------------------------------------------- expiry

  /** Deletes expired documents now; what the interval sweep runs. Resolves to the number deleted. */
  sweepExpired(callback?: Callback<number>): Promise<number> {
    return withCallback(
      this.#operations.run('remove expired sessions', COLLECTION_WIDE, async (col) => {
        const now = new Date();
        let deleted = (await col.deleteMany({ expires: { $lte: now } })).deletedCount;
        // Peers' documents whose lifetime is another field (their own TTL index is often refused or missing).
        for (const expired of this.#peers.expiredFilters(now)) deleted += (await col.deleteMany(expired)).deletedCount;
        return deleted;
      }),
      callback,
    );
  }
}
