/**
 * How writes reach the server: relative to what was read (per-key, or whole for other
 * formats), in a peer's shape, or blind (insert / upsert), and what each outcome means
 * (a dropped write after a destroy or revocation, another store's unique index).
 */
import type { Collection, UpdateFilter } from 'mongodb';
import type { DocumentCodec, SessionDocument, SessionSnapshot } from './document';
import { encodedEqual, type EncodedBody } from './encoding';
import { OperationError, WarningCode } from './errors';
import { expiryOf } from './limits';
import type { ResolvedOptions, SessionData, StoreWarning } from './options';
import { PEER_ONLY_FIELDS, touchPeer, type PeerShape } from './peers';
import { REFUSE_TOMBSTONE, liveTombstone, updateLive } from './revocation';
import { ServerCode, duplicateKeyIndex, serverCodeOf } from './server-codes';
import { diffBody, touchNotDue, type WriteOptions } from './write-plan';

export type WriteEvent = 'create' | 'update' | 'touch' | 'destroy';

export interface WriterContext<Body extends object> {
  readonly options: ResolvedOptions<Body>;
  readonly codec: DocumentCodec<Body>;
  emit(event: WriteEvent, sessionId: string): void;
  warn(warning: StoreWarning): void;
  /** The peer shape new sessions are written in, if any. */
  newShape(): PeerShape | undefined;
  /** Settles once the collection was looked at for peer documents. */
  peerShapeKnown(): Promise<unknown>;
}

export class SessionWriter<Body extends object = SessionData> {
  readonly #options: ResolvedOptions<Body>;
  readonly #codec: DocumentCodec<Body>;
  readonly #emit: WriterContext<Body>['emit'];
  readonly #warn: WriterContext<Body>['warn'];
  readonly #newShape: WriterContext<Body>['newShape'];
  readonly #peerShapeKnown: WriterContext<Body>['peerShapeKnown'];

  constructor(context: WriterContext<Body>) {
    this.#options = context.options;
    this.#codec = context.codec;
    this.#emit = context.emit;
    this.#warn = context.warn;
    this.#newShape = context.newShape;
    this.#peerShapeKnown = context.peerShapeKnown;
  }

  /** Whether a touch through this snapshot can be skipped (see {@link touchNotDue}). */
  touchNotDue(snapshot: SessionSnapshot, expires: Date, touchAfterMs = this.#options.touchAfterMs): boolean {
    return touchNotDue(snapshot, expires, touchAfterMs);
  }

  async save(
    col: Collection<SessionDocument>,
    id: string,
    session: Body,
    stored: unknown,
    owner: string | undefined,
    opts: WriteOptions | undefined,
  ): Promise<void> {
    const expires = expiryOf(opts, this.#options.ttlMs);
    if (expires.getTime() <= Date.now()) return this.delete(col, id);
    const given = opts?.snapshot?.id === id ? opts.snapshot : undefined;
    const now = new Date();
    if (given?.format === 'absent')
      return this.#saveOverAbsent(col, id, given, this.#newUpdate(session, stored, given.documentId, owner, expires, now), now);
    const snapshot = given;
    if (snapshot?.peerShape && !this.#options.adoptPeerDocuments) {
      // Kept in its peer's shape, so switching back to that store still reads it.
      const matched = await updateLive(
        col,
        snapshot.documentId,
        this.#codec.peerUpdate(snapshot.peerShape, session, owner, expires, now),
      );
      if (matched > 0) snapshot.owner = owner;
      return this.#afterRelativeWrite(matched, snapshot, expires, 'update');
    }
    if (snapshot?.format === 'lossless' && this.#options.serializer === 'lossless') {
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
      return this.touch(col, snapshot, expires, opts?.touchAfterMs);
    }
    const documentId = snapshot?.documentId ?? this.#codec.documentId(id);
    if (snapshot) {
      // Read before: rewrite whole (another format, or a peer document adopted), never upsert.
      const update = this.#codec.wholeUpdate(stored, documentId, owner, expires, now);
      if (snapshot.peerShape) {
        update.$set = { ...update.$set, createdAt: snapshot.createdAt ?? now };
        update.$unset = { ...update.$unset, ...PEER_ONLY_FIELDS };
      }
      const matched = await updateLive(col, documentId, update);
      if (matched > 0) snapshot.owner = owner;
      return this.#afterRelativeWrite(matched, snapshot, expires, 'update');
    }
    await this.#peerShapeKnown();
    return this.#saveBlind(
      col,
      id,
      documentId,
      this.#newUpdate(session, stored, documentId, owner, expires, now),
      now,
      opts?.isNew === true,
    );
  }

  /** A new session's document: ours, or the peer shape the collection is kept in. */
  #newUpdate(
    session: Body,
    stored: unknown,
    documentId: string,
    owner: string | undefined,
    expires: Date,
    now: Date,
  ): UpdateFilter<SessionDocument> {
    return this.#newShape()
      ? this.#codec.peerUpdate(this.#newShape()!, session, owner, expires, now)
      : this.#codec.wholeUpdate(stored, documentId, owner, expires, now);
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
        this.#emit('create', id);
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
        this.#emit('create', id);
        return;
      } catch (error) {
        if (!this.#duplicateId(error)) throw error;
      }
    }
    try {
      const result = await col.updateOne(
        { _id: documentId },
        { ...update, ...REFUSE_TOMBSTONE, $setOnInsert: { createdAt: now } },
        { upsert: true },
      );
      this.#emit(result.upsertedCount > 0 ? 'create' : 'update', id);
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
      this.#emit(result.upsertedCount > 0 ? 'create' : 'update', id);
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
      `The unique index "${name}" on collection "${this.#options.collection}" refused a session write (duplicate key). ` +
        `It is not an index of this store (another session store may have left it): drop it with ` +
        `db.${this.#options.collection}.dropIndex("${name}") or use another collection.`,
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

  async #writeChanges(
    col: Collection<SessionDocument>,
    snapshot: SessionSnapshot,
    next: EncodedBody,
    owner: string | undefined,
    expires: Date,
    opts: WriteOptions | undefined,
  ): Promise<void> {
    const documentId = snapshot.documentId;
    const diff = diffBody(snapshot.stored as EncodedBody, next, opts?.lazyKeys);
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    for (const [key, value] of Object.entries(diff.set)) set[`session.${key}`] = this.#codec.sealValue(value, documentId, key);
    for (const key of diff.unset) unset[`session.${key}`] = '';
    let { dataChanged } = diff;
    const { lazyChanged } = diff;
    if (this.#options.owner && owner !== snapshot.owner) {
      dataChanged = true;
      if (owner === undefined) unset['owner'] = '';
      else set['owner'] = owner;
    }
    if (!dataChanged) {
      if (!lazyChanged || this.touchNotDue(snapshot, expires, opts?.touchAfterMs)) {
        return this.touch(col, snapshot, expires, opts?.touchAfterMs);
      }
    }
    if (this.#codec.encrypting && snapshot.reseal) {
      // Values in clear or under an older key: re-encrypt all of them with the current key.
      for (const key of Object.keys(next)) set[`session.${key}`] ??= this.#codec.sealValue(next[key], documentId, key);
    }
    const update: UpdateFilter<SessionDocument> = {
      $set: { ...set, ...this.#codec.sealedMark(), expires, ...(dataChanged ? { updatedAt: new Date() } : {}) },
    };
    if (Object.keys(unset).length > 0) update.$unset = unset;
    const matched = await updateLive(col, documentId, update);
    if (matched > 0) {
      snapshot.owner = owner;
      snapshot.reseal = false;
    }
    this.#afterRelativeWrite(matched, snapshot, expires, dataChanged ? 'update' : 'touch');
  }

  async touch(col: Collection<SessionDocument>, snapshot: SessionSnapshot, expires: Date, touchAfterMs?: number): Promise<void> {
    if (this.touchNotDue(snapshot, expires, touchAfterMs)) return;
    const fields = snapshot.peerShape ? touchPeer(snapshot.peerShape, expires, new Date()) : { expires };
    const matched = await updateLive(col, snapshot.documentId, { $set: fields });
    this.#afterRelativeWrite(matched, snapshot, expires, 'touch');
  }

  #afterRelativeWrite(matched: number, snapshot: SessionSnapshot, expires: Date, event: 'update' | 'touch'): void {
    if (matched === 0) return this.#writeAfterDestroy();
    snapshot.expires = expires;
    this.#emit(event, snapshot.id);
  }

  #writeAfterDestroy(): void {
    this.#warn({
      code: WarningCode.WriteAfterDestroy,
      message: 'A session write was dropped because the session was destroyed or expired after it was read.',
    });
  }

  async delete(col: Collection<SessionDocument>, id: string): Promise<void> {
    await col.deleteOne({ _id: this.#codec.documentId(id) });
    this.#emit('destroy', id);
  }
}
