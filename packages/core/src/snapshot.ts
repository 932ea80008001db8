/**
 * What a read hands back to a write: the stored document's key and shape, and the snapshot a
 * relative write goes through (opaque to adapters), with the result types of the reads.
 */
import type { ObjectId } from 'mongodb';
import type { SessionData } from './options';
import type { PeerShape } from './peers';
import type { DeviceRecord } from './write-plan';

/** A document's `_id`: the (hashed) session id; an ObjectId only in koa-generic-session-mongo's documents. */
export type DocumentKey = string | ObjectId;

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
  /** The last write or touch (within the lazy-touch window): idle timeouts and "last seen". */
  lastSeenAt?: Date;
  /** What the request that created the session said about its device (write option `device`). */
  device?: DeviceRecord;
}

/**
 * How a body was stored; `peer`: by another session store (see peers.ts); `absent`:
 * nothing live was there when read (see {@link SessionStore.read}).
 */
export type StoredFormat = 'lossless' | 'json' | 'custom' | 'peer' | 'absent';

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
  /** @internal The document `_id` (the hashed id with `hashSessionIds`; a koa-generic-session-mongo document's ObjectId). */
  readonly documentId: DocumentKey;
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
    storage: {
      documentId?: DocumentKey;
      owner?: string | undefined;
      reseal?: boolean;
      revokedAt?: Date | undefined;
      peerShape?: PeerShape;
    } = {},
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

/** One entry of `all()` / `listByOwner()`: the session, and what a "your devices" page shows. */
export interface StoredSession<Body = SessionData> {
  id: string;
  session: Body;
  expires: Date;
  /** When the session was created (absent for documents another store wrote without it). */
  createdAt?: Date;
  /** Its last write or touch, within the lazy-touch window. */
  lastSeenAt?: Date;
  /** The device record it was created with (write option `device`). */
  device?: DeviceRecord;
}

/**
 * The snapshots a store handed out. A write may only be relative to one of them: a snapshot
 * names the document a write goes to (the hashed id with `hashSessionIds`), so a forged one
 * could aim a write elsewhere.
 */
export class IssuedSnapshots {
  readonly #issued = new WeakSet<SessionSnapshot>();

  issue<T extends { snapshot: SessionSnapshot } | null>(read: T): T {
    if (read) this.#issued.add(read.snapshot);
    return read;
  }

  /** The snapshot a write is relative to, if it is for this id; one not handed out is refused. */
  checked(id: string, snapshot: SessionSnapshot | undefined, refuse: () => Error): SessionSnapshot | undefined {
    if (snapshot === undefined) return undefined;
    if (!this.#issued.has(snapshot)) throw refuse();
    return snapshot.id === id ? snapshot : undefined;
  }
}
