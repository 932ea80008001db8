/**
 * How writes reach the server: relative to what was read (per-key, or whole for other
 * formats), in a peer's shape, or blind (insert / upsert), and what each outcome means
 * (a dropped write after a destroy or revocation, another store's unique index).
 */
import type { Collection, Document, UpdateFilter } from 'mongodb';
import type { DocumentCodec, SessionDocument, SessionSnapshot } from './document';
import { encodedEqual, type EncodedBody } from './encoding';
import { WarningCode } from './errors';
import { expiryOf } from './limits';
import { publishSession } from './metrics';
import type { ResolvedOptions, SessionData, StoreWarning } from './options';
import { keepsShape, peerOnlyFields, stampsCreatedAt, touchPeer, type PeerShape } from './peers';
import { NOT_REVOKED, REFUSE_TOMBSTONE, byKey, liveTombstone, updateLive } from './revocation';
import { ServerCode, foreignUniqueIndexError, isDuplicateId, serverCodeOf } from './server-codes';
import type { SessionPolicy } from './policy';
import { diffBody, touchNotDue, type DeviceRecord, type WriteOptions } from './write-plan';

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
  /** Whether koa-generic-session-mongo's documents (found by `sid`) may be in the collection. */
  findsBySid(): boolean;
  readonly policy: SessionPolicy;
}

/** Fields a write sets only when it creates the document. */
interface OnInsert {
  createdAt?: Date;
  device?: DeviceRecord | undefined;
}

/** What a creating write adds, by the shape it writes: our fields only in ours (a flat peer shape would read them as keys). */
function onInsertFor(shape: PeerShape | undefined, fields: { createdAt: Date; device: DeviceRecord | undefined }): OnInsert {
  return {
    ...(stampsCreatedAt(shape) ? { createdAt: fields.createdAt } : {}),
    ...(fields.device && !shape ? { device: fields.device } : {}),
  };
}

export class SessionWriter<Body extends object = SessionData> {
  readonly #options: ResolvedOptions<Body>;
  readonly #codec: DocumentCodec<Body>;
  readonly #emit: WriterContext<Body>['emit'];
  readonly #warn: WriterContext<Body>['warn'];
  readonly #newShape: WriterContext<Body>['newShape'];
  readonly #peerShapeKnown: WriterContext<Body>['peerShapeKnown'];
  readonly #findsBySid: WriterContext<Body>['findsBySid'];
  readonly #policy: SessionPolicy;

  constructor(context: WriterContext<Body>) {
    this.#options = context.options;
    this.#codec = context.codec;
    this.#emit = (event, id) => {
      publishSession(event, context.options.collection);
      context.emit(event, id);
    };
    this.#warn = context.warn;
    this.#newShape = context.newShape;
    this.#peerShapeKnown = context.peerShapeKnown;
    this.#findsBySid = context.findsBySid;
    this.#policy = context.policy;
  }

  /** Whether a touch through this snapshot can be skipped (see {@link touchNotDue}). */
  touchNotDue(snapshot: SessionSnapshot, expires: Date, touchAfterMs = this.#options.touchAfterMs): boolean {
    return touchNotDue(snapshot, expires, this.#policy.touchWindow(touchAfterMs));
  }

  async save(
    col: Collection<SessionDocument>,
    id: string,
    session: Body,
    stored: unknown,
    owner: string | undefined,
    opts: WriteOptions | undefined,
  ): Promise<void> {
    const given = opts?.snapshot?.id === id ? opts.snapshot : undefined;
    const now = new Date();
    const creating = !given || given.format === 'absent';
    // A blind write may land on a document that exists: its creation is not known then.
    const createdAt = creating ? (given || opts?.isNew ? now : undefined) : given.createdAt;
    const expires = this.#policy.cap(expiryOf(opts, this.#options.ttlMs), now.getTime(), { createdAt, owner });
    if (expires.getTime() <= now.getTime()) return this.delete(col, id);
    const onInsert = (shape: PeerShape | undefined) => onInsertFor(shape, { createdAt: now, device: opts?.device });
    if (given?.format === 'absent') {
      // An absent snapshot names the session's own document (see SessionStore.read).
      const { update, shape } = this.#newUpdate(id, session, stored, given.documentId as string, owner, expires, now);
      return this.#saveOverAbsent(col, id, given, update, onInsert(shape));
    }
    const snapshot = given;
    const peerShape = snapshot?.peerShape;
    if (peerShape && !this.#options.adoptPeerDocuments && keepsShape(peerShape, session)) {
      // Kept in its peer's shape, so switching back to that store still reads it.
      const matched = await updateLive(
        col,
        snapshot.documentId,
        this.#codec.peerUpdate(peerShape, session, snapshot.stored as object, id, owner, expires, now),
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
    if (snapshot && typeof snapshot.documentId !== 'string') {
      // A koa-generic-session-mongo document under an ObjectId: adopted under the session's own id.
      return this.#adoptMoved(col, id, snapshot, stored, owner, expires, now);
    }
    const documentId = (snapshot?.documentId as string | undefined) ?? this.#codec.documentId(id);
    if (snapshot) {
      // Read before: rewrite whole (another format, or a peer document adopted), never upsert.
      const update = this.#codec.wholeUpdate(stored, documentId, owner, expires, now);
      if (peerShape) {
        update.$set = { ...update.$set, createdAt: snapshot.createdAt ?? now };
        update.$unset = { ...update.$unset, ...peerOnlyFields(peerShape, snapshot.stored as object) };
      }
      const matched = await updateLive(col, documentId, update);
      if (matched > 0) snapshot.owner = owner;
      return this.#afterRelativeWrite(matched, snapshot, expires, 'update');
    }
    await this.#peerShapeKnown();
    const { update, shape } = this.#newUpdate(id, session, stored, documentId, owner, expires, now);
    return this.#saveBlind(col, id, documentId, update, onInsert(shape), opts?.isNew === true);
  }

  /**
   * A session created under a new id from another's body (`regenerate`): its creation time
   * and device carried over, so a rotation never restarts an absolute timeout.
   */
  async create(
    col: Collection<SessionDocument>,
    id: string,
    session: Body,
    owner: string | undefined,
    expires: Date,
    carried: OnInsert,
  ): Promise<void> {
    const now = new Date();
    const stored = this.#codec.encode(session);
    const documentId = this.#codec.documentId(id);
    const { update, shape } = this.#newUpdate(id, session, stored, documentId, owner, expires, now);
    const onInsert = onInsertFor(shape, { createdAt: carried.createdAt ?? now, device: carried.device });
    await this.#saveBlind(col, id, documentId, update, onInsert, true);
  }

  /**
   * Adopting a document whose `_id` is not the session's (koa-generic-session-mongo's ObjectId):
   * it is removed, unless revoked or gone since it was read, and the session written anew.
   */
  async #adoptMoved(
    col: Collection<SessionDocument>,
    id: string,
    snapshot: SessionSnapshot,
    stored: unknown,
    owner: string | undefined,
    expires: Date,
    now: Date,
  ): Promise<void> {
    const removed = await col.deleteOne({ ...byKey(snapshot.documentId), ...NOT_REVOKED });
    if (removed.deletedCount === 0) return this.#writeAfterDestroy();
    const documentId = this.#codec.documentId(id);
    const update = this.#codec.wholeUpdate(stored, documentId, owner, expires, now);
    await this.#saveBlind(col, id, documentId, update, { createdAt: snapshot.createdAt ?? now }, true);
  }

  /** A new session's document: ours, or the peer shape the collection is kept in (when the body fits it). */
  #newUpdate(
    id: string,
    session: Body,
    stored: unknown,
    documentId: string,
    owner: string | undefined,
    expires: Date,
    now: Date,
  ): { update: UpdateFilter<SessionDocument>; shape: PeerShape | undefined } {
    const shape = this.#newShape();
    if (shape && keepsShape(shape, session)) {
      return { update: this.#codec.peerUpdate(shape, session, undefined, id, owner, expires, now), shape };
    }
    return { update: this.#codec.wholeUpdate(stored, documentId, owner, expires, now), shape: undefined };
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
    onInsert: OnInsert,
  ): Promise<void> {
    if (snapshot.revokedAt) {
      const $set = { ...update.$set, ...onInsert };
      // A tombstone's null `session` goes too when the new session is in a flat peer shape.
      const $unset = { ...update.$unset, revoked: '', revokedAt: '', ...('session' in $set ? {} : { session: '' }) };
      const result = await col.updateOne({ ...byKey(snapshot.documentId), revoked: true, revokedAt: snapshot.revokedAt }, {
        $set,
        $unset,
      } as UpdateFilter<SessionDocument>);
      if (result.matchedCount > 0) {
        this.#emit('create', id);
        return;
      }
    }
    return this.#saveBlind(col, id, snapshot.documentId as string, update, onInsert, true);
  }

  /** A write with nothing read before: insert or upsert, never over a live tombstone. */
  async #saveBlind(
    col: Collection<SessionDocument>,
    id: string,
    documentId: string,
    update: UpdateFilter<SessionDocument>,
    onInsert: OnInsert,
    isNew: boolean,
  ): Promise<void> {
    const now = new Date();
    // Never an empty operator (mongod refuses one): koa-generic-session-mongo's shape has no `createdAt`.
    const setOnInsert = Object.keys(onInsert).length > 0 ? { $setOnInsert: onInsert } : {};
    if (isNew) {
      try {
        await col.insertOne({ ...(update.$set as SessionDocument), _id: documentId, ...onInsert });
        this.#emit('create', id);
        return;
      } catch (error) {
        if (!isDuplicateId(error, col.collectionName)) throw error;
      }
    }
    try {
      const result = await col.updateOne(
        { _id: documentId },
        { ...update, ...REFUSE_TOMBSTONE, ...setOnInsert },
        { upsert: true },
      );
      this.#emit(result.upsertedCount > 0 ? 'create' : 'update', id);
      return;
    } catch (error) {
      // A tombstone (TypeMismatch), or a concurrent insert of the same id: the careful path decides.
      if (serverCodeOf(error) !== ServerCode.TypeMismatch && !isDuplicateId(error, col.collectionName)) throw error;
    }
    try {
      // An expired tombstone is replaced; a live one makes the upsert fail on the duplicate _id.
      const result = await col.updateOne(
        { _id: documentId, $nor: [liveTombstone(now)] },
        { ...update, $unset: { ...update.$unset, revoked: '', revokedAt: '' }, ...setOnInsert },
        { upsert: true },
      );
      this.#emit(result.upsertedCount > 0 ? 'create' : 'update', id);
    } catch (error) {
      if (!isDuplicateId(error, col.collectionName)) throw error;
      // A live tombstone (the session was revoked while this write was in flight) is the one
      // _id this filter can collide with; servers that do not name the index (FerretDB 1.x)
      // are asked, so another unique index never passes for a revocation.
      const tombstone = await col.findOne({ _id: documentId }, { projection: { revoked: 1, expires: 1 } });
      if (tombstone?.revoked === true) return this.#writeAfterDestroy();
      throw await foreignUniqueIndexError(col);
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
    const documentId = snapshot.documentId as string; // a document in our format: the session's own key
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
      $set: {
        ...set,
        ...this.#codec.sealedMark(),
        expires,
        lastSeenAt: new Date(),
        ...(dataChanged ? { updatedAt: new Date() } : {}),
      },
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
    if (this.touchNotDue(snapshot, expires, touchAfterMs)) return publishSession('touch-skipped', this.#options.collection);
    const fields = snapshot.peerShape ? touchPeer(snapshot.peerShape, expires, new Date()) : { expires, lastSeenAt: new Date() };
    if (!fields) return; // MongoSess's lifetime never slides
    const matched = await updateLive(col, snapshot.documentId, { $set: fields });
    this.#afterRelativeWrite(matched, snapshot, expires, 'touch');
  }

  /**
   * A `touch` call: its expiry brought forward by the lifetime policies, skipped while not due
   * (no queue, no command), an expiry in the past deletes; `serialized` runs the write in this
   * id's queue.
   */
  async touchRequested(
    col: Collection<SessionDocument>,
    id: string,
    snapshot: SessionSnapshot | undefined,
    opts: WriteOptions | undefined,
    serialized: (work: () => Promise<void>) => Promise<void>,
  ): Promise<void> {
    const expires = this.#policy.cap(expiryOf(opts, this.#options.ttlMs), Date.now(), {
      createdAt: snapshot?.createdAt,
      owner: snapshot ? snapshot.owner : null,
    });
    if (snapshot && expires.getTime() > Date.now() && this.touchNotDue(snapshot, expires, opts?.touchAfterMs)) {
      return publishSession('touch-skipped', this.#options.collection);
    }
    return serialized(async () => {
      if (expires.getTime() <= Date.now()) return this.delete(col, id);
      if (snapshot) return this.touch(col, snapshot, expires, opts?.touchAfterMs);
      return this.touchUnread(col, id, expires);
    });
  }

  /** A touch with nothing read before; never onto a tombstone (it lives exactly as long as the revoked session could have). */
  async touchUnread(col: Collection<SessionDocument>, id: string, expires: Date): Promise<void> {
    const matched = await updateLive(col, this.#codec.documentId(id), { $set: { expires, lastSeenAt: new Date() } });
    if (matched > 0) this.#emit('touch', id);
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
    // koa-generic-session-mongo's own documents sit under an ObjectId, found by `sid`.
    if (this.#findsBySid()) await col.deleteMany({ sid: id } as Document);
    this.#emit('destroy', id);
  }
}
