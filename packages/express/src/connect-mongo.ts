/**
 * connect-mongo 6's option names, mapped onto the core's (`MongoStore.create`), or
 * refused with an InvalidOptionError that says how to migrate.
 */
import { InvalidOptionError, type SessionData, type SessionStoreOptions } from '@mongo-session/core';

/** connect-mongo 6's `crypto` option: only `secret` is kept (the cipher is always AES-256-GCM). */
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
  /** `{ secret }` maps to the core's `crypto`; kruptein's tuning fields are refused. */
  crypto?: ConnectMongoCrypto | SessionStoreOptions['crypto'];
  cryptoAdapter?: unknown;
}

const UNSUPPORTED: Readonly<Record<string, string>> = {
  transformId: 'session ids are stored as given; transform them in express-session\'s "genid" instead.',
  writeOperationOptions: 'set the write concern on the client: mongoOptions: { writeConcern: { w: "majority" } } or w= in mongoUrl.',
  cryptoAdapter: 'pass crypto: { secret } instead (AES-256-GCM, keys rotated by listing several secrets); see "Security" in the core README.',
};

/** Maps connect-mongo 6 option names onto the core's. */
export function fromConnectMongo(options: ConnectMongoOptions): SessionStoreOptions {
  const { mongoUrl, dbName, collectionName, mongoOptions, ttl, autoRemoveInterval, touchAfter, stringify, serialize, unserialize, timestamps, crypto, ...rest } =
    options ?? ({} as ConnectMongoOptions);
  for (const [name, how] of Object.entries(UNSUPPORTED)) {
    if ((rest as Record<string, unknown>)[name] !== undefined) {
      throw new InvalidOptionError(name, `connect-mongo option "${name}" is not supported: ${how}`);
    }
  }
  if (timestamps === false) {
    throw new InvalidOptionError('timestamps', 'connect-mongo option "timestamps: false" is not supported: documents always carry createdAt and updatedAt; remove the option.');
  }
  if ((serialize === undefined) !== (unserialize === undefined)) {
    throw new InvalidOptionError(serialize ? 'unserialize' : 'serialize', 'connect-mongo options "serialize" and "unserialize" must be given together.');
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
  set('crypto', fromConnectMongoCrypto(crypto));
  if (serialize && unserialize) mapped.serializer = { serialize, deserialize: unserialize };
  else if (stringify !== undefined) mapped.serializer = stringify ? 'json' : 'lossless';
  return mapped;
}

function fromConnectMongoCrypto(crypto: ConnectMongoOptions['crypto']): SessionStoreOptions['crypto'] {
  if (crypto === undefined || crypto === null) return undefined;
  const { secret, acceptUnencrypted, ...tuning } = crypto as ConnectMongoCrypto;
  const extra = Object.keys(tuning).filter((k) => tuning[k] !== undefined);
  if (extra.length > 0) {
    throw new InvalidOptionError('crypto', `connect-mongo option "crypto.${extra[0]}" is not supported: encryption is always AES-256-GCM with HKDF keys; pass only crypto: { secret }.`);
  }
  if (secret === false || secret === undefined) return undefined;
  return { secret, ...(acceptUnencrypted === undefined ? {} : { acceptUnencrypted: acceptUnencrypted as boolean }) };
}

function seconds(option: string, value: number | undefined, unitMs: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(option, `connect-mongo option "${option}" must be a finite number, 0 or more.`);
  }
  return value * unitMs;
}
