/**
 * Documents other session stores wrote, read as sessions and, until the user opts
 * into our format (`adoptPeerDocuments`), written back in the same shape: switching
 * to this store and back again keeps everyone logged in.
 *
 * | shape   | written by                                             | document                                   |
 * | ------- | ------------------------------------------------------ | ------------------------------------------ |
 * | `json`  | connect-mongo (default `stringify: true`)              | `{ _id, session: "<JSON>", expires }`      |
 * | `json` + kruptein | connect-mongo with `crypto: { secret }`      | `{ _id, session: "<kruptein envelope>", expires }` |
 * | `bson`  | connect-mongodb-session, connect-mongo `stringify: false` | `{ _id, session: { … }, expires }`      |
 * | `blob`  | koa-session-mongo                                      | `{ _id, blob: "<JSON>", updatedAt }` (lifetime from `updatedAt`) |
 * | `sid`   | koa-generic-session-mongo                              | `{ _id: ObjectId, sid, ...the body's keys, ttl }` (found by `sid`) |
 * | `flat`  | MongoSess                                              | `{ _id, createdAt, ...the body's keys }` (lifetime from `createdAt`) |
 *
 * Peer documents have no `v`; ours always do. The two flat shapes hold the body's keys beside
 * their own fields, so a body whose keys would collide with a field, or cannot be a field name,
 * is written in our format instead (see {@link keepsShape}).
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Document, ObjectId } from 'mongodb';
import { InvalidOptionError } from './errors';

export type PeerShape = 'json' | 'bson' | 'blob' | 'sid' | 'flat';

/** The stores whose documents we read and write, and the shape each writes. */
export const PEER_SHAPES = Object.freeze({
  'connect-mongo': 'json',
  'connect-mongo-unstringified': 'bson',
  'connect-mongodb-session': 'bson',
  'koa-session-mongo': 'blob',
  'koa-generic-session-mongo': 'sid',
  mongosess: 'flat',
} as const satisfies Record<string, PeerShape>);

export type PeerStore = keyof typeof PEER_SHAPES;

/** The shape of a document without our `v`, or undefined when it is no session document we know. */
export function peerShapeOf(doc: Document): PeerShape | undefined {
  if (doc['v'] !== undefined) return undefined;
  // First: a flat body may itself hold a key named `session` or `blob`.
  if (typeof doc['sid'] === 'string' && doc['ttl'] instanceof Date) return 'sid';
  const session = doc['session'];
  if (typeof session === 'string') return 'json';
  if (session !== null && typeof session === 'object' && !Array.isArray(session)) return 'bson';
  if (typeof doc['blob'] === 'string') return 'blob';
  if (doc['createdAt'] instanceof Date && !('expires' in doc) && !('session' in doc)) return 'flat';
  return undefined;
}

/** The id a peer document belongs to: its `_id`, or koa-generic-session-mongo's `sid` beside an ObjectId. */
export function peerSessionId(doc: Document): string | undefined {
  const id = doc['_id'];
  if (typeof id === 'string') return id;
  return id instanceof ObjectId && peerShapeOf(doc) === 'sid' ? (doc['sid'] as string) : undefined;
}

/**
 * When a peer document expires: its `expires`; `blob`: `updatedAt` plus the store's lifetime;
 * `sid`: its `ttl`; `flat`: `createdAt` plus the lifetime (MongoSess sessions never slide).
 */
export function peerExpiry(shape: PeerShape, doc: Document, ttlMs: number): Date | undefined {
  const field = PEER_EXPIRY_FIELD[shape];
  const value = doc[field];
  if (!(value instanceof Date)) return undefined;
  return shape === 'blob' || shape === 'flat' ? new Date(value.getTime() + ttlMs) : value;
}

/** The field a peer shape keeps its lifetime in (named in corrupt-document warnings). */
export const PEER_EXPIRY_FIELD = Object.freeze({
  json: 'expires',
  bson: 'expires',
  blob: 'updatedAt',
  sid: 'ttl',
  flat: 'createdAt',
} as const satisfies Record<PeerShape, string>);

/** Fields of the flat shapes that are no part of the body. */
const FLAT_OWN_FIELDS = Object.freeze({ sid: ['_id', 'sid', 'ttl'], flat: ['_id', 'createdAt'] } as const);

/** Our fields and the peers': a flat body with a key among them is written in our format. */
const RESERVED_KEYS = new Set([
  '_id',
  'sid',
  'ttl',
  'createdAt',
  'updatedAt',
  'expires',
  'session',
  'blob',
  'v',
  'revoked',
  'revokedAt',
  'sealed',
]);

/** Whether a body can be written in its peer's shape (always, but for the flat shapes' key rules). */
export function keepsShape(shape: PeerShape, body: object): boolean {
  if (shape !== 'sid' && shape !== 'flat') return true;
  return Object.keys(body).every(
    (key) => key.length > 0 && !key.startsWith('$') && !key.includes('.') && !RESERVED_KEYS.has(key),
  );
}

/** The session body a peer document holds. Throws on garbage (the caller reports it as corrupt). */
export function decodePeer(shape: PeerShape, doc: Document, kruptein: KrupteinCipher | undefined): unknown {
  if (shape === 'bson') return doc['session'];
  if (shape === 'sid' || shape === 'flat') {
    const body: Document = { ...doc };
    for (const field of FLAT_OWN_FIELDS[shape]) delete body[field];
    return body;
  }
  const text = shape === 'blob' ? (doc['blob'] as string) : (doc['session'] as string);
  if (shape === 'json' && kruptein && KrupteinCipher.looksEncrypted(text)) return kruptein.decrypt(text);
  return JSON.parse(text);
}

/**
 * The update that keeps a document in its peer's shape. `previous`: the body read before (the
 * flat shapes unset the keys it had and this one has not); `sid`: the id koa-generic-session-mongo
 * finds it by.
 */
export function encodePeer(
  shape: PeerShape,
  body: object,
  expires: Date,
  now: Date,
  kruptein: KrupteinCipher | undefined,
  flat: { previous: object | undefined; sid: string },
): { $set: Document; $unset?: Record<string, ''> } {
  switch (shape) {
    case 'json':
      return { $set: { session: kruptein ? kruptein.encrypt(body) : JSON.stringify(body), expires } };
    case 'bson':
      // As the peer stores it: the driver's BSON of the object itself.
      return { $set: { session: body, expires } };
    case 'blob':
      return { $set: { blob: JSON.stringify(body), updatedAt: now } };
    case 'sid':
    case 'flat': {
      const $set: Document = shape === 'sid' ? { ...body, sid: flat.sid, ttl: expires } : { ...body };
      const removed = Object.keys(flat.previous ?? {}).filter((key) => !Object.hasOwn(body, key) && !RESERVED_KEYS.has(key));
      return removed.length > 0 ? { $set, $unset: Object.fromEntries(removed.map((key) => [key, ''])) } : { $set };
    }
  }
}

/** A touch of a peer document: its expiry field, in its own terms; none for MongoSess, whose lifetime is fixed. */
export function touchPeer(shape: PeerShape, expires: Date, now: Date): Document | undefined {
  switch (shape) {
    case 'blob':
      return { updatedAt: now };
    case 'sid':
      return { ttl: expires };
    case 'flat':
      return undefined;
    default:
      return { expires };
  }
}

/** Whether the shape stamps `createdAt` (ours, and MongoSess's own field); koa-generic-session-mongo would read it as a body key. */
export function stampsCreatedAt(shape: PeerShape | undefined): boolean {
  return shape !== 'sid';
}

/**
 * Fields of a peer document that our format does not have, removed when it is adopted: the
 * other stores' fields and, for the flat shapes, the body's keys (which now live under `session`).
 */
export function peerOnlyFields(shape: PeerShape, previous: object | undefined): Record<string, ''> {
  const fields: Record<string, ''> = { blob: '', lastModified: '', sid: '', ttl: '' };
  if (shape === 'sid' || shape === 'flat') {
    for (const key of Object.keys(previous ?? {})) if (!RESERVED_KEYS.has(key) && key !== 'owner') fields[key] = '';
  }
  return fields;
}

/**
 * Flat peer documents (koa-generic-session-mongo's, MongoSess's): neither ours, nor another
 * shape, nor a tombstone. `destroyByOwner` deletes these instead of leaving a tombstone, whose
 * remaining body keys the peer would still read after switching back.
 */
export const FLAT_PEER_DOCUMENT = Object.freeze({
  v: { $exists: false },
  session: { $exists: false },
  blob: { $exists: false },
} as const);

/** Expired peer documents the sweep removes, by shape (the others have `expires` or no fixed lifetime field). */
export function expiredPeerFilter(shape: PeerShape, now: Date, ttlMs: number): Document | undefined {
  if (shape === 'sid') return { ...FLAT_PEER_DOCUMENT, sid: { $exists: true }, ttl: { $lte: now } };
  if (shape === 'flat')
    return { ...FLAT_PEER_DOCUMENT, sid: { $exists: false }, createdAt: { $lte: new Date(now.getTime() - ttlMs) } };
  return undefined;
}

/** connect-mongo's `crypto: { secret, ...kruptein options }`: its envelopes, read and written with kruptein itself. */
export interface KrupteinOptions {
  secret: string;
  [option: string]: unknown;
}

interface KrupteinInstance {
  set(secret: string, plaintext: string, callback: (error: unknown, ciphertext?: string) => void): void;
  get(secret: string, ciphertext: string, callback: (error: unknown, plaintext?: string) => void): void;
}

/** Thrown when an envelope does not open; the message never contains data. */
export class PeerDecryptionError extends Error {
  override get name(): string {
    return 'PeerDecryptionError';
  }
}

/**
 * connect-mongo's encryption (kruptein, aes-256-gcm, sha512, base64 by default; the
 * secret any length, since kruptein derives its key with PBKDF2). kruptein is loaded
 * from the app's dependencies (connect-mongo installs it), never bundled.
 */
export class KrupteinCipher {
  readonly #secret: string;
  readonly #kruptein: KrupteinInstance;

  constructor(options: KrupteinOptions) {
    const { secret, ...tuning } = options;
    this.#secret = secret;
    // connect-mongo's defaults, so its envelopes open with only the secret given.
    const settings = {
      algorithm: 'aes-256-gcm',
      hashing: 'sha512',
      encodeas: 'base64',
      key_size: 32,
      iv_size: 16,
      at_size: 16,
      ...tuning,
    };
    this.#kruptein = loadKruptein()(settings);
  }

  /** connect-mongo's envelopes are base64 (ASN.1), never JSON. */
  static looksEncrypted(text: string): boolean {
    return !/^\s*[[{"]/.test(text);
  }

  decrypt(ciphertext: string): unknown {
    let plaintext: string | undefined;
    let failed = false;
    this.#kruptein.get(this.#secret, ciphertext, (error, result) => {
      failed = Boolean(error);
      plaintext = result;
    });
    if (failed || typeof plaintext !== 'string')
      throw new PeerDecryptionError('a connect-mongo encrypted session did not decrypt with "crypto.secret"');
    // connect-mongo encrypts the JSON string of the session, which kruptein JSON-encodes once more.
    const once = JSON.parse(plaintext) as unknown;
    return typeof once === 'string' ? JSON.parse(once) : once;
  }

  encrypt(body: object): string {
    let ciphertext: string | undefined;
    this.#kruptein.set(this.#secret, JSON.stringify(body), (error, result) => {
      if (!error) ciphertext = result;
    });
    if (typeof ciphertext !== 'string') throw new PeerDecryptionError('kruptein could not encrypt a session');
    return ciphertext;
  }
}

type KrupteinFactory = (options: Record<string, unknown>) => KrupteinInstance;

function loadKruptein(): KrupteinFactory {
  // From the app first; under pnpm kruptein is only visible from connect-mongo itself.
  const fromApp = createRequire(join(process.cwd(), 'package.json'));
  const candidates = [() => fromApp('kruptein'), () => createRequire(fromApp.resolve('connect-mongo'))('kruptein')];
  for (const load of candidates) {
    try {
      const loaded = load() as KrupteinFactory | { default: KrupteinFactory };
      return typeof loaded === 'function' ? loaded : loaded.default;
    } catch {
      // try the next place
    }
  }
  throw new InvalidOptionError(
    'peerCrypto',
    'Reading connect-mongo\'s encrypted sessions needs the "kruptein" package, which connect-mongo installs: keep connect-mongo installed or run `npm install kruptein`.',
  );
}
