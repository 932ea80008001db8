/** The limits and checks every operation applies to its arguments, before any query. */
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
