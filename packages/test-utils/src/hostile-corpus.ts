/**
 * The hostile-input corpus (issue 9): tables of session ids, bodies, options
 * and hand-corrupted documents, each with the outcome the core documents for
 * it. The core's test runs every row through the core store API; each adapter
 * runs the rows that can reach it through its own API or over HTTP.
 *
 * Every body carries {@link CANARY}: no error message or event payload may
 * contain it.
 */
import { strict as assert } from 'node:assert';
import { ObjectId } from 'mongodb';
import type { ProcessFailures } from './process-failures';

/** Placed in every hostile body; must never appear in an error message or event payload. */
export const CANARY = 'CANARY-c4f3-b0dy-s3cr3t';

// ------------------------------------------------------------------ session ids

/** `invalid-id`: rejects with MONGO_SESSION_INVALID_SESSION_ID before any query. `no-session`: a valid id that resolves null. */
export type IdOutcome = 'invalid-id' | 'no-session';

export interface IdCase {
  readonly name: string;
  readonly id: unknown;
  readonly outcome: IdOutcome;
  /** Can this id arrive as a cookie value (a string a browser can send)? */
  readonly cookie: boolean;
}

const idRow = (name: string, id: unknown, outcome: IdOutcome): IdCase => ({
  name,
  id,
  outcome,
  // Node's HTTP server refuses headers over 16 KiB (431) before any app sees them.
  cookie: typeof id === 'string' && id.length > 0 && id.length <= 4096 && !/[\u0000-\u001f;,\s\u007f-\uffff]/.test(id),
});

export const ID_CASES: readonly IdCase[] = [
  // not strings
  idRow('number', 42, 'invalid-id'),
  idRow('zero', 0, 'invalid-id'),
  idRow('NaN', NaN, 'invalid-id'),
  idRow('boolean', true, 'invalid-id'),
  idRow('null', null, 'invalid-id'),
  idRow('undefined', undefined, 'invalid-id'),
  idRow('bigint', 10n, 'invalid-id'),
  idRow('symbol', Symbol('sid'), 'invalid-id'),
  idRow('function', () => 'sid', 'invalid-id'),
  idRow('empty object', {}, 'invalid-id'),
  idRow('array', ['sid'], 'invalid-id'),
  idRow('Buffer', Buffer.from('sid'), 'invalid-id'),
  idRow('Date', new Date(0), 'invalid-id'),
  idRow('String object', new String('sid'), 'invalid-id'),
  // operator injection
  idRow('operator $ne null', { $ne: null }, 'invalid-id'),
  idRow('operator $gt empty', { $gt: '' }, 'invalid-id'),
  idRow('operator $regex', { $regex: '.*' }, 'invalid-id'),
  idRow('operator $where', { $where: 'true' }, 'invalid-id'),
  idRow('operator $in', { $in: ['a', 'b'] }, 'invalid-id'),
  idRow('operator $exists', { $exists: true }, 'invalid-id'),
  // lengths
  idRow('empty string', '', 'invalid-id'),
  idRow('1025 characters', 'a'.repeat(1025), 'invalid-id'),
  idRow('100,000 characters', 'b'.repeat(100_000), 'invalid-id'),
  idRow('1025 two-byte characters', 'é'.repeat(1025), 'invalid-id'),
  idRow('exactly 1024 characters', 'c'.repeat(1024), 'no-session'),
  idRow('one character', 'x', 'no-session'),
  // NUL
  idRow('NUL inside', 'ab\u0000cd', 'invalid-id'),
  idRow('only NUL', '\u0000', 'invalid-id'),
  idRow('trailing NUL', 'abcd\u0000', 'invalid-id'),
  // odd unicode (valid ids: nothing stored under them)
  idRow('emoji', '😀👨‍👩‍👧', 'no-session'),
  idRow('right-to-left override', 'a\u202eb', 'no-session'),
  idRow('zero-width joiner and space', 'a\u200d\u200bb', 'no-session'),
  // BSON would store a lone surrogate as U+FFFD, so two ids could name one document: refused.
  idRow('lone high surrogate', 'a\ud800b', 'invalid-id'),
  idRow('lone low surrogate', '\udc00', 'invalid-id'),
  idRow('surrogate pair (valid)', 'a\ud83d\ude00b', 'no-session'),
  idRow('U+FFFF', '\uffff', 'no-session'),
  idRow('combining marks', 'e\u0301\u0301\u0301', 'no-session'),
  idRow('control characters', '\u0001\u001b[31m', 'no-session'),
  idRow('newline and tab', 'a\nb\tc', 'no-session'),
  // strings that look like something else
  idRow('the string $ne', '$ne', 'no-session'),
  idRow('a JSON operator string', '{"$ne":null}', 'no-session'),
  idRow('dotted', 'a.b.c', 'no-session'),
  idRow('__proto__', '__proto__', 'no-session'),
  idRow('constructor', 'constructor', 'no-session'),
  idRow('path traversal', '../../etc/passwd', 'no-session'),
  idRow('the string undefined', 'undefined', 'no-session'),
  idRow('the string [object Object]', '[object Object]', 'no-session'),
  idRow('percent escapes', '%00%2E%24', 'no-session'),
  // forged signatures (what a cookie may carry after a framework strips nothing)
  idRow('forged express signature', 's:forgedsessionid.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'no-session'),
  idRow('unsigned express prefix', 's:', 'no-session'),
  idRow('koa-generic-session prefix', 'koa:sess:forged', 'no-session'),
  idRow('base64url 32 bytes', 'QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE', 'no-session'),
];

/** Cookie values to forge over HTTP (a browser can send each). */
export const FORGED_COOKIE_VALUES: readonly string[] = [
  ...ID_CASES.filter((c) => c.cookie).map((c) => encodeURIComponent(c.id as string)),
  's%3Aforged.signature',
  `s%3A${'a'.repeat(2000)}.sig`,
  encodeURIComponent('{"$ne":null}'),
  '%24ne',
  'a'.repeat(4000),
  '%00',
  '%E0%A4%A',
  '"quoted"',
];

// ------------------------------------------------------------------ bodies

export type BodyOutcome =
  /** set rejects with MONGO_SESSION_SERIALIZATION before any query; nothing is written. */
  | { readonly kind: 'serialization-error' }
  /** set resolves; get returns `expected`. */
  | { readonly kind: 'stored'; readonly expected: Record<string, unknown> }
  /**
   * set resolves, and the document then reads as "no session" plus CORRUPT_DOCUMENT:
   * the json serializer writes any JSON value (adapters always pass objects).
   */
  | { readonly kind: 'unreadable' };

export type Serializer = 'lossless' | 'json';

export interface BodyCase {
  readonly name: string;
  /** A fresh body (hostile bodies may be mutated by the code under test). */
  make(): unknown;
  readonly outcome: Readonly<Record<Serializer, BodyOutcome>>;
  /** Too large to send through every adapter. */
  readonly heavy?: boolean;
}

const refused: BodyOutcome = { kind: 'serialization-error' };
const stored = (expected: Record<string, unknown>): BodyOutcome => ({ kind: 'stored', expected });
const both = (outcome: BodyOutcome) => ({ lossless: outcome, json: outcome });

function nested(depth: number, leaf: unknown, asArray = false): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { n: value };
  return value;
}

function circular(): Record<string, unknown> {
  const body: Record<string, unknown> = { canary: CANARY };
  body['self'] = body;
  return body;
}

const protoJson = `{"__proto__": {"polluted": "${CANARY}"}, "constructor": {"prototype": {"polluted": "${CANARY}"}}, "prototype": {"polluted": 1}, "nested": {"__proto__": {"polluted": "${CANARY}"}}}`;
const BIG = 17 * 1024 * 1024;

export const BODY_CASES: readonly BodyCase[] = [
  { name: 'circular (self)', make: circular, outcome: both(refused) },
  {
    name: 'circular (deep)',
    make: () => {
      const inner: Record<string, unknown> = { canary: CANARY };
      const body = { a: { b: { c: inner } } };
      inner['back'] = body;
      return body;
    },
    outcome: both(refused),
  },
  {
    name: 'circular (through an array)',
    make: () => {
      const list: unknown[] = [CANARY];
      list.push(list);
      return { list };
    },
    outcome: both(refused),
  },
  { name: 'BigInt at the top', make: () => ({ canary: CANARY, n: 10n }), outcome: both(refused) },
  { name: 'BigInt nested', make: () => ({ a: { b: [1, { c: 2n ** 70n }] }, canary: CANARY }), outcome: both(refused) },
  {
    name: 'getter that throws',
    make: () => ({
      canary: CANARY,
      get boom(): never {
        throw new Error(`getter ${CANARY}`);
      },
    }),
    outcome: both(refused),
  },
  {
    name: 'toJSON that throws',
    make: () => ({
      canary: CANARY,
      value: {
        toJSON(): never {
          throw new Error(`toJSON ${CANARY}`);
        },
      },
    }),
    outcome: both(refused),
  },
  {
    name: 'functions, symbols and undefined',
    make: () => ({
      f: () => CANARY,
      s: Symbol(CANARY),
      u: undefined,
      list: [() => 1, Symbol('x'), undefined, CANARY],
      keep: CANARY,
    }),
    outcome: both(stored({ list: [null, null, null, CANARY], keep: CANARY })),
  },
  { name: 'one string over 16 MiB', make: () => ({ canary: CANARY, s: 'x'.repeat(BIG) }), outcome: both(refused), heavy: true },
  {
    name: 'many keys adding up to over 16 MiB',
    make: () => Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, `${CANARY}${'y'.repeat(1024 * 1024)}`])),
    outcome: both(refused),
    heavy: true,
  },
  {
    name: 'nested 1,000 deep (objects)',
    make: () => ({ canary: CANARY, deep: nested(1000, CANARY) }),
    // A JSON string has no nesting limit: json mode stores it.
    outcome: { lossless: refused, json: stored({ canary: CANARY, deep: nested(1000, CANARY) as Record<string, unknown> }) },
  },
  {
    name: 'nested 1,000 deep (arrays)',
    make: () => ({ canary: CANARY, deep: nested(1000, CANARY, true) }),
    outcome: { lossless: refused, json: stored({ canary: CANARY, deep: nested(1000, CANARY, true) as Record<string, unknown> }) },
  },
  {
    name: 'nested 80 deep (within the limit)',
    make: () => ({ deep: nested(80, CANARY) }),
    outcome: both(stored({ deep: nested(80, CANARY) as Record<string, unknown> })),
  },
  {
    name: '__proto__, constructor and prototype keys',
    make: () => JSON.parse(protoJson) as unknown,
    outcome: both(stored(JSON.parse(protoJson) as Record<string, unknown>)),
  },
  {
    name: '$- and .-keys',
    make: () => ({ $where: CANARY, 'a.b': 1, $: { '.': 2, 'x.$y': [3] }, nested: { $ne: null, $gt: '' } }),
    outcome: both(stored({ $where: CANARY, 'a.b': 1, $: { '.': 2, 'x.$y': [3] }, nested: { $ne: null, $gt: '' } })),
  },
  {
    name: 'keys that look like our escapes and tags',
    make: () => ({ '%': 1, '%25': 2, '%s': CANARY, '%n': 'NaN', '%2E': { '%l': [1] }, '': 'empty' }),
    outcome: both(stored({ '%': 1, '%25': 2, '%s': CANARY, '%n': 'NaN', '%2E': { '%l': [1] }, '': 'empty' })),
  },
  {
    name: 'NaN, ±Infinity and -0',
    make: () => ({ nan: NaN, inf: Infinity, ninf: -Infinity, nz: -0, list: [NaN, -0, Infinity], canary: CANARY }),
    outcome: {
      lossless: stored({ nan: NaN, inf: Infinity, ninf: -Infinity, nz: -0, list: [NaN, -0, Infinity], canary: CANARY }),
      json: stored({ nan: null, inf: null, ninf: null, nz: 0, list: [null, 0, null], canary: CANARY }),
    },
  },
  {
    name: 'huge array (200,000 numbers)',
    make: () => ({ list: Array.from({ length: 200_000 }, (_, i) => i), canary: CANARY }),
    outcome: both(stored({ list: Array.from({ length: 200_000 }, (_, i) => i), canary: CANARY })),
    heavy: true,
  },
  {
    name: 'huge array of nested arrays',
    make: () => ({ list: Array.from({ length: 20_000 }, (_, i) => [i, [i]]) }),
    outcome: both(stored({ list: Array.from({ length: 20_000 }, (_, i) => [i, [i]]) })),
    heavy: true,
  },
  {
    name: 'NUL characters in keys and values',
    make: () => ({ 'k\u0000ey': `a\u0000${CANARY}`, list: ['\u0000'] }),
    outcome: both(stored({ 'k\u0000ey': `a\u0000${CANARY}`, list: ['\u0000'] })),
  },
  {
    // BSON stores UTF-8: an unpaired surrogate cannot be encoded and comes back as U+FFFD.
    name: 'lone surrogates in keys and values',
    make: () => ({ 'k\ud800': 'v\udc00', ok: CANARY }),
    // JSON escapes them (\ud800), so json mode keeps them.
    outcome: { lossless: stored({ 'k\ufffd': 'v\ufffd', ok: CANARY }), json: stored({ 'k\ud800': 'v\udc00', ok: CANARY }) },
  },
  {
    name: 'Dates, invalid Dates, Maps and Sets',
    make: () => ({ at: new Date(0), bad: new Date(NaN), m: new Map([[CANARY, 1]]), s: new Set([CANARY]) }),
    outcome: {
      lossless: stored({ at: new Date(0), bad: null, m: {}, s: {} }),
      json: stored({ at: '1970-01-01T00:00:00.000Z', bad: null, m: {}, s: {} }),
    },
  },
  {
    name: 'class instances and null-prototype objects',
    make: () => {
      const bare = Object.create(null) as Record<string, unknown>;
      bare['x'] = CANARY;
      return {
        bare,
        instance: new (class Point {
          constructor(
            readonly x = 1,
            readonly y = 2,
          ) {}
        })(),
      };
    },
    outcome: both(stored({ bare: { x: CANARY }, instance: { x: 1, y: 2 } })),
  },
  {
    // The driver refuses documents with this key; its error is mapped to SerializationError.
    name: 'a key named _bsontype',
    make: () => ({ a: { _bsontype: 'ObjectId', id: CANARY } }),
    outcome: { lossless: refused, json: stored({ a: { _bsontype: 'ObjectId', id: CANARY } }) },
  },
  { name: 'body is null', make: () => null, outcome: { lossless: refused, json: refused } },
  { name: 'body is an array', make: () => [CANARY], outcome: { lossless: refused, json: refused } },
  { name: 'body is a string', make: () => CANARY, outcome: { lossless: refused, json: refused } },
  { name: 'body is a number', make: () => 42, outcome: { lossless: refused, json: refused } },
];

// ------------------------------------------------------------------ options

export interface OptionCase {
  readonly name: string;
  /** Options for `new SessionStore(...)`; `uri` is substituted for the string `'<uri>'`. */
  readonly options: unknown;
  /** The option an InvalidOptionError must name. */
  readonly option: string;
}

const U = '<uri>';
export const OPTION_CASES: readonly OptionCase[] = [
  { name: 'no options', options: undefined, option: 'options' },
  { name: 'options null', options: null, option: 'options' },
  { name: 'options a string', options: CANARY, option: 'options' },
  { name: 'options an array', options: [U], option: 'options' },
  { name: 'no connection input', options: { collection: 'x' }, option: 'uri' },
  { name: 'option named constructor', options: { uri: U, constructor: CANARY }, option: 'constructor' },
  { name: 'option named toString', options: { uri: U, toString: CANARY }, option: 'toString' },
  { name: 'option named hasOwnProperty', options: { uri: U, hasOwnProperty: 1 }, option: 'hasOwnProperty' },
  { name: 'crypto secret too short', options: { uri: U, crypto: { secret: CANARY } }, option: 'crypto' },
  { name: 'hashSessionIds without secret', options: { uri: U, hashSessionIds: {} }, option: 'hashSessionIds' },
  { name: 'owner not a function', options: { uri: U, owner: CANARY }, option: 'owner' },
  { name: 'uri a number', options: { uri: 27017 }, option: 'uri' },
  { name: 'uri empty', options: { uri: '' }, option: 'uri' },
  { name: 'uri not a connection string', options: { uri: `http://${CANARY}@example.com/` }, option: 'uri' },
  { name: 'uri an object', options: { uri: { $ne: null } }, option: 'uri' },
  { name: 'url not a connection string', options: { url: `not a url ${CANARY}` }, option: 'url' },
  {
    name: 'url with a malformed %-escape in the database',
    options: { url: 'mongodb://127.0.0.1/db%E0%A4%A/sessions' },
    option: 'url',
  },
  { name: 'url with a malformed %-escape in the collection', options: { url: 'mongodb://127.0.0.1/db/s%ZZ' }, option: 'url' },
  { name: 'uri with a malformed %-escape in the database', options: { uri: 'mongodb://127.0.0.1/db%E0%A4%A' }, option: 'uri' },
  { name: 'ttlMs negative', options: { uri: U, ttlMs: -1 }, option: 'ttlMs' },
  { name: 'ttlMs zero', options: { uri: U, ttlMs: 0 }, option: 'ttlMs' },
  { name: 'ttlMs NaN', options: { uri: U, ttlMs: NaN }, option: 'ttlMs' },
  { name: 'ttlMs Infinity', options: { uri: U, ttlMs: Infinity }, option: 'ttlMs' },
  { name: 'ttlMs a string', options: { uri: U, ttlMs: '1000' }, option: 'ttlMs' },
  { name: 'ttlMs null', options: { uri: U, ttlMs: null }, option: 'ttlMs' },
  { name: 'ttlMs a bigint', options: { uri: U, ttlMs: 1000n }, option: 'ttlMs' },
  { name: 'touchAfterMs negative', options: { uri: U, touchAfterMs: -5 }, option: 'touchAfterMs' },
  { name: 'touchAfterMs NaN', options: { uri: U, touchAfterMs: NaN }, option: 'touchAfterMs' },
  { name: 'cleanupIntervalMs zero', options: { uri: U, cleanupIntervalMs: 0 }, option: 'cleanupIntervalMs' },
  { name: 'cleanupIntervalMs negative', options: { uri: U, cleanupIntervalMs: -1000 }, option: 'cleanupIntervalMs' },
  { name: 'autoRemove unknown', options: { uri: U, autoRemove: 'sometimes' }, option: 'autoRemove' },
  { name: 'autoRemove a boolean', options: { uri: U, autoRemove: true }, option: 'autoRemove' },
  { name: 'serializer unknown', options: { uri: U, serializer: 'yaml' }, option: 'serializer' },
  {
    name: 'serializer missing deserialize',
    options: { uri: U, serializer: { serialize: JSON.stringify } },
    option: 'serializer',
  },
  { name: 'collection empty', options: { uri: U, collection: '' }, option: 'collection' },
  { name: 'collection with $', options: { uri: U, collection: 'a$b' }, option: 'collection' },
  { name: 'collection system.*', options: { uri: U, collection: 'system.users' }, option: 'collection' },
  { name: 'collection with NUL', options: { uri: U, collection: 'a\u0000b' }, option: 'collection' },
  { name: 'collection a number', options: { uri: U, collection: 5 }, option: 'collection' },
  { name: 'port out of range', options: { host: '127.0.0.1', port: 70000 }, option: 'port' },
  { name: 'port a string', options: { host: '127.0.0.1', port: '27017' }, option: 'port' },
  { name: 'ssl a string', options: { host: '127.0.0.1', ssl: 'yes' }, option: 'ssl' },
  { name: 'servers empty', options: { servers: [] }, option: 'servers' },
  { name: 'client not a client', options: { client: { db: 1 } }, option: 'client' },
  { name: 'connectionOptions an array', options: { uri: U, connectionOptions: [] }, option: 'connectionOptions' },
  { name: 'unknown option name', options: { uri: U, colection: 'typo' }, option: 'colection' },
  { name: 'unknown option (a seed name)', options: { uri: U, mongoUrl: U }, option: 'mongoUrl' },
  { name: 'unknown option with a $ name', options: { uri: U, $where: CANARY }, option: '$where' },
  { name: 'conflict: uri and url', options: { uri: U, url: U }, option: 'uri' },
  { name: 'conflict: uri and host', options: { uri: U, host: '127.0.0.1' }, option: 'uri' },
  { name: 'conflict: uri and servers', options: { uri: U, servers: { host: 'a' } }, option: 'uri' },
  { name: 'conflict: db name and databaseName', options: { uri: U, db: 'a', databaseName: 'b' }, option: 'db' },
  {
    name: 'conflict: url collection and collection',
    options: { url: 'mongodb://127.0.0.1/db/one', collection: 'two' },
    option: 'collection',
  },
  { name: 'password without username', options: { host: '127.0.0.1', password: CANARY }, option: 'password' },
];

/** Replaces `'<uri>'` placeholders in an option case. */
export function withUri(options: unknown, uri: string): unknown {
  if (options === U) return uri;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return options;
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, v === U ? uri : v]));
}

// ------------------------------------------------------------------ corrupted documents

export interface CorruptCase {
  readonly name: string;
  /** The document to insert by hand (its `_id` is added by the runner). */
  document(now: Date): Record<string, unknown>;
  /**
   * `corrupt`: read as "no session" plus a CORRUPT_DOCUMENT warning;
   * `expired`: "no session", no warning;
   * `readable`: read as `expected`.
   */
  readonly outcome: 'corrupt' | 'expired' | { readonly readable: Record<string, unknown> };
}

const later = (now: Date) => new Date(now.getTime() + 3_600_000);
const base = (now: Date, fields: Record<string, unknown>) => ({
  session: { ok: CANARY },
  expires: later(now),
  createdAt: now,
  updatedAt: now,
  v: 1,
  ...fields,
});

export const CORRUPT_CASES: readonly CorruptCase[] = [
  { name: 'session a number', document: (now) => base(now, { session: 42 }), outcome: 'corrupt' },
  { name: 'session a boolean', document: (now) => base(now, { session: true }), outcome: 'corrupt' },
  { name: 'session null', document: (now) => base(now, { session: null }), outcome: 'corrupt' },
  { name: 'session an array', document: (now) => base(now, { session: [CANARY] }), outcome: 'corrupt' },
  { name: 'session a Date', document: (now) => base(now, { session: now }), outcome: 'corrupt' },
  { name: 'session missing', document: (now) => base(now, { session: undefined }), outcome: 'corrupt' },
  { name: 'session a binary', document: (now) => base(now, { session: Buffer.from(CANARY) }), outcome: 'corrupt' },
  { name: 'session holds a binary', document: (now) => base(now, { session: { a: Buffer.from(CANARY) } }), outcome: 'corrupt' },
  { name: 'session holds an ObjectId', document: (now) => base(now, { session: { a: new ObjectId() } }), outcome: 'corrupt' },
  { name: 'session holds a regex', document: (now) => base(now, { session: { a: [new RegExp(CANARY)] } }), outcome: 'corrupt' },
  { name: 'expires missing', document: (now) => base(now, { expires: undefined }), outcome: 'corrupt' },
  { name: 'expires a string', document: (now) => base(now, { expires: later(now).toISOString() }), outcome: 'corrupt' },
  { name: 'expires a number', document: (now) => base(now, { expires: later(now).getTime() }), outcome: 'corrupt' },
  { name: 'expires null', document: (now) => base(now, { expires: null }), outcome: 'corrupt' },
  { name: 'expires an object', document: (now) => base(now, { expires: { at: CANARY } }), outcome: 'corrupt' },
  { name: 'expires in the past', document: (now) => base(now, { expires: new Date(now.getTime() - 1000) }), outcome: 'expired' },
  { name: 'JSON string: garbage', document: (now) => base(now, { session: `{"a": "${CANARY}` }), outcome: 'corrupt' },
  { name: 'JSON string: empty', document: (now) => base(now, { session: '' }), outcome: 'corrupt' },
  { name: 'JSON string: an array', document: (now) => base(now, { session: `["${CANARY}"]` }), outcome: 'corrupt' },
  { name: 'JSON string: a number', document: (now) => base(now, { session: '42' }), outcome: 'corrupt' },
  { name: 'JSON string: null', document: (now) => base(now, { session: 'null' }), outcome: 'corrupt' },
  {
    name: 'JSON string: a prototype-polluting object',
    document: (now) => base(now, { session: `{"__proto__": {"polluted": "${CANARY}"}}` }),
    outcome: { readable: JSON.parse(`{"__proto__": {"polluted": "${CANARY}"}}`) as Record<string, unknown> },
  },
  { name: 'unknown format version 2', document: (now) => base(now, { v: 2 }), outcome: 'corrupt' },
  { name: 'unknown format version 0', document: (now) => base(now, { v: 0 }), outcome: 'corrupt' },
  { name: 'format version a string', document: (now) => base(now, { v: '1' }), outcome: 'corrupt' },
  { name: 'format version null', document: (now) => base(now, { v: null }), outcome: 'corrupt' },
  { name: 'unknown tag', document: (now) => base(now, { session: { a: { '%z': CANARY } } }), outcome: 'corrupt' },
  { name: 'malformed string tag', document: (now) => base(now, { session: { a: { '%s': CANARY } } }), outcome: 'corrupt' },
  { name: 'malformed number tag', document: (now) => base(now, { session: { a: { '%n': CANARY } } }), outcome: 'corrupt' },
  { name: 'malformed list tag', document: (now) => base(now, { session: { a: [{ '%l': CANARY }] } }), outcome: 'corrupt' },
  {
    name: 'foreign (no v): garbage string',
    document: (now) => base(now, { v: undefined, session: `not json ${CANARY}` }),
    outcome: 'corrupt',
  },
  { name: 'foreign (no v): a number', document: (now) => base(now, { v: undefined, session: 7 }), outcome: 'corrupt' },
  {
    name: 'foreign (no v): a JSON object string',
    document: (now) => base(now, { v: undefined, session: `{"user":"${CANARY}"}` }),
    outcome: { readable: { user: CANARY } },
  },
  {
    name: 'stored __proto__ key (raw BSON)',
    document: (now) => base(now, { session: JSON.parse(`{"__proto__": {"polluted": "${CANARY}"}, "ok": 1}`) }),
    outcome: { readable: JSON.parse(`{"__proto__": {"polluted": "${CANARY}"}, "ok": 1}`) as Record<string, unknown> },
  },
];

// ------------------------------------------------------------------ checks shared by every runner

/** Own property names of the built-in prototypes, to prove nothing was added to them. */
export function prototypeFingerprint(): string {
  const names = (o: object) => Object.getOwnPropertyNames(o).sort().join(',');
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].map(names).join('|');
}

/** Throws when a built-in prototype changed or `{}` inherits something new. */
export function assertNoPollution(before: string): void {
  assert.equal(prototypeFingerprint(), before, 'a built-in prototype changed');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined, 'Object.prototype was polluted');
  assert.equal(Object.getPrototypeOf({}), Object.prototype);
}

type Hook = (fn: () => void | Promise<void>) => void;

/**
 * Registers what every hostile case ends with, for one test file: no built-in prototype
 * changed, the other sessions still work (`stillWorking`), no event payload since the last
 * case holds the canary, and no unhandled rejection or uncaught exception.
 */
export function afterEachCase(
  hooks: { beforeEach: Hook; afterEach: Hook },
  watch: { events: readonly { event: string; payload: unknown }[]; failures: ProcessFailures; stillWorking: () => Promise<void> },
): void {
  let fingerprint = '';
  let checkedEvents = 0;
  hooks.beforeEach(() => {
    fingerprint = prototypeFingerprint();
  });
  hooks.afterEach(async () => {
    assertNoPollution(fingerprint);
    await watch.stillWorking();
    for (const e of watch.events.slice(checkedEvents)) assertNoCanary(e.payload, `event ${e.event}`);
    checkedEvents = watch.events.length;
    assert.deepEqual(watch.failures.unhandledRejections, []);
    assert.deepEqual(watch.failures.uncaughtExceptions, []);
  });
}

/** Every string reachable from a value (an error, an event payload), for canary checks. */
export function textOf(value: unknown, seen = new Set<unknown>()): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object' && typeof value !== 'function') return String(value);
  if (seen.has(value)) return '';
  seen.add(value);
  const parts: string[] = [];
  if (value instanceof Error) parts.push(value.name, value.message, String(value.stack ?? ''), textOf(value.cause, seen));
  for (const key of Object.getOwnPropertyNames(value)) {
    try {
      parts.push(key, textOf((value as Record<string, unknown>)[key], seen));
    } catch {
      /* a throwing getter */
    }
  }
  return parts.join(' ');
}

/** Throws when `value` (an error or event payload) contains the canary. */
export function assertNoCanary(value: unknown, where: string): void {
  assert.ok(!textOf(value).includes(CANARY), `${where} contains session contents (the canary)`);
}

/** The error code of a rejection, or 'resolved'. */
export async function outcomeOf<T>(promise: Promise<T>): Promise<{ code: string; error?: unknown; value?: T }> {
  try {
    const value = await promise;
    return { code: 'resolved', value };
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    return { code: typeof code === 'string' ? code : `untyped ${String((error as Error)?.name)}`, error };
  }
}

/** The size of the fixed corpus as the core's test runs it (rows × operations / serializers). */
export function corpusSize(): { ids: number; bodies: number; options: number; corrupt: number; total: number } {
  const ids = ID_CASES.length * 5; // get, load, set, touch, destroy
  const bodies = BODY_CASES.length * 2; // lossless, json
  const options = OPTION_CASES.length;
  const corrupt = CORRUPT_CASES.length * 2; // lossless, json store reading it
  return { ids, bodies, options, corrupt, total: ids + bodies + options + corrupt };
}

// ------------------------------------------------------------------ adapters

/** One adapter's store API, as its framework calls it, plus what the corpus runner needs around it. */
export interface AdapterUnderTest {
  readonly name: string;
  /** Resolves the session body or null / undefined; rejects on error. */
  get(id: unknown): Promise<unknown>;
  /** Writes a body (hostile bodies included); omitted when the framework never hands the store objects. */
  set?(id: unknown, body: unknown): Promise<void>;
  destroy(id: unknown): Promise<void>;
  /** What `get` does with an id the core refuses: reject with the typed error, or read as no session. */
  readonly invalidIdOnGet: 'reject' | 'null';
  readonly invalidIdOnDestroy: 'reject' | 'resolve';
  /** Inserts a document by hand into the adapter's collection. */
  insertRaw(document: Record<string, unknown>): Promise<void>;
  /** Every event payload the adapter emitted so far (warnings included), in order. */
  readonly events: { event: string; payload: unknown[] }[];
}

const isEmpty = (value: unknown) => value === null || value === undefined;

/** Runs one id row through an adapter's get / set / destroy. */
/**
 * Registers the id, body and corrupted-document rows as tests of one adapter's store API
 * (`test` is Jest's `it`). `bodies` defaults to the rows light enough to run per adapter.
 */
export function registerCorpusCases(
  test: (name: string, fn: () => Promise<void>) => void,
  adapter: AdapterUnderTest,
  bodies: readonly BodyCase[] = BODY_CASES.filter((c) => !c.heavy),
): void {
  for (const row of ID_CASES) test(`id: ${row.name}`, () => checkIdCase(adapter, row));
  bodies.forEach((row, i) => test(`body: ${row.name}`, () => checkBodyCase(adapter, row, `body-${i}`)));
  CORRUPT_CASES.forEach((row, i) =>
    test(`corrupted document: ${row.name}`, () => checkCorruptCase(adapter, row, `corrupt-${i}`)),
  );
}

export async function checkIdCase(adapter: AdapterUnderTest, row: IdCase): Promise<void> {
  const body = { canary: CANARY };
  if (row.outcome === 'invalid-id') {
    const got = await outcomeOf(adapter.get(row.id));
    if (adapter.invalidIdOnGet === 'reject') assert.equal(got.code, 'MONGO_SESSION_INVALID_SESSION_ID', `${adapter.name} get`);
    else assert.ok(got.code === 'resolved' && isEmpty(got.value), `${adapter.name} get: no session`);
    if (adapter.set)
      assert.equal((await outcomeOf(adapter.set(row.id, body))).code, 'MONGO_SESSION_INVALID_SESSION_ID', `${adapter.name} set`);
    const destroyed = await outcomeOf(adapter.destroy(row.id));
    assert.equal(
      destroyed.code,
      adapter.invalidIdOnDestroy === 'reject' ? 'MONGO_SESSION_INVALID_SESSION_ID' : 'resolved',
      `${adapter.name} destroy`,
    );
    for (const r of [got, destroyed]) assertNoCanary(r.error, `${adapter.name} error`);
    return;
  }
  const got = await outcomeOf(adapter.get(row.id));
  assert.ok(
    got.code === 'resolved' && isEmpty(got.value),
    `${adapter.name} get of an unknown valid id: no session (got ${got.code})`,
  );
  if (adapter.set) {
    await adapter.set(row.id, body);
    const read = (await adapter.get(row.id)) as Record<string, unknown> | null;
    assert.equal(read?.['canary'], CANARY, `${adapter.name} round trip under an odd id`);
  }
  await adapter.destroy(row.id);
  assert.ok(isEmpty(await adapter.get(row.id)), `${adapter.name} destroyed`);
}

/** Runs one body row (lossless outcome) through an adapter's set and get. */
export async function checkBodyCase(adapter: AdapterUnderTest, row: BodyCase, id: string): Promise<void> {
  if (!adapter.set) throw new Error(`${adapter.name} has no set`);
  const outcome = row.outcome.lossless;
  const result = await outcomeOf(adapter.set(id, row.make()));
  assertNoCanary(result.error, `${adapter.name} set error`);
  if (outcome.kind === 'serialization-error') {
    assert.equal(result.code, 'MONGO_SESSION_SERIALIZATION', `${adapter.name} set`);
    assert.ok(isEmpty(await adapter.get(id)), 'nothing was written');
    return;
  }
  assert.equal(result.code, 'resolved', `${adapter.name} set`);
  const read = (await adapter.get(id)) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(read), Object.prototype);
  if (outcome.kind === 'stored') {
    // Adapters add their own bookkeeping keys (cookie, _expire): compare the body's keys only.
    for (const key of Object.keys(outcome.expected))
      assert.deepStrictEqual(read[key], outcome.expected[key], `${adapter.name}: key ${JSON.stringify(key)}`);
  }
  await adapter.destroy(id);
}

/** Inserts one corrupted document and reads it through the adapter. */
export async function checkCorruptCase(adapter: AdapterUnderTest, row: CorruptCase, id: string): Promise<void> {
  const document = Object.fromEntries(Object.entries(row.document(new Date())).filter(([, v]) => v !== undefined));
  await adapter.insertRaw({ ...document, _id: id });
  const before = adapter.events.length;
  const got = await outcomeOf(adapter.get(id));
  const emitted = adapter.events.slice(before);
  assertNoCanary(got.error, `${adapter.name} get error`);
  for (const e of emitted) assertNoCanary(e.payload, `${adapter.name} ${e.event} event`);
  if (row.outcome === 'corrupt' || row.outcome === 'expired') {
    assert.ok(got.code === 'resolved' && isEmpty(got.value), `${adapter.name}: no session (got ${got.code})`);
    const corrupt = emitted.some((e) => e.event === 'warning' && (e.payload[0] as { code?: string }).code === 'CORRUPT_DOCUMENT');
    assert.equal(corrupt, row.outcome === 'corrupt', `${adapter.name}: CORRUPT_DOCUMENT warning`);
  } else {
    assert.equal(got.code, 'resolved');
    const read = got.value as Record<string, unknown>;
    for (const key of Object.keys(row.outcome.readable)) assert.deepStrictEqual(read[key], row.outcome.readable[key]);
  }
  await adapter.destroy(id);
}
