/** The limits and checks every operation applies to its arguments, before any query. */
import type { DeviceRecord } from './write-plan';
import { InvalidArgumentError, InvalidOptionError, InvalidSessionIdError, describeValue } from './errors';

/** Session ids and owners: at most this many characters. */
export const MAX_ID_LENGTH = 1024;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether a value is a session id every operation takes (see {@link checkId}). */
export function isSessionId(id: unknown): id is string {
  try {
    checkId(id);
    return true;
  } catch {
    return false;
  }
}

export function checkId(id: unknown): asserts id is string {
  if (typeof id !== 'string') {
    throw new InvalidSessionIdError(`A session id must be a string; received ${describeValue(id)}.`);
  }
  if (id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidSessionIdError(`A session id must have 1 to ${MAX_ID_LENGTH} characters; received ${id.length}.`);
  }
  if (id.includes('\u0000')) throw new InvalidSessionIdError('A session id cannot contain a NUL character.');
  // BSON stores a lone surrogate as U+FFFD: two different ids would name one document.
  if (LONE_SURROGATE.test(id)) throw new InvalidSessionIdError('A session id cannot contain a lone UTF-16 surrogate.');
}

export function checkOwner(owner: unknown): string {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError(
      'owner',
      `An owner must be a string of 1 to ${MAX_ID_LENGTH} characters; received ${describeValue(owner)}.`,
    );
  }
  return owner;
}

/** How much a device record may hold: it is shown on a "your devices" page, not a second session. */
export const MAX_DEVICE_FIELDS = 16;
export const MAX_DEVICE_VALUE_LENGTH = 512;

/** Checks a device record (it comes from application code, and often from request headers). */
export function checkDevice(device: unknown): DeviceRecord | undefined {
  if (device === undefined) return undefined;
  const fail = (problem: string) =>
    new InvalidArgumentError('device', `A device record must be ${problem}; received ${describeValue(device)}.`);
  if (
    device === null ||
    typeof device !== 'object' ||
    Array.isArray(device) ||
    Object.getPrototypeOf(device) !== Object.prototype
  ) {
    throw fail('a plain object');
  }
  const entries = Object.entries(device);
  if (entries.length > MAX_DEVICE_FIELDS) throw fail(`an object of at most ${MAX_DEVICE_FIELDS} fields`);
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > 64 || key.startsWith('$') || key.includes('.')) {
      throw fail('an object whose field names are 1 to 64 characters, without "." or a leading "$"');
    }
    const ok =
      value === null ||
      typeof value === 'boolean' ||
      (typeof value === 'number' && Number.isFinite(value)) ||
      (typeof value === 'string' && value.length <= MAX_DEVICE_VALUE_LENGTH);
    if (!ok) throw fail(`an object of strings (at most ${MAX_DEVICE_VALUE_LENGTH} characters), finite numbers, booleans or null`);
  }
  return device as DeviceRecord;
}

/** A write's expiry: `expires`, else now + `ttlMs`, else now + the store's lifetime. */
export function expiryOf(
  options: { expires?: Date | undefined; ttlMs?: number | undefined } | undefined,
  defaultTtlMs: number,
): Date {
  const expires = options?.expires;
  if (expires !== undefined) {
    if (!(expires instanceof Date) || Number.isNaN(expires.getTime())) {
      throw new InvalidOptionError('expires', `Option "expires" must be a valid Date; received ${describeValue(expires)}.`);
    }
    return expires;
  }
  const ttlMs = options?.ttlMs;
  if (ttlMs !== undefined) {
    if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs)) {
      throw new InvalidOptionError('ttlMs', `Option "ttlMs" must be a number of milliseconds; received ${describeValue(ttlMs)}.`);
    }
    // Clamped into Date's range: a huge negative lifetime deletes, a huge positive one is "forever".
    const now = Date.now();
    return new Date(now + Math.max(-now, Math.min(ttlMs, 8.64e15 - now)));
  }
  return new Date(Date.now() + defaultTtlMs);
}
