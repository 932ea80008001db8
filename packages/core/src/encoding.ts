/**
 * The default body encoding ("lossless format", document version 1).
 *
 * A session body is stored as a BSON subdocument whose top-level keys are the
 * body's own keys (escaped), so each can be `$set` / `$unset` on its own. The
 * encoding keeps what JSON keeps, plus Dates, and survives the restrictions of
 * MongoDB-compatible servers (FerretDB refuses `.` and leading `$` in keys,
 * nested arrays, NaN / Infinity and NUL characters):
 *
 * - keys: `%` `.` and NUL are written `%25` `%2E` `%00`; a leading `$` is
 *   `%24`; `__proto__` is `%5F_proto__`; the empty key is `%`. Any stored key
 *   that starts with `%` is therefore either `%` or an escape `%XX...`.
 * - tagged values: an object whose single key is `%` followed by a letter
 *   (never a user key, see above):
 *     `{ "%s": ["a", "b"] }`  the string "a\u0000b" (split on NUL)
 *     `{ "%l": [ ... ] }`     an array inside an array
 *     `{ "%n": "NaN" | "Infinity" | "-Infinity" | "-0" }`
 * - Dates are BSON dates; everything else follows JSON.stringify: `toJSON` is
 *   honoured, functions, symbols and `undefined` are dropped from objects and
 *   become `null` in arrays. BigInt and circular values are refused.
 *
 * The whole format is specified in packages/core/README.md ("Document schema").
 */
import { BSON } from 'mongodb';
import { SerializationError } from './errors';

/** The nesting limit, counted in stored levels, below MongoDB's 100. */
export const MAX_DEPTH = 90;
/** MongoDB's document size limit. */
export const MAX_BSON_SIZE = 16 * 1024 * 1024;

/** Room kept for `_id`, `expires` and the other storage fields. */
const STORAGE_FIELDS_ALLOWANCE = 4096;
/** The largest stored body (after encryption, when on) that leaves room for the storage fields. */
export const MAX_BODY_SIZE = MAX_BSON_SIZE - STORAGE_FIELDS_ALLOWANCE;

export type EncodedBody = Record<string, unknown>;

const TAG_STRING = '%s';
const TAG_LIST = '%l';
const TAG_NUMBER = '%n';

// Keys needing no escape are the overwhelming majority: test them with one regex.
const PLAIN_KEY = /^(?!\$)(?!__proto__$)[^%.\u0000]+$/;

export function escapeKey(key: string): string {
  if (PLAIN_KEY.test(key)) return key;
  if (key === '') return '%';
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const ch = key[i]!;
    if (ch === '%') out += '%25';
    else if (ch === '.') out += '%2E';
    else if (ch === '\u0000') out += '%00';
    else if (ch === '$' && i === 0) out += '%24';
    else out += ch;
  }
  return out === '__proto__' ? '%5F_proto__' : out;
}

export function unescapeKey(key: string): string {
  if (!key.includes('%')) return key;
  if (key === '%') return '';
  return key.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

interface EncodeState {
  /** Upper bound on the encoded size in bytes; exact size is checked only past the limit. */
  size: number;
  readonly seen: Set<object>;
}

/**
 * Encodes a session body. Errors say what kind of value failed and at which
 * depth, never the value itself.
 */
export function encodeBody(body: unknown): EncodedBody {
  const state: EncodeState = { size: 0, seen: new Set() };
  const value = guarded(() => toJsonValue(body, ''));
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date) {
    throw new SerializationError(`A session body must be a plain object; received ${kindOf(value)}.`);
  }
  const encoded = guarded(() => encodeObject(value as Record<string, unknown>, 1, state));
  // The running tally is an upper bound (3 bytes a character); measure exactly only when it is exceeded.
  if (state.size > MAX_BODY_SIZE) {
    const exact = BSON.calculateObjectSize(encoded);
    if (exact > MAX_BODY_SIZE) {
      throw new SerializationError(
        `The session body is larger than MongoDB's 16 MiB document limit (${Math.round(exact / 1048576)} MiB encoded).`,
      );
    }
  }
  return encoded;
}

/** A getter or `toJSON` of the body that throws: its message may quote session data, so only the kind is kept. */
function guarded<T>(encode: () => T): T {
  try {
    return encode();
  } catch (error) {
    if (error instanceof SerializationError) throw error;
    throw new SerializationError('A session body could not be encoded: a getter or toJSON method in it threw.');
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function toJsonValue(value: unknown, key: string): unknown {
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toJSON.call(value, key);
  }
  return value;
}

function encodeAny(raw: unknown, key: string, depth: number, state: EncodeState, inArray: boolean): unknown {
  const value = toJsonValue(raw, key);
  switch (typeof value) {
    case 'string':
      state.size += value.length * 3 + 8;
      return value.includes('\u0000') ? { [TAG_STRING]: value.split('\u0000') } : value;
    case 'number':
      state.size += 16;
      if (Number.isFinite(value)) return Object.is(value, -0) ? { [TAG_NUMBER]: '-0' } : value;
      return { [TAG_NUMBER]: String(value) };
    case 'boolean':
      state.size += 8;
      return value;
    case 'bigint':
      throw new SerializationError(`A session body cannot contain a BigInt (found at depth ${depth}); store it as a string.`);
    case 'undefined':
    case 'function':
    case 'symbol':
      return inArray ? null : undefined;
    default:
      break;
  }
  if (value === null) {
    state.size += 8;
    return null;
  }
  if (value instanceof Date) {
    state.size += 16;
    // An invalid Date serializes to null in JSON; keep that rule.
    return Number.isNaN(value.getTime()) ? null : value;
  }
  if (depth >= MAX_DEPTH) {
    throw new SerializationError(`A session body cannot be nested deeper than ${MAX_DEPTH} levels.`);
  }
  const obj = value as object;
  if (state.seen.has(obj)) {
    throw new SerializationError(`A session body cannot contain a circular reference (found at depth ${depth}).`);
  }
  state.seen.add(obj);
  let out: unknown;
  if (Array.isArray(obj)) {
    const list = encodeArray(obj, depth + 1, state);
    out = inArray ? { [TAG_LIST]: list } : list;
  } else {
    out = encodeObject(obj as Record<string, unknown>, depth + 1, state);
  }
  state.seen.delete(obj);
  return out;
}

function encodeArray(list: readonly unknown[], depth: number, state: EncodeState): unknown[] {
  // A wrapped inner array costs one more stored level.
  const out = new Array<unknown>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = encodeAny(list[i], String(i), depth, state, true);
  state.size += 8;
  return out;
}

function encodeObject(obj: Record<string, unknown>, depth: number, state: EncodeState): EncodedBody {
  const out: EncodedBody = {};
  for (const key of Object.keys(obj)) {
    const encoded = encodeAny(obj[key], key, depth, state, false);
    if (encoded === undefined) continue;
    const storedKey = escapeKey(key);
    state.size += storedKey.length * 3 + 2;
    out[storedKey] = encoded;
  }
  state.size += 8;
  return out;
}

/** Thrown by the decoder on a stored value that is not valid format-1 data. */
export class CorruptDocumentError extends Error {
  override get name(): string {
    return 'CorruptDocumentError';
  }
}

export function decodeBody(stored: unknown): Record<string, unknown> {
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored) || stored instanceof Date || isBsonValue(stored)) {
    throw new CorruptDocumentError('the stored session is not a subdocument');
  }
  return decodeObject(stored as Record<string, unknown>);
}

function decodeAny(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  // Format 1 never writes binaries, ObjectIds, regexes or other BSON types.
  if (isBsonValue(value)) throw new CorruptDocumentError('the stored session holds a value this format never writes');
  if (Array.isArray(value)) return value.map(decodeAny);
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0]!.length === 2 && keys[0]![0] === '%') {
    return decodeTagged(keys[0]!, obj[keys[0]!]);
  }
  return decodeObject(obj);
}

function isBsonValue(value: object): boolean {
  // BSON classes define `_bsontype` on their prototype; a session key of that name is an own property.
  const tagged = typeof (value as { _bsontype?: unknown })._bsontype === 'string' && !Object.hasOwn(value, '_bsontype');
  return tagged || ArrayBuffer.isView(value) || value instanceof RegExp;
}

function decodeTagged(tag: string, payload: unknown): unknown {
  switch (tag) {
    case TAG_STRING:
      if (Array.isArray(payload) && payload.every((p) => typeof p === 'string')) return payload.join('\u0000');
      break;
    case TAG_LIST:
      if (Array.isArray(payload)) return payload.map(decodeAny);
      break;
    case TAG_NUMBER:
      if (payload === 'NaN') return NaN;
      if (payload === 'Infinity') return Infinity;
      if (payload === '-Infinity') return -Infinity;
      if (payload === '-0') return -0;
      break;
    default:
      throw new CorruptDocumentError(`unknown tag ${JSON.stringify(tag)}`);
  }
  throw new CorruptDocumentError(`malformed ${JSON.stringify(tag)} value`);
}

function decodeObject(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const storedKey of Object.keys(obj)) {
    const key = unescapeKey(storedKey);
    const value = decodeAny(obj[storedKey]);
    if (key === '__proto__') {
      // A plain assignment would replace the prototype; define an own property instead.
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Structural equality of two encoded values (BSON-shaped: plain objects, arrays, Dates, primitives). */
export function encodedEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bl = b as unknown[];
    if (a.length !== bl.length) return false;
    for (let i = 0; i < a.length; i++) if (!encodedEqual(a[i], bl[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao);
  if (ak.length !== Object.keys(bo).length) return false;
  // Key order matters to BSON equality but not to the session: compare as sets.
  for (const k of ak) if (!Object.hasOwn(bo, k) || !encodedEqual(ao[k], bo[k])) return false;
  return true;
}
