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
 *
 * Peer documents have no `v`; ours always do.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Document } from 'mongodb';
import { InvalidOptionError } from './errors';

export type PeerShape = 'json' | 'bson' | 'blob';

/** The stores whose documents we read and write, and the shape each writes. */
export const PEER_SHAPES = Object.freeze({
  'connect-mongo': 'json',
  'connect-mongo-unstringified': 'bson',
  'connect-mongodb-session': 'bson',
  'koa-session-mongo': 'blob',
} as const satisfies Record<string, PeerShape>);

export type PeerStore = keyof typeof PEER_SHAPES;

/** The shape of a document without our `v`, or undefined when it is no session document we know. */
export function peerShapeOf(doc: Document): PeerShape | undefined {
  if (doc['v'] !== undefined) return undefined;
  const session = doc['session'];
  if (typeof session === 'string') return 'json';
  if (session !== null && typeof session === 'object' && !Array.isArray(session)) return 'bson';
  if (typeof doc['blob'] === 'string') return 'blob';
  return undefined;
}

/** When a peer document expires: its `expires`, or for `blob` its `updatedAt` plus the store's lifetime. */
export function peerExpiry(shape: PeerShape, doc: Document, ttlMs: number): Date | undefined {
  if (shape !== 'blob') return doc['expires'] instanceof Date ? doc['expires'] : undefined;
  const updatedAt = doc['updatedAt'];
  return updatedAt instanceof Date ? new Date(updatedAt.getTime() + ttlMs) : undefined;
}

/** The session body a peer document holds. Throws on garbage (the caller reports it as corrupt). */
export function decodePeer(shape: PeerShape, doc: Document, kruptein: KrupteinCipher | undefined): unknown {
  if (shape === 'bson') return doc['session'];
  const text = shape === 'blob' ? (doc['blob'] as string) : (doc['session'] as string);
  if (shape === 'json' && kruptein && KrupteinCipher.looksEncrypted(text)) return kruptein.decrypt(text);
  return JSON.parse(text);
}

/** The fields a write sets to keep a document in its peer's shape. */
export function encodePeer(
  shape: PeerShape,
  body: object,
  expires: Date,
  now: Date,
  kruptein: KrupteinCipher | undefined,
): Document {
  switch (shape) {
    case 'json':
      return { session: kruptein ? kruptein.encrypt(body) : JSON.stringify(body), expires };
    case 'bson':
      // As the peer stores it: the driver's BSON of the object itself.
      return { session: body, expires };
    case 'blob':
      return { blob: JSON.stringify(body), updatedAt: now };
  }
}

/** A touch of a peer document: its expiry field, in its own terms. */
export function touchPeer(shape: PeerShape, expires: Date, now: Date): Document {
  return shape === 'blob' ? { updatedAt: now } : { expires };
}

/** Fields of peer shapes that our format does not have: removed when a document is adopted. */
export const PEER_ONLY_FIELDS = Object.freeze({ blob: '', lastModified: '' } as const);

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
