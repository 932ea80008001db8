/**
 * How sessions are found and read: one document by id (the hot path: one `findOne` by
 * `_id`), or every live one of a filter (`all`, `length`, owner queries), with the lifetime
 * policies applied on the way.
 */
import type { Collection, Document } from 'mongodb';
import {
  type DocumentCodec,
  type LoadedSession,
  READ_OPTIONS,
  type ReadSession,
  type SessionDocument,
  SessionSnapshot,
  type StoredSession,
} from './document';
import { publishRead, publishSession } from './metrics';
import type { ResolvedOptions, SessionData } from './options';
import type { PeerTracker } from './peer-tracker';
import { peerSessionId } from './peers';
import type { PolicyEnd, SessionPolicy } from './policy';
import { liveFilter } from './revocation';

export interface ReaderContext<Body extends object> {
  readonly options: ResolvedOptions<Body>;
  readonly codec: DocumentCodec<Body>;
  readonly policy: SessionPolicy;
  readonly peers: PeerTracker;
  /** A read found a session a lifetime policy ended. */
  expired(sessionId: string, reason: PolicyEnd): void;
}

export class SessionReader<Body extends object = SessionData> {
  readonly #context: ReaderContext<Body>;

  constructor(context: ReaderContext<Body>) {
    this.#context = context;
  }

  /**
   * The document of a session: by `_id`; when the collection may hold koa-generic-session-mongo's
   * documents, which sit under an ObjectId, a miss is looked up once more by their `sid`
   * (indexed by that store). A session a lifetime policy ended is none.
   */
  async find(col: Collection<SessionDocument>, id: string): Promise<Document | null> {
    const { codec, peers } = this.#context;
    let doc: Document | null = await col.findOne({ _id: codec.documentId(id) }, READ_OPTIONS);
    if (!doc) {
      await peers.known;
      if (!peers.findsBySid) return null;
      doc = await col.findOne({ sid: id, v: { $exists: false } } as Document, READ_OPTIONS);
    }
    return doc && this.#unlessEnded(doc, id);
  }

  /** The session and a snapshot for relative writes, or null. */
  async load(col: Collection<SessionDocument>, id: string): Promise<LoadedSession<Body> | null> {
    return this.#decoded(await this.find(col, id), id);
  }

  #decoded(doc: Document | null, id: string): LoadedSession<Body> | null {
    return publishRead(doc ? this.#context.codec.decode(doc, id) : null, this.#context.options.collection);
  }

  /**
   * Like `load`, but with a snapshot even when there is no session: one of nothing, naming the
   * tombstone it found (a new log-in under a revoked id may replace that one, see writes.ts).
   */
  async read(col: Collection<SessionDocument>, id: string): Promise<ReadSession<Body>> {
    const documentId = this.#context.codec.documentId(id);
    const doc = await this.find(col, id);
    const loaded = this.#decoded(doc, id);
    if (loaded) return loaded;
    const ownTombstone = doc?.['_id'] === documentId && doc['revoked'] === true;
    const revokedAt = ownTombstone && doc['revokedAt'] instanceof Date ? doc['revokedAt'] : undefined;
    return {
      session: null,
      snapshot: new SessionSnapshot(id, new Date(0), undefined, undefined, 'absent', { documentId, revokedAt }),
    };
  }

  #unlessEnded(doc: Document, id: string): Document | null {
    if (doc['revoked'] === true) return doc;
    const reason = this.#context.policy.endedBy(doc, Date.now());
    if (!reason) return doc;
    this.#context.expired(id, reason);
    publishSession('expired', this.#context.options.collection, reason);
    return null;
  }

  /** The live documents of a filter this store can read, decoded one at a time. */
  async *readable(col: Collection<SessionDocument>, filter: Document): AsyncGenerator<LoadedSession<Body> & { doc: Document }> {
    const now = Date.now();
    const { codec, policy } = this.#context;
    for await (const doc of col.find(liveFilter(filter), READ_OPTIONS)) {
      const id = peerSessionId(doc) ?? (typeof doc._id === 'string' ? doc._id : undefined);
      const loaded = id === undefined || policy.endedBy(doc, now) ? null : codec.decode(doc, id);
      if (loaded) yield { ...loaded, doc };
    }
  }

  /** `[{ id, session, expires, createdAt, lastSeenAt, device }]` of a filter's live sessions. */
  async list(col: Collection<SessionDocument>, filter: Document): Promise<StoredSession<Body>[]> {
    const out: StoredSession<Body>[] = [];
    for await (const { session, snapshot, doc } of this.readable(col, filter)) {
      const entry: StoredSession<Body> = { id: snapshot.id, session, expires: snapshot.expires };
      if (snapshot.createdAt) entry.createdAt = snapshot.createdAt;
      if (doc['lastSeenAt'] instanceof Date) entry.lastSeenAt = doc['lastSeenAt'];
      if (doc['device'] !== null && typeof doc['device'] === 'object') entry.device = doc['device'];
      out.push(entry);
    }
    return out;
  }

  /**
   * Counts what `list` would return: a document this store cannot read (encrypted with a
   * retired key, in clear under `crypto`, corrupt) is no session, so it is not counted.
   */
  async count(col: Collection<SessionDocument>, filter: Document): Promise<number> {
    let count = 0;
    for await (const _ of this.readable(col, filter)) count++;
    return count;
  }
}
