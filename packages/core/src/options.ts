/**
 * Every option of the core store, its check and its default, defined once.
 * Adapters map the names their seeds used onto these and nothing else.
 */
import type { Db, MongoClient, MongoClientOptions } from 'mongodb';
import { MIN_SECRET_LENGTH } from './crypto';
import { resolveConnection, selectionTimeoutInUri } from './connection-options';
import { InvalidOptionError, describeValue } from './errors';
import { PEER_SHAPES, type KrupteinOptions, type PeerStore } from './peers';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The defaults, in one place. `touchAfterMs` depends on `ttlMs`: see {@link defaultTouchAfterMs}. */
export const DEFAULTS = Object.freeze({
  collection: 'sessions',
  ttlMs: 14 * DAY,
  cleanupIntervalMs: 10 * MINUTE,
  autoRemove: 'native',
  serializer: 'lossless',
  serverSelectionTimeoutMS: 5 * SECOND,
  /**
   * For clients the store creates (the driver's default is 30 s): a hung server is
   * noticed, and a recovered one found again, within this.
   */
  connectTimeoutMS: 2 * SECOND,
  maxPendingOperations: 1000,
  port: 27017,
} as const);

export function defaultTouchAfterMs(ttlMs: number): number {
  return Math.min(HOUR, Math.floor(ttlMs / 10));
}

/** A custom body codec. Its documents are written whole (no per-key writes). */
export interface CustomSerializer<Body = SessionData> {
  serialize(session: Body): unknown;
  deserialize(stored: unknown): Body;
}

export type SerializerOption<Body = SessionData> = 'lossless' | 'json' | CustomSerializer<Body>;

export type AutoRemove = 'native' | 'interval' | 'disabled';

/** Encryption at rest: AES-256-GCM, one key per secret (HKDF). */
export interface CryptoOptions {
  /**
   * One secret, or several for key rotation: the first encrypts, every one decrypts.
   * Each is a random string of at least 32 characters (e.g. `openssl rand -base64 32`).
   */
  secret: string | readonly string[];
  /** Also read documents written in clear (before encryption was enabled); each is encrypted when next written. Default false. */
  acceptUnencrypted?: boolean;
}

/** Store a keyed hash (HMAC-SHA-256) of each session id as `_id`, never the id itself. */
export interface HashSessionIdsOptions {
  /** A random string of at least 32 characters. Changing it makes every stored session unreachable. */
  secret: string;
}

/** Names the user a session belongs to (or undefined), for `listByOwner` / `destroyByOwner`. */
export type OwnerFunction<Body = SessionData> = (session: Body) => string | undefined;

/** A session body as the store sees it. */
export type SessionData = Record<string, any>;

/** One server of a `servers` list (seed MongoSess's shape). */
export interface ServerAddress {
  host: string;
  port?: number;
  /** Driver options; legacy ones such as `autoReconnect` and `poolSize` are mapped or ignored with a warning. */
  opts?: Record<string, unknown>;
}

/** A mongoose Connection, by shape (mongoose brings its own copy of the driver). */
export interface MongooseConnectionLike {
  readyState: number;
  getClient(): MongoClient;
  asPromise?(): Promise<unknown>;
  name?: string;
  db?: Db;
}

export interface SessionStoreOptions<Body = SessionData> {
  // -- connection: exactly one of these inputs --
  /** A MongoDB connection string (`mongodb://` or `mongodb+srv://`). */
  uri?: string;
  /** Legacy form `mongodb://user:pass@host:port/db/collection`: the last path segment names the collection. */
  url?: string;
  /** A MongoClient you own; never closed by the store. */
  client?: MongoClient;
  /** A promise of a MongoClient, or a function returning one (serverless). */
  clientPromise?: Promise<MongoClient> | (() => Promise<MongoClient>);
  /** A Db you own, or a database name (then another input gives the connection). */
  db?: Db | string;
  /** A mongoose Connection, open or still opening. */
  mongoose?: MongooseConnectionLike;
  /** Discrete fields: host (default `127.0.0.1` when any discrete field is given). */
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  /** Connect with TLS. */
  ssl?: boolean;
  /** One server or several (a replica set). */
  servers?: ServerAddress | ServerAddress[];

  // -- where --
  /** Database; defaults to the one in the connection string, else the driver's default (`test`). */
  databaseName?: string;
  /** Collection, default `sessions`. */
  collection?: string;
  /** Options for a MongoClient the store creates. */
  connectionOptions?: MongoClientOptions & Record<string, unknown>;

  // -- lifetimes (milliseconds) --
  /** Stored lifetime when a call gives none; default 14 days. */
  ttlMs?: number;
  /** Skip a touch whose new expiry is within this of the stored one; default min(1 hour, ttlMs / 10); 0 always writes. */
  touchAfterMs?: number;
  /** Interval of the cleanup sweep when TTL indexes are unavailable; default 10 minutes. */
  cleanupIntervalMs?: number;
  /**
   * How long one operation may take before it fails with a ConnectionError (and the store
   * says `disconnect`); default the server selection timeout (5 s unless set). Bounds every
   * request on a hung server: one that accepts connections but never answers.
   */
  operationTimeoutMs?: number;
  /**
   * Operations this store lets wait on MongoDB at once (those past their deadline included,
   * until the driver lets go of them); beyond it an operation fails at once with a
   * ConnectionError, so a hung server cannot grow memory without bound. Default 1000.
   */
  maxPendingOperations?: number;

  // -- behaviour --
  /** How expired documents are deleted: a TTL index (`native`, default), a sweep (`interval`), or not at all. */
  autoRemove?: AutoRemove;
  /** Body encoding: `lossless` (default), `json` (a JSON string), or a custom codec. */
  serializer?: SerializerOption<Body>;

  // -- security (see the README's "Security") --
  /** Encrypt session bodies at rest. */
  crypto?: CryptoOptions;
  /** Store session ids as keyed hashes. */
  hashSessionIds?: HashSessionIdsOptions;
  /** Keep an indexed `owner` field beside each session, from this function of the body. */
  owner?: OwnerFunction<Body>;

  // -- switching from another session store (see the README's "Migrating") --
  /**
   * Write new sessions in this store's document shape, so that switching back to it keeps
   * them. Default: the shape of the peer documents the collection already holds, if any.
   */
  peerFormat?: PeerStore;
  /**
   * The last migration step: write every session in this library's format from now on
   * (peer documents are converted on their next write). Default false: each peer
   * document keeps its peer's shape, so switching back keeps everyone logged in.
   */
  adoptPeerDocuments?: boolean;
  /** connect-mongo's `crypto` options (`{ secret, ...kruptein options }`): reads and writes its encrypted sessions. */
  peerCrypto?: KrupteinOptions;
}

export type ConnectionInput =
  | { kind: 'uri'; uri: string; clientOptions: MongoClientOptions; from: string }
  | { kind: 'client'; client: MongoClient }
  | { kind: 'clientPromise'; get: () => Promise<MongoClient> }
  | { kind: 'db'; db: Db }
  | { kind: 'mongoose'; connection: MongooseConnectionLike };

export interface StoreWarning {
  readonly code: string;
  readonly message: string;
}

export interface ResolvedOptions<Body = SessionData> {
  readonly connection: ConnectionInput;
  readonly databaseName: string | undefined;
  readonly collection: string;
  readonly ttlMs: number;
  readonly touchAfterMs: number;
  readonly cleanupIntervalMs: number;
  readonly operationTimeoutMs: number;
  readonly maxPendingOperations: number;
  readonly autoRemove: AutoRemove;
  readonly serializer: 'lossless' | 'json' | CustomSerializer<Body>;
  readonly crypto: { readonly secrets: readonly string[]; readonly acceptUnencrypted: boolean } | undefined;
  readonly hashSessionIds: { readonly secret: string } | undefined;
  readonly owner: OwnerFunction<Body> | undefined;
  readonly peerFormat: PeerStore | undefined;
  readonly adoptPeerDocuments: boolean;
  readonly peerCrypto: KrupteinOptions | undefined;
  /** How long an operation waits for a connection input still being resolved. */
  readonly selectionTimeoutMs: number;
  readonly warnings: readonly StoreWarning[];
}

/**
 * An option's check: undefined when the value is fine, else what was expected (the caller
 * adds "received …"), or a whole message when the value's kind was right but not its content.
 * `name` is the option's path as the user wrote it, e.g. `crypto.secret`.
 */
type Check = (value: unknown, name?: string) => string | { message: string } | undefined;

const isString: Check = (v) => (typeof v === 'string' && v.length > 0 ? undefined : 'a non-empty string');
const isBoolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'a boolean');
const isObject: Check = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? undefined : 'an object');
const isPort: Check = (v) =>
  Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536 ? undefined : 'an integer port from 1 to 65535';
const positiveMs: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'a positive, finite number of milliseconds';
const nonNegativeMs: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'a finite number of milliseconds, 0 or more';
const isSecret: Check = (v, name = 'secret') => {
  if (typeof v !== 'string') return `a random string of at least ${MIN_SECRET_LENGTH} characters`;
  if (v.length >= MIN_SECRET_LENGTH) return undefined;
  // The length is safe to say; the secret itself never is.
  return {
    message:
      `Option "${name}" is ${v.length} characters long; it must be a random string of at least ${MIN_SECRET_LENGTH} characters. ` +
      `Make one with: node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"`,
  };
};
/** Checks an options object's own fields: unknown ones are errors too. */
const hasFields =
  (what: string, fields: Readonly<Record<string, Check>>, required: readonly string[]): Check =>
  (v, option = 'option') => {
    if (isObject(v) !== undefined) return what;
    const given = v as Record<string, unknown>;
    for (const name of Object.keys(given)) {
      const check = Object.hasOwn(fields, name) ? fields[name] : undefined;
      if (!check) return `${what} (unknown field "${name}")`;
      const problem = given[name] === undefined ? undefined : check(given[name], `${option}.${name}`);
      if (typeof problem === 'object') return problem;
      if (problem) return `${what}, with "${name}" ${problem}`;
    }
    const missing = required.find((name) => given[name] === undefined);
    return missing ? `${what} (missing "${missing}")` : undefined;
  };
const hasMethods =
  (what: string, ...methods: string[]): Check =>
  (v) =>
    v !== null && typeof v === 'object' && methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function')
      ? undefined
      : what;

/** Each option's check, in one table; the names are the public option names. */
const OPTION_CHECKS: { readonly [K in keyof Required<SessionStoreOptions>]: Check } = {
  uri: isString,
  url: isString,
  client: hasMethods('a MongoClient', 'db', 'connect', 'close'),
  clientPromise: (v) =>
    typeof v === 'function' || (v !== null && typeof (v as { then?: unknown })?.then === 'function')
      ? undefined
      : 'a promise of a MongoClient, or a function returning one',
  db: (v) => (typeof v === 'string' ? isString(v) : hasMethods('a Db or a database name', 'collection', 'command')(v)),
  mongoose: hasMethods('a mongoose Connection', 'getClient'),
  host: isString,
  port: isPort,
  username: isString,
  password: (v) => (typeof v === 'string' ? undefined : 'a string'),
  ssl: isBoolean,
  servers: (v) => {
    const list = Array.isArray(v) ? v : [v];
    if (list.length === 0) return 'one server { host, port } or a non-empty array of them';
    return list.every((s) => isObject(s) === undefined && isString((s as ServerAddress).host) === undefined)
      ? undefined
      : 'one server { host, port, opts } or an array of them';
  },
  databaseName: isString,
  collection: (v) =>
    typeof v === 'string' && v.length > 0 && !v.includes('$') && !v.includes('\u0000') && !v.startsWith('system.')
      ? undefined
      : 'a collection name: a non-empty string without "$" or NUL, not starting with "system."',
  connectionOptions: isObject,
  ttlMs: positiveMs,
  touchAfterMs: nonNegativeMs,
  cleanupIntervalMs: positiveMs,
  operationTimeoutMs: positiveMs,
  maxPendingOperations: (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : 'a positive integer'),
  autoRemove: (v) => (v === 'native' || v === 'interval' || v === 'disabled' ? undefined : "'native', 'interval' or 'disabled'"),
  serializer: (v) =>
    v === 'lossless' || v === 'json'
      ? undefined
      : hasMethods("'lossless', 'json' or an object with serialize() and deserialize()", 'serialize', 'deserialize')(v),
  crypto: hasFields(
    '{ secret: string | string[], acceptUnencrypted?: boolean }',
    {
      secret: (v, name = 'secret') => {
        if (!Array.isArray(v)) return isSecret(v, name);
        if (v.length === 0) return 'a non-empty list';
        const bad = v.findIndex((s) => isSecret(s, name) !== undefined);
        if (bad < 0) return undefined;
        const problem = isSecret(v[bad], `${name}[${bad}]`)!;
        return typeof problem === 'object' ? problem : `item ${bad}: ${problem}`;
      },
      acceptUnencrypted: isBoolean,
    },
    ['secret'],
  ),
  hashSessionIds: hasFields('{ secret: string }', { secret: isSecret }, ['secret']),
  owner: (v) => (typeof v === 'function' ? undefined : 'a function (session) => string | undefined'),
  peerFormat: (v) =>
    typeof v === 'string' && Object.hasOwn(PEER_SHAPES, v)
      ? undefined
      : `one of ${Object.keys(PEER_SHAPES)
          .map((name) => `'${name}'`)
          .join(', ')}`,
  adoptPeerDocuments: isBoolean,
  peerCrypto: (v) => {
    if (isObject(v) !== undefined) return "connect-mongo's crypto options: { secret, ...kruptein options }";
    const secret = (v as { secret?: unknown }).secret;
    return typeof secret === 'string' && secret.length > 0 ? undefined : '{ secret: a non-empty string, ...kruptein options }';
  },
};

export const OPTION_NAMES = Object.freeze(Object.keys(OPTION_CHECKS)) as readonly (keyof SessionStoreOptions)[];

export function invalid(option: string, value: unknown, expected: string): InvalidOptionError {
  return new InvalidOptionError(option, `Option "${option}" must be ${expected}; received ${describeValue(value)}.`);
}

/**
 * Validates and resolves options. Throws InvalidOptionError synchronously,
 * naming the option, what was received (described, never printed) and what
 * was expected.
 */
export function resolveOptions<Body>(options: SessionStoreOptions<Body> | undefined): ResolvedOptions<Body> {
  if (options === undefined || options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionError('options', `Store options must be an object; received ${describeValue(options)}.`);
  }
  const given = options as Record<string, unknown>;
  for (const name of Object.keys(given)) {
    // Own names only: `constructor` or `toString` are not options.
    if (!Object.hasOwn(OPTION_CHECKS, name)) {
      throw new InvalidOptionError(name, `Unknown option "${name}". Known options: ${OPTION_NAMES.join(', ')}.`);
    }
    const value = given[name];
    if (value === undefined) continue;
    const expected = OPTION_CHECKS[name as keyof SessionStoreOptions](value, name);
    if (typeof expected === 'object') throw new InvalidOptionError(name, expected.message);
    if (expected !== undefined) throw invalid(name, value, expected);
  }

  const warnings: StoreWarning[] = [];
  const ttlMs = options.ttlMs ?? DEFAULTS.ttlMs;
  const serverSelectionTimeoutMS =
    readNumber(options.connectionOptions?.serverSelectionTimeoutMS) ?? DEFAULTS.serverSelectionTimeoutMS;
  const { connection, databaseName, collection } = resolveConnection(options, warnings);
  const selectionTimeoutMs =
    connection.kind === 'uri'
      ? (connection.clientOptions.serverSelectionTimeoutMS ?? selectionTimeoutInUri(connection.uri) ?? serverSelectionTimeoutMS)
      : serverSelectionTimeoutMS;

  return {
    connection,
    databaseName,
    collection: collection ?? DEFAULTS.collection,
    ttlMs,
    touchAfterMs: options.touchAfterMs ?? defaultTouchAfterMs(ttlMs),
    cleanupIntervalMs: options.cleanupIntervalMs ?? DEFAULTS.cleanupIntervalMs,
    operationTimeoutMs: options.operationTimeoutMs ?? selectionTimeoutMs,
    maxPendingOperations: options.maxPendingOperations ?? DEFAULTS.maxPendingOperations,
    autoRemove: options.autoRemove ?? DEFAULTS.autoRemove,
    serializer: options.serializer ?? DEFAULTS.serializer,
    crypto: options.crypto && {
      secrets: typeof options.crypto.secret === 'string' ? [options.crypto.secret] : [...options.crypto.secret],
      acceptUnencrypted: options.crypto.acceptUnencrypted ?? false,
    },
    hashSessionIds: options.hashSessionIds && { secret: options.hashSessionIds.secret },
    owner: options.owner,
    peerFormat: options.peerFormat,
    adoptPeerDocuments: options.adoptPeerDocuments ?? false,
    peerCrypto: options.peerCrypto,
    selectionTimeoutMs,
    warnings,
  };
}

function readNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
