/** The store's option types: what users pass, and what the store resolves them to. */
import type { Db, MongoClient, MongoClientOptions } from 'mongodb';
import type { KrupteinOptions, PeerStore } from './peers';

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

/** One server of a `servers` list (MongoSess's shape). */
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

  // -- lifetime policies (see policy.ts) --
  /** A session ends after this long without a request, whatever its cookie says. */
  idleTimeoutMs?: number;
  /** A session ends this long after it was created, however active. */
  absoluteTimeoutMs?: number;
  /** A session without an owner (nobody logged in) lives at most this long; needs `owner`. */
  anonymousTtlMs?: number;
  /** An owner's sessions beyond this many are revoked, oldest first, when one more is created; needs `owner`. */
  maxSessionsPerOwner?: number;

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
  readonly idleTimeoutMs: number | undefined;
  readonly absoluteTimeoutMs: number | undefined;
  readonly anonymousTtlMs: number | undefined;
  readonly maxSessionsPerOwner: number | undefined;
  readonly peerFormat: PeerStore | undefined;
  readonly adoptPeerDocuments: boolean;
  readonly peerCrypto: KrupteinOptions | undefined;
  /** How long an operation waits for a connection input still being resolved. */
  readonly selectionTimeoutMs: number;
  readonly warnings: readonly StoreWarning[];
}
