/**
 * Encryption at rest and hashed session ids. node:crypto only.
 *
 * Envelope (a BSON Binary, subtype 0x80):
 *   [1 byte version = 1][8 bytes key id][12 bytes IV][ciphertext][16 bytes GCM tag]
 * The plaintext is the BSON document `{ v: <value> }`, where the value is what
 * the store would have written in clear (for the lossless format: one encoded
 * top-level value), so Dates and the rest of the format survive.
 *
 * The additional authenticated data binds each envelope to the document `_id`
 * and to the top-level key it is stored under: an envelope copied to another
 * session, or to another key of the same session, does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { BSON } from 'mongodb';

const ENVELOPE_VERSION = 1;
const KEY_ID_BYTES = 8;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + IV_BYTES;
/** BSON's first user-defined binary subtype: marks our envelopes apart from any Binary a serializer writes. */
export const ENVELOPE_SUBTYPE = 0x80;
/** HKDF salt: fixed, because secrets must already carry their own entropy (see MIN_SECRET_LENGTH). */
const SALT = 'mongo-session/v1';
/** Secrets are used as keys (HKDF, not a password hash), so they must be long random strings. */
export const MIN_SECRET_LENGTH = 32;
/** The AAD field of a body encrypted whole (json and custom serializers); never a stored key (keys escape NUL). */
export const WHOLE_BODY = '\u0000body';

/** Why an envelope did not decrypt; the message never contains data. */
export class DecryptionError extends Error {
  override get name(): string {
    return 'DecryptionError';
  }
}

interface DerivedKey {
  readonly id: Buffer;
  readonly key: Buffer;
}

function derive(secret: string, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, info, length));
}

/** AES-256-GCM with a list of keys: the first encrypts, every one decrypts. */
export class SessionCipher {
  readonly #keys: readonly DerivedKey[];

  constructor(secrets: readonly string[]) {
    // Derived once per secret: HKDF costs far more than one GCM operation.
    this.#keys = secrets.map((secret) => ({
      key: derive(secret, 'aes-256-gcm key', 32),
      id: derive(secret, 'key id', KEY_ID_BYTES),
    }));
  }

  static isEnvelope(value: unknown): value is BSON.Binary {
    return value instanceof BSON.Binary && value.sub_type === ENVELOPE_SUBTYPE;
  }

  encrypt(value: unknown, documentId: string, field: string): BSON.Binary {
    const { key, id } = this.#keys[0]!;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(documentId, field));
    const plaintext = BSON.serialize({ v: value });
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const header = Buffer.alloc(1, ENVELOPE_VERSION);
    return new BSON.Binary(Buffer.concat([header, id, iv, body, cipher.getAuthTag()]), ENVELOPE_SUBTYPE);
  }

  /** The value sealed in an envelope, and whether it was sealed with the first (current) key. */
  decrypt(envelope: unknown, documentId: string, field: string): { value: unknown; current: boolean } {
    if (!SessionCipher.isEnvelope(envelope)) throw new DecryptionError('a value is not encrypted');
    const bytes = Buffer.from(envelope.buffer.buffer, envelope.buffer.byteOffset, envelope.position);
    if (bytes.length < HEADER_BYTES + TAG_BYTES || bytes[0] !== ENVELOPE_VERSION) {
      throw new DecryptionError('an encrypted value is truncated or of an unknown version');
    }
    const keyId = bytes.subarray(1, 1 + KEY_ID_BYTES);
    const index = this.#keys.findIndex((k) => timingSafeEqual(k.id, keyId));
    if (index < 0) throw new DecryptionError('an encrypted value was written with a key not in "crypto.secret"');
    const decipher = createDecipheriv('aes-256-gcm', this.#keys[index]!.key, bytes.subarray(1 + KEY_ID_BYTES, HEADER_BYTES));
    decipher.setAAD(aad(documentId, field));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(bytes.subarray(HEADER_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new DecryptionError('an encrypted value failed authentication (tampered, or moved from another session)');
    }
    let decoded: BSON.Document;
    try {
      decoded = BSON.deserialize(plaintext);
    } catch {
      throw new DecryptionError('an encrypted value did not hold valid data');
    }
    return { value: decoded['v'], current: index === 0 };
  }
}

/**
 * The stored size of a body once sealed: its BSON size with each value (or, for
 * whole-body serializers, the body) replaced by an envelope. Encryption adds a
 * fixed overhead per envelope, so a body just under the limit in clear can exceed it.
 */
export function sealedBodySize(stored: unknown, perKey: boolean): number {
  const envelopeOverhead = HEADER_BYTES + TAG_BYTES;
  if (!perKey) return BSON.calculateObjectSize({ v: stored }) + envelopeOverhead;
  let size = 5; // the subdocument's length prefix and terminator
  for (const [key, value] of Object.entries(stored as Record<string, unknown>)) {
    // Element: type byte, key cstring, Binary length, subtype, then the envelope.
    size += 1 + Buffer.byteLength(key) + 1 + 4 + 1 + BSON.calculateObjectSize({ v: value }) + envelopeOverhead;
  }
  return size;
}

function aad(documentId: string, field: string): Buffer {
  return Buffer.from(`mongo-session/v1\u0000${documentId}\u0000${field}`);
}

/** The keyed hash stored as `_id` when `hashSessionIds` is on: HMAC-SHA-256, base64url. */
export class SessionIdHasher {
  readonly #key: Buffer;

  constructor(secret: string) {
    this.#key = derive(secret, 'session id hmac', 32);
  }

  hash(sessionId: string): string {
    return createHmac('sha256', this.#key).update(sessionId).digest('base64url');
  }
}

/**
 * The `_id` a session is stored under with `hashSessionIds: { secret }`; for
 * migration scripts and for looking a session up by hand.
 */
export function hashSessionId(sessionId: string, secret: string): string {
  return new SessionIdHasher(secret).hash(sessionId);
}
