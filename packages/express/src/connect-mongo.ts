/**
 * connect-mongo 6's option names, mapped onto the core's (`MongoStore.create`), or
 * refused with an InvalidOptionError that says how to migrate.
 */
import { InvalidOptionError, type SessionData, type SessionStoreOptions } from '@mongo-session/core';

/** connect-mongo 6's `crypto` option: its secret (any length) and kruptein's settings, to read and write its encrypted sessions. */
export interface ConnectMongoCrypto {
  secret?: string | false;
  [kruptein: string]: unknown;
}

/** connect-mongo 6's option names, for {@link MongoStore.create}. */
export interface ConnectMongoOptions extends Partial<Omit<SessionStoreOptions, 'crypto'>> {
  mongoUrl?: string;
  dbName?: string;
  collectionName?: string;
  mongoOptions?: SessionStoreOptions['connectionOptions'];
  /** Seconds. */
  ttl?: number;
  /** Minutes. */
  autoRemoveInterval?: number;
  /** Seconds. */
  touchAfter?: number;
  stringify?: boolean;
  serialize?: (session: SessionData) => unknown;
  unserialize?: (stored: unknown) => SessionData;
  transformId?: unknown;
  timestamps?: boolean;
  writeOperationOptions?: unknown;
  /** connect-mongo's encryption (kruptein): its sessions are read and, until `adoptPeerDocuments`, written with it. */
  crypto?: ConnectMongoCrypto;
  cryptoAdapter?: unknown;
}

const UNSUPPORTED: Readonly<Record<string, string>> = {
  transformId: 'session ids are stored as given; transform them in express-session\'s "genid" instead.',
  writeOperationOptions:
    'set the write concern on the client: mongoOptions: { writeConcern: { w: "majority" } } or w= in mongoUrl.',
  cryptoAdapter:
    'its envelopes cannot be read; pass crypto: { secret } (kruptein), or see "Security" in the core README for this library\'s encryption.',
};

/** Maps connect-mongo 6 option names onto the core's. */
export function fromConnectMongo(options: ConnectMongoOptions): SessionStoreOptions {
  const {
    mongoUrl,
    dbName,
    collectionName,
    mongoOptions,
    ttl,
    autoRemoveInterval,
    touchAfter,
    stringify,
    serialize,
    unserialize,
    timestamps,
    crypto,
    ...rest
  } = options ?? ({} as ConnectMongoOptions);
  for (const [name, how] of Object.entries(UNSUPPORTED)) {
    if ((rest as Record<string, unknown>)[name] !== undefined) {
      throw new InvalidOptionError(name, `connect-mongo option "${name}" is not supported: ${how}`);
    }
  }
  if (timestamps === false) {
    throw new InvalidOptionError(
      'timestamps',
      'connect-mongo option "timestamps: false" is not supported: documents always carry createdAt and updatedAt; remove the option.',
    );
  }
  if ((serialize === undefined) !== (unserialize === undefined)) {
    throw new InvalidOptionError(
      serialize ? 'unserialize' : 'serialize',
      'connect-mongo options "serialize" and "unserialize" must be given together.',
    );
  }
  const mapped: SessionStoreOptions = { ...(rest as SessionStoreOptions) };
  const set = <K extends keyof SessionStoreOptions>(key: K, value: SessionStoreOptions[K] | undefined) => {
    if (value !== undefined) mapped[key] = value;
  };
  set('uri', mongoUrl);
  set('databaseName', dbName);
  set('collection', collectionName);
  set('connectionOptions', mongoOptions);
  set('ttlMs', seconds('ttl', ttl, 1000));
  set('cleanupIntervalMs', seconds('autoRemoveInterval', autoRemoveInterval, 60_000));
  set('touchAfterMs', seconds('touchAfter', touchAfter, 1000));
  if (serialize && unserialize) {
    mapped.serializer = { serialize, deserialize: unserialize };
  } else {
    // New sessions in connect-mongo's own shape, so switching back to it keeps them.
    mapped.peerFormat = stringify === false ? 'connect-mongo-unstringified' : 'connect-mongo';
  }
  const peerCrypto = fromConnectMongoCrypto(crypto);
  if (peerCrypto) {
    mapped.peerCrypto = peerCrypto;
    // Adopting our format re-encrypts with our cipher, which wants a long random secret.
    if (mapped.adoptPeerDocuments) mapped.crypto = { secret: adoptedSecret(peerCrypto.secret), acceptUnencrypted: true };
  }
  return mapped;
}

function fromConnectMongoCrypto(crypto: ConnectMongoOptions['crypto']): SessionStoreOptions['peerCrypto'] {
  if (crypto === undefined || crypto === null) return undefined;
  if (typeof crypto !== 'object')
    throw new InvalidOptionError('crypto', 'connect-mongo option "crypto" must be an object: { secret, ...kruptein options }.');
  const { secret, ...kruptein } = crypto;
  if (secret === false || secret === undefined) return undefined;
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new InvalidOptionError('crypto', 'connect-mongo option "crypto.secret" must be a non-empty string (or false).');
  }
  return { ...kruptein, secret };
}

function adoptedSecret(secret: string): string {
  if (secret.length >= 32) return secret;
  throw new InvalidOptionError(
    'adoptPeerDocuments',
    `adoptPeerDocuments re-encrypts connect-mongo's sessions with this library's encryption, whose secret must be a random string of at least 32 characters; crypto.secret is ${secret.length}. ` +
      "Use new MongoStore({ uri, crypto: { secret: <32+ random characters>, acceptUnencrypted: true }, peerCrypto: { secret: <connect-mongo's secret> }, adoptPeerDocuments: true }).",
  );
}

function seconds(option: string, value: number | undefined, unitMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(option, `connect-mongo option "${option}" must be a finite number, 0 or more.`);
  }
  return value * unitMs;
}
