/**
 * The document model: what a stored session looks like and how a body becomes one and
 * back. No I/O here.
 *
 * Document (format version 1):
 *   { _id: <session id>, session: <body>, expires: Date, createdAt: Date, updatedAt: Date, v: 1, owner?: string }
 * The body sits in its own field so user keys never collide with ours. With
 * `hashSessionIds` the `_id` is a keyed hash of the session id; with `crypto`
 * each top-level value of the body (or the whole body, for whole-document
 * serializers) is an encrypted envelope. Documents without `v` were written by
 * another session store (see peers.ts).
 */
import { type Document, ObjectId, type UpdateFilter } from 'mongodb';
import { DecryptionError, SessionCipher, SessionIdHasher, WHOLE_BODY, sealedBodySize } from './crypto';
import { CorruptDocumentError, decodeBody, encodeBody, MAX_BODY_SIZE, MAX_BSON_SIZE, type EncodedBody } from './encoding';
import { InvalidOptionError, SerializationError, describeValue, WarningCode } from './errors';
import { MAX_ID_LENGTH } from './limits';
import { publishSession } from './metrics';
import type { ResolvedOptions, SessionData, StoreWarning } from './options';
import {
  decodePeer,
  encodePeer,
  KrupteinCipher,
  PEER_EXPIRY_FIELD,
  PeerDecryptionError,
  peerExpiry,
  peerShapeOf,
  type PeerShape,
} from './peers';
import { type DocumentKey, type LoadedSession, type SessionDocument, SessionSnapshot, type StoredFormat } from './snapshot';

export const FORMAT_VERSION = 1;
// Filters use `{ _id: id }`, not `{ _id: { $eq: id } }`: checkId() admits only strings, so no
// operator can reach them, and FerretDB 1.x finds a document by _id quickly only in that form.
/**
 * The driver looks array field names up in a plain `{}` of raw fields, so an array under
 * a key such as `constructor` or `toString` comes back as raw BSON bytes; an empty
 * null-prototype map avoids that.
 */
export const READ_OPTIONS = Object.freeze({ fieldsAsRaw: Object.create(null) as Record<string, boolean> });

export type { DocumentKey, LoadedSession, ReadSession, SessionDocument, StoredFormat, StoredSession } from './snapshot';
export { SessionSnapshot } from './snapshot';

/**
 * Turns session bodies into stored documents and back: ids (hashed or not), owners,
 * encodings, encryption (ours, and connect-mongo's for its documents), peer shapes.
 */
export class DocumentCodec<Body extends object = SessionData> {
  readonly #options: ResolvedOptions<Body>;
  readonly #warn: (warning: StoreWarning) => void;
  readonly #cipher: SessionCipher | undefined;
  readonly #hasher: SessionIdHasher | undefined;
  readonly #kruptein: KrupteinCipher | undefined;

  constructor(options: ResolvedOptions<Body>, warn: (warning: StoreWarning) => void) {
    this.#options = options;
    this.#warn = (warning) => {
      if (warning.code === WarningCode.DecryptionFailed) publishSession('decryption-failed', options.collection);
      warn(warning);
    };
    this.#cipher = options.crypto && new SessionCipher(options.crypto.secrets);
    this.#hasher = options.hashSessionIds && new SessionIdHasher(options.hashSessionIds.secret);
    this.#kruptein = options.peerCrypto && new KrupteinCipher(options.peerCrypto);
  }

  /** Encrypts one top-level value for a per-key write (identity without `crypto`). */
  sealValue(value: unknown, documentId: string, key: string): unknown {
    return this.#cipher ? this.#cipher.encrypt(value, documentId, key) : value;
  }

  get encrypting(): boolean {
    return this.#cipher !== undefined;
  }

  documentId(id: string): string {
    return this.#hasher ? this.#hasher.hash(id) : id;
  }

  /** The owner of a body about to be written; checked, since it comes from application code. */
  ownerOf(session: Body): string | undefined {
    const ownerOf = this.#options.owner;
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

  encode(session: Body): unknown {
    const stored = this.#encodeClear(session);
    this.#checkSealedSize(stored);
    return stored;
  }

  #encodeClear(session: Body): unknown {
    const serializer = this.#options.serializer;
    if (serializer === 'lossless') return encodeBody(session);
    let stored: unknown;
    try {
      stored = serializer === 'json' ? JSON.stringify(session) : serializer.serialize(session);
    } catch (error) {
      const kind =
        error instanceof TypeError && /BigInt/i.test(error.message)
          ? 'a BigInt'
          : 'a circular reference or an unserializable value';
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
    const size = sealedBodySize(stored, this.#options.serializer === 'lossless');
    if (size > MAX_BODY_SIZE) {
      throw new SerializationError(
        `The session body is larger than MongoDB's 16 MiB document limit once encrypted (${(size / 1048576).toFixed(1)} MiB).`,
      );
    }
  }

  decode(doc: Document, id: string): LoadedSession<Body> | null {
    if (doc['revoked'] === true) return null;
    const version = doc['v'];
    const peerShape = version === undefined ? peerShapeOf(doc) : undefined;
    const expires = peerShape ? peerExpiry(peerShape, doc, this.#options.ttlMs) : doc['expires'];
    if (!(expires instanceof Date) || Number.isNaN(expires.getTime())) {
      this.#corrupt(`its "${peerShape ? PEER_EXPIRY_FIELD[peerShape] : 'expires'}" field is not a date`);
      return null;
    }
    if (expires.getTime() <= Date.now()) return null;
    const documentId = doc['_id'];
    if (typeof documentId !== 'string' && !(peerShape === 'sid' && documentId instanceof ObjectId)) return null;
    const createdAt = doc['createdAt'] instanceof Date ? doc['createdAt'] : undefined;
    const owner = typeof doc['owner'] === 'string' ? doc['owner'] : undefined;
    if (peerShape) return this.#decodePeer(doc, id, peerShape, expires, { documentId, owner, createdAt });
    let stored = doc['session'];
    let reseal = false;
    if (this.#cipher) {
      try {
        ({ stored, reseal } = this.#open(stored, documentId as string, doc['sealed'] === true));
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        this.#warn({ code: WarningCode.DecryptionFailed, message: `A stored session was ignored because ${error.message}.` });
        return null;
      }
    }
    let format: StoredFormat;
    let session: unknown;
    try {
      if (version !== FORMAT_VERSION) {
        this.#corrupt(`its format version is unknown to this release (v = ${describeValue(version)})`);
        return null;
      } else if (typeof this.#options.serializer === 'object') {
        format = 'custom';
        session = this.#options.serializer.deserialize(stored);
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
    return this.#loaded(
      session,
      () => new SessionSnapshot(id, expires, createdAt, stored, format, { documentId, owner, reseal }),
    );
  }

  /** A document another session store wrote (see peers.ts): read as it is, remembered by shape. */
  #decodePeer(
    doc: Document,
    id: string,
    shape: PeerShape,
    expires: Date,
    storage: { documentId: DocumentKey; owner: string | undefined; createdAt: Date | undefined },
  ): LoadedSession<Body> | null {
    const kruptein = this.#kruptein;
    const sealedByPeer = shape === 'json' && kruptein !== undefined && KrupteinCipher.looksEncrypted(doc['session'] as string);
    // Under our encryption a body in clear is refused whoever wrote it (else anyone who can write could plant one).
    if (this.#cipher && !this.#options.crypto?.acceptUnencrypted && !sealedByPeer) {
      this.#warn({
        code: WarningCode.DecryptionFailed,
        message: 'A stored session was ignored because it is not encrypted (set crypto.acceptUnencrypted to read such sessions).',
      });
      return null;
    }
    let session: unknown;
    try {
      session = decodePeer(shape, doc, kruptein);
    } catch (error) {
      if (error instanceof PeerDecryptionError) {
        this.#warn({ code: WarningCode.DecryptionFailed, message: `A stored session was ignored because ${error.message}.` });
      } else {
        this.#corrupt(`its ${shape === 'blob' ? '"blob"' : 'session'} could not be decoded`);
      }
      return null;
    }
    return this.#loaded(
      session,
      () => new SessionSnapshot(id, expires, storage.createdAt, session, 'peer', { ...storage, peerShape: shape }),
    );
  }

  /** Decrypts a stored body: one envelope (whole-body serializers) or one per top-level value. */
  #open(stored: unknown, documentId: string, markedSealed: boolean): { stored: unknown; reseal: boolean } {
    const cipher = this.#cipher!;
    if (SessionCipher.isEnvelope(stored)) {
      const { value, current } = cipher.decrypt(stored, documentId, WHOLE_BODY);
      return { stored: value, reseal: !current };
    }
    const inClear = () => {
      if (!this.#options.crypto?.acceptUnencrypted) {
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
  seal(stored: unknown, documentId: string): unknown {
    const cipher = this.#cipher;
    if (!cipher) return stored;
    if (this.#options.serializer !== 'lossless') return cipher.encrypt(stored, documentId, WHOLE_BODY);
    const sealed: EncodedBody = {};
    for (const [key, value] of Object.entries(stored as EncodedBody)) sealed[key] = cipher.encrypt(value, documentId, key);
    return sealed;
  }

  sealedMark(): { sealed?: true } {
    return this.#cipher ? { sealed: true } : {};
  }

  ownerSet(owner: string | undefined): { owner?: string } {
    return owner === undefined ? {} : { owner };
  }

  ownerUnset(owner: string | undefined): { $unset?: { owner: '' } } {
    return owner === undefined && this.#options.owner ? { $unset: { owner: '' } } : {};
  }

  wholeUpdate(
    stored: unknown,
    documentId: string,
    owner: string | undefined,
    expires: Date,
    now: Date,
  ): UpdateFilter<SessionDocument> {
    return {
      $set: {
        session: this.seal(stored, documentId),
        ...this.sealedMark(),
        expires,
        updatedAt: now,
        lastSeenAt: now,
        v: FORMAT_VERSION,
        ...this.ownerSet(owner),
      },
      ...this.ownerUnset(owner),
    };
  }

  /** A write in a peer's shape; `previous`: the body read before, `id`: the session id (see {@link encodePeer}). */
  peerUpdate(
    shape: PeerShape,
    session: Body,
    previous: object | undefined,
    id: string,
    owner: string | undefined,
    expires: Date,
    now: Date,
  ): UpdateFilter<SessionDocument> {
    let update: { $set: Document; $unset?: Record<string, ''> };
    try {
      update = encodePeer(shape, session, expires, now, this.#kruptein, { previous, sid: this.documentId(id) });
    } catch {
      throw new SerializationError(
        "The session body could not be serialized in its peer store's shape: it contains a circular reference or an unserializable value.",
      );
    }
    const $set = { ...update.$set, ...this.ownerSet(owner) };
    const $unset: Record<string, ''> = { ...update.$unset, ...this.ownerUnset(owner).$unset };
    // A key both set and unset is a conflict for the server: the set wins.
    for (const key of Object.keys($set)) delete $unset[key];
    return Object.keys($unset).length > 0
      ? { $set: $set as Partial<SessionDocument>, $unset: $unset as UpdateFilter<SessionDocument>['$unset'] }
      : { $set: $set as Partial<SessionDocument> };
  }

  /** A decoded body is a session only if it is an object. */
  #loaded(session: unknown, snapshot: () => SessionSnapshot): LoadedSession<Body> | null {
    if (session === null || typeof session !== 'object' || Array.isArray(session)) {
      this.#corrupt('its session body is not an object');
      return null;
    }
    return { session: session as Body, snapshot: snapshot() };
  }

  #corrupt(reason: string): void {
    this.#warn({ code: WarningCode.CorruptDocument, message: `A stored session was ignored because ${reason}.` });
  }
}
