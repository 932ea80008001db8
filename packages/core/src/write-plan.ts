/**
 * The write planner: what a relative write must change, decided from what was read and
 * the new body alone (no I/O), so it can be checked exhaustively without a server.
 */
import { encodedEqual, type EncodedBody } from './encoding';
import type { SessionSnapshot } from './document';

export interface WriteOptions {
  /** Absolute expiry; at or before now the document is deleted. */
  expires?: Date;
  /** Lifetime from now, in ms; used when `expires` is absent. 0 or less deletes. */
  ttlMs?: number;
  /**
   * What `load` or `read` returned: writes become relative to it. A snapshot of a session
   * never upserts (a write after a destroy or revocation is dropped); a snapshot of
   * nothing (`read` found no session) writes a new one, replacing the tombstone it read.
   */
  snapshot?: SessionSnapshot | undefined;
  /**
   * Top-level keys whose change alone does not call for a write (express-session's
   * `cookie`): if nothing else changed the call is a lazy touch. They are written
   * along whenever the document is written.
   */
  lazyKeys?: readonly string[];
  /**
   * The caller just generated this id, so no document should exist: written with one
   * `insert` (cheaper than an upsert on some servers). Should one exist after all, the
   * write falls back to the usual upsert.
   */
  isNew?: boolean;
  /**
   * This call's touch window, for callers whose lifetime per call is shorter than the
   * store's (a touch not yet due must never let an active session lapse); default the
   * store's `touchAfterMs`.
   */
  touchAfterMs?: number;
  /**
   * What the request says about the device (user agent, address, …), kept with the session
   * when this write creates it, and listed by `listByOwner`; ignored by writes that do not create.
   */
  device?: DeviceRecord | undefined;
}

/** A device record: a flat object of short strings, numbers, booleans or null. */
export type DeviceRecord = Readonly<Record<string, string | number | boolean | null>>;

/** The top-level keys a relative write sets and unsets. */
export interface KeyChanges {
  /** Changed or new keys and their (encoded, unsealed) values. */
  readonly set: Readonly<Record<string, unknown>>;
  /** Keys the new body no longer has. */
  readonly unset: readonly string[];
  /** A key outside `lazyKeys` changed: the session's data changed. */
  readonly dataChanged: boolean;
  /** Only keys in `lazyKeys` changed (express-session's `cookie`). */
  readonly lazyChanged: boolean;
}

/** Compares what was read with what is to be written, key by key. */
export function diffBody(previous: EncodedBody, next: EncodedBody, lazyKeys?: readonly string[]): KeyChanges {
  const lazy = lazyKeys && lazyKeys.length > 0 ? new Set(lazyKeys) : undefined;
  const set: Record<string, unknown> = {};
  const unset: string[] = [];
  let dataChanged = false;
  let lazyChanged = false;
  const changed = (key: string) => {
    if (lazy?.has(key)) lazyChanged = true;
    else dataChanged = true;
  };
  for (const key of Object.keys(next)) {
    if (Object.hasOwn(previous, key) && encodedEqual(previous[key], next[key])) continue;
    set[key] = next[key];
    changed(key);
  }
  for (const key of Object.keys(previous)) {
    if (Object.hasOwn(next, key)) continue;
    unset.push(key);
    changed(key);
  }
  return { set, unset, dataChanged, lazyChanged };
}

/**
 * A touch may be skipped while the stored expiry is within the touch window of the
 * requested one. The window never exceeds half the requested lifetime, so a session
 * in use never lapses, however short its cookie is next to `touchAfterMs`.
 */
export function touchNotDue(
  snapshot: Pick<SessionSnapshot, 'expires'>,
  expires: Date,
  touchAfterMs: number,
  now = Date.now(),
): boolean {
  const window = Math.min(touchAfterMs, (expires.getTime() - now) / 2);
  return snapshot.expires.getTime() >= expires.getTime() - window;
}
