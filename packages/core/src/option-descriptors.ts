/**
 * One descriptor per option: its check, its default and how it is documented. The validators,
 * the defaults resolveOptions applies (options.ts), the known option names and the README
 * Options tables (scripts/options-table.mjs) all come from here.
 */
import { MIN_SECRET_LENGTH } from './crypto';
import { InvalidOptionError, describeValue } from './errors';
import type { ResolvedOptions, ServerAddress, SessionStoreOptions } from './option-types';
import { PEER_SHAPES } from './peers';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The type shown for a duration option. */
const MS = 'number (ms)';

/** Our default timeouts for clients the store creates, where neither the options nor the URI set them. */
const SERVER_SELECTION_TIMEOUT_MS = 5 * SECOND;
/** (The driver's default is 30 s): a hung server is noticed, and a recovered one found again, within this. */
const CONNECT_TIMEOUT_MS = 2 * SECOND;

export function defaultTouchAfterMs(ttlMs: number): number {
  return Math.min(HOUR, Math.floor(ttlMs / 10));
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
const PEER_NAMES = Object.keys(PEER_SHAPES).map((name) => `'${name}'`);

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

/** How an option is shown to users: the README's Options tables are rendered from this. */
export interface OptionDoc {
  /** The type as users read it (Markdown). */
  readonly type: string;
  /** The default in words, for a default that is computed or not a constant. A constant `default` is shown by itself. */
  readonly default?: string;
  /** One line: what the option does (Markdown; links to the core README's sections as `#anchor`). */
  readonly text: string;
}

/** Everything about one option, written once. */
export interface OptionDescriptor<Value> {
  /** Validates a given value (undefined counts as not given). */
  readonly check: Check;
  /** The value when the option is not given. */
  readonly default?: Value;
  /**
   * A default computed from other options: it may read those listed above it in
   * {@link OPTIONS}, and `selectionTimeoutMs`. Its `doc.default` says it in words.
   */
  readonly derive?: (resolved: ResolvedOptions) => Value;
  /** Resolves a given (or defaulted) value into its form in {@link ResolvedOptions}. */
  readonly resolve?: (value: Value) => unknown;
  /** A connection input: read by `resolveConnection`, not itself in {@link ResolvedOptions}. */
  readonly connection?: true;
  readonly doc: OptionDoc;
}

type OptionTable = { readonly [K in keyof Required<SessionStoreOptions>]: OptionDescriptor<NonNullable<SessionStoreOptions[K]>> };

/**
 * Every option, in one table: its check, its default and how it is documented. The
 * validators, the defaults resolveOptions applies, the known option names and the
 * README Options tables (scripts/options-table.mjs) all come from here. Adding an option
 * is one entry here plus its field in SessionStoreOptions (and in ResolvedOptions unless
 * it is a connection input): the type checker asks for each.
 */
export const OPTIONS = Object.freeze({
  // -- connection: exactly one of these inputs --
  uri: {
    check: isString,
    connection: true,
    doc: { type: 'string', text: 'a connection string (`mongodb://` or `mongodb+srv://`); its path may name the database' },
  },
  url: {
    check: isString,
    connection: true,
    doc: {
      type: 'string',
      text: 'legacy `mongodb://user:pass@host:port/db/collection`: the last path segment names the collection',
    },
  },
  client: {
    check: hasMethods('a MongoClient', 'db', 'connect', 'close'),
    connection: true,
    doc: { type: '`MongoClient`', text: 'a client you own; the store never closes it' },
  },
  clientPromise: {
    check: (v) =>
      typeof v === 'function' || (v !== null && typeof (v as { then?: unknown })?.then === 'function')
        ? undefined
        : 'a promise of a MongoClient, or a function returning one',
    connection: true,
    doc: {
      type: '`Promise<MongoClient>` | `() => Promise<MongoClient>`',
      text: 'a client still being created (serverless); a function is called again after a failure',
    },
  },
  db: {
    check: (v) => (typeof v === 'string' ? isString(v) : hasMethods('a Db or a database name', 'collection', 'command')(v)),
    connection: true,
    doc: { type: '`Db` | string', text: 'a Db you own, or a database name (then another input gives the connection)' },
  },
  mongoose: {
    check: hasMethods('a mongoose Connection', 'getClient'),
    connection: true,
    doc: {
      type: 'mongoose `Connection`',
      text: 'a mongoose connection, open or still opening (waited for, bounded by the server selection timeout)',
    },
  },
  host: {
    check: isString,
    connection: true,
    default: '127.0.0.1',
    doc: {
      type: 'string',
      text: "the server's host: `host`, `port`, `username`, `password` and `ssl` are one connection input, the discrete fields",
    },
  },
  port: { check: isPort, connection: true, default: 27017, doc: { type: 'number', text: "the server's port" } },
  username: { check: isString, connection: true, doc: { type: 'string', text: 'user name' } },
  password: {
    check: (v) => (typeof v === 'string' ? undefined : 'a string'),
    connection: true,
    doc: { type: 'string', text: 'password' },
  },
  ssl: { check: isBoolean, connection: true, doc: { type: 'boolean', text: 'connect with TLS' } },
  servers: {
    check: (v) => {
      const list = Array.isArray(v) ? v : [v];
      if (list.length === 0) return 'one server { host, port } or a non-empty array of them';
      return list.every((s) => isObject(s) === undefined && isString((s as ServerAddress).host) === undefined)
        ? undefined
        : 'one server { host, port, opts } or an array of them';
    },
    connection: true,
    doc: {
      type: '`{ host, port?, opts? }` or an array of them',
      text: 'one server, or several (a replica set); legacy `opts` such as `poolSize` and `autoReconnect` are mapped or ignored with a `warning`',
    },
  },

  // -- where --
  databaseName: {
    check: isString,
    doc: { type: 'string', default: "the connection string's database, else `test`", text: 'database' },
  },
  collection: {
    check: (v) =>
      typeof v === 'string' && v.length > 0 && !v.includes('$') && !v.includes('\u0000') && !v.startsWith('system.')
        ? undefined
        : 'a collection name: a non-empty string without "$" or NUL, not starting with "system."',
    default: 'sessions' as const,
    doc: { type: 'string', text: 'collection (a legacy `url` may name it instead)' },
  },
  connectionOptions: {
    check: isObject,
    connection: true,
    doc: {
      type: '`MongoClientOptions`',
      default: `\`{ serverSelectionTimeoutMS: ${SERVER_SELECTION_TIMEOUT_MS}, connectTimeoutMS: ${CONNECT_TIMEOUT_MS} }\` unless set (also in the URI)`,
      text: 'options of a client the store creates; legacy `poolSize` → `maxPoolSize`, `autoReconnect` / `auto_reconnect` ignored (one `warning` each)',
    },
  },

  // -- lifetimes (milliseconds) --
  ttlMs: {
    check: positiveMs,
    default: 14 * DAY,
    doc: { type: MS, text: 'stored lifetime when a call gives none' },
  },
  touchAfterMs: {
    check: nonNegativeMs,
    derive: ({ ttlMs }) => defaultTouchAfterMs(ttlMs),
    doc: {
      type: MS,
      default: '`min(1 hour, ttlMs / 10)`',
      text: 'a touch is skipped while the stored expiry is within this of the new one; `0` always writes',
    },
  },
  cleanupIntervalMs: {
    check: positiveMs,
    default: 10 * MINUTE,
    doc: {
      type: MS,
      text: 'how often missing indexes are looked for (and recreated), and the sweep interval when TTL indexes are unavailable',
    },
  },
  operationTimeoutMs: {
    check: positiveMs,
    derive: ({ selectionTimeoutMs }) => selectionTimeoutMs,
    doc: {
      type: MS,
      default: `the server selection timeout (${showMs(SERVER_SELECTION_TIMEOUT_MS)} unless set)`,
      text: "one session operation's deadline on a hung server (connections open, nothing answered): past it the call rejects with `ConnectionError` and the store says `disconnect` (collection-wide operations get 6×, and say nothing)",
    },
  },
  maxPendingOperations: {
    check: (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : 'a positive integer'),
    default: 1000,
    doc: {
      type: 'integer',
      text: 'operations that may wait on MongoDB at once, those past their deadline included; beyond it a call rejects at once with `ConnectionError`',
    },
  },

  // -- behaviour --
  autoRemove: {
    check: (v) => (v === 'native' || v === 'interval' || v === 'disabled' ? undefined : "'native', 'interval' or 'disabled'"),
    default: 'native',
    doc: {
      type: "`'native'` | `'interval'` | `'disabled'`",
      text: 'how expired documents are deleted: a TTL index, a periodic sweep, or not at all (expired sessions are never returned either way)',
    },
  },
  serializer: {
    check: (v) =>
      v === 'lossless' || v === 'json'
        ? undefined
        : hasMethods("'lossless', 'json' or an object with serialize() and deserialize()", 'serialize', 'deserialize')(v),
    default: 'lossless',
    doc: {
      type: "`'lossless'` | `'json'` | `{ serialize, deserialize }`",
      text: 'how the session body is stored: the lossless encoding, a JSON string, or a codec of your own (written whole)',
    },
  },

  // -- security (see the README's "Security") --
  crypto: {
    check: hasFields(
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
    resolve: (crypto) => ({
      secrets: typeof crypto.secret === 'string' ? [crypto.secret] : [...crypto.secret],
      acceptUnencrypted: crypto.acceptUnencrypted ?? false,
    }),
    doc: {
      type: '`{ secret: string | string[], acceptUnencrypted?: boolean }`',
      text: `encrypt session bodies at rest (AES-256-GCM); the first secret encrypts, every listed one decrypts (key rotation); secrets of ${MIN_SECRET_LENGTH}+ characters; see [Security](#security)`,
    },
  },
  hashSessionIds: {
    check: hasFields('{ secret: string }', { secret: isSecret }, ['secret']),
    resolve: (hash) => ({ secret: hash.secret }),
    doc: {
      type: '`{ secret: string }`',
      text: 'store a keyed hash (HMAC-SHA-256) of each session id as `_id`, never the id itself; sessions stored before enabling it are no longer found; see [Security](#security)',
    },
  },
  owner: {
    check: (v) => (typeof v === 'function' ? undefined : 'a function (session) => string | undefined'),
    doc: {
      type: '`(session) => string | undefined`',
      text: 'names the user a session belongs to, kept in an indexed `owner` field on every write; enables `listByOwner` / `destroyByOwner`; see [Security](#security)',
    },
  },

  // -- lifetime policies --
  idleTimeoutMs: {
    check: positiveMs,
    doc: {
      type: MS,
      text: 'a session ends after this long without a request, whatever its cookie says (reads as no session, `expired` event with `idle`); see [Lifetime policies](#lifetime-policies)',
    },
  },
  absoluteTimeoutMs: {
    check: positiveMs,
    doc: {
      type: MS,
      text: 'a session ends this long after its creation, however active; no touch extends it (`expired` event with `absolute`)',
    },
  },
  anonymousTtlMs: {
    check: positiveMs,
    doc: { type: MS, text: 'the longest a session without an owner (nobody logged in) lives; needs `owner`' },
  },
  maxSessionsPerOwner: {
    check: (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : 'a positive integer'),
    doc: {
      type: 'integer',
      text: 'when a session gets an owner who then has more, the oldest are revoked (`expired` event with `evicted`); needs `owner`',
    },
  },

  // -- switching from another session store (see the README's "Switching stores") --
  peerFormat: {
    check: (v) => (typeof v === 'string' && Object.hasOwn(PEER_SHAPES, v) ? undefined : `one of ${PEER_NAMES.join(', ')}`),
    doc: {
      type: PEER_NAMES.map((name) => `\`${name}\``).join(' | '),
      default: 'the shape of the peer documents already in the collection, if any',
      text: "write new sessions in that store's document shape, so switching back to it keeps them; see [Switching stores](#switching-stores)",
    },
  },
  adoptPeerDocuments: {
    check: isBoolean,
    default: false,
    doc: {
      type: 'boolean',
      text: "the last migration step: every session is written in this library's format from now on (peer documents are converted on their next write)",
    },
  },
  peerCrypto: {
    check: (v) => {
      if (isObject(v) !== undefined) return "connect-mongo's crypto options: { secret, ...kruptein options }";
      const secret = (v as { secret?: unknown }).secret;
      return typeof secret === 'string' && secret.length > 0 ? undefined : '{ secret: a non-empty string, ...kruptein options }';
    },
    doc: {
      type: '`{ secret, ...kruptein options }`',
      text: "connect-mongo's `crypto` options: read and write its encrypted sessions (a secret of any length)",
    },
  },
} satisfies OptionTable);

/** The option names, in the table's order (the "Unknown option" error lists them). */
export const OPTION_NAMES = Object.freeze(Object.keys(OPTIONS)) as readonly (keyof SessionStoreOptions)[];

/** The constant defaults, from the table, and the store's defaults for the driver's timeouts. */
export const DEFAULTS = Object.freeze({
  collection: OPTIONS.collection.default,
  ttlMs: OPTIONS.ttlMs.default,
  cleanupIntervalMs: OPTIONS.cleanupIntervalMs.default,
  autoRemove: OPTIONS.autoRemove.default,
  serializer: OPTIONS.serializer.default,
  serverSelectionTimeoutMS: SERVER_SELECTION_TIMEOUT_MS,
  connectTimeoutMS: CONNECT_TIMEOUT_MS,
  maxPendingOperations: OPTIONS.maxPendingOperations.default,
  port: OPTIONS.port.default,
} as const);

/** A duration as the README shows it: `14 days`, `10 minutes`, `5 s`. */
export function showMs(ms: number): string {
  const units: [number, string][] = [
    [DAY, 'day'],
    [HOUR, 'hour'],
    [MINUTE, 'minute'],
  ];
  for (const [size, unit] of units) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}${ms === size ? '' : 's'}`;
  }
  return ms % SECOND === 0 ? `${ms / SECOND} s` : `${ms} ms`;
}

export function invalid(option: string, value: unknown, expected: string): InvalidOptionError {
  return new InvalidOptionError(option, `Option "${option}" must be ${expected}; received ${describeValue(value)}.`);
}
