/**
 * Lifetime policies beyond the cookie's (OWASP's session management cheat sheet):
 *
 * - `idleTimeoutMs`: a session ends after that long without a request;
 * - `absoluteTimeoutMs`: a session ends that long after it was created, however active;
 * - `anonymousTtlMs`: a session without an owner (no one logged in) lives at most that long.
 *
 * Each is enforced twice: a write never stores an expiry past what the policies allow (so
 * the TTL index or the sweep removes the document on time), and a read checks the document's
 * `createdAt` / `lastSeenAt` (so a policy made stricter applies to sessions stored before).
 * Touches ride on the lazy-touch writes: `lastSeenAt` is written with every write or touch,
 * and the touch window is kept to a tenth of the idle timeout so an active session never
 * lapses and an idle one ends within 10% of the limit.
 */
import type { Document } from 'mongodb';
import type { ResolvedOptions } from './options';

/** Why a session ended by policy (`expired` event); `evicted`: beyond `maxSessionsPerOwner`. */
export type PolicyEnd = 'idle' | 'absolute' | 'evicted';

/** What a write knows of the session it writes: its creation, and its owner (`null`: not known). */
export interface PolicySubject {
  createdAt: Date | undefined;
  owner: string | undefined | null;
}

export class SessionPolicy {
  readonly #idleMs: number | undefined;
  readonly #absoluteMs: number | undefined;
  readonly #anonymousMs: number | undefined;

  constructor(options: Pick<ResolvedOptions, 'idleTimeoutMs' | 'absoluteTimeoutMs' | 'anonymousTtlMs'>) {
    this.#idleMs = options.idleTimeoutMs;
    this.#absoluteMs = options.absoluteTimeoutMs;
    this.#anonymousMs = options.anonymousTtlMs;
  }

  /** The expiry a write stores: the requested one, brought forward by every policy that applies. */
  cap(requested: Date, now: number, subject: PolicySubject): Date {
    let limit = requested.getTime();
    if (this.#idleMs !== undefined) limit = Math.min(limit, now + this.#idleMs);
    if (this.#absoluteMs !== undefined && subject.createdAt) {
      limit = Math.min(limit, subject.createdAt.getTime() + this.#absoluteMs);
    }
    if (this.#anonymousMs !== undefined && subject.owner === undefined) limit = Math.min(limit, now + this.#anonymousMs);
    return limit === requested.getTime() ? requested : new Date(limit);
  }

  /** The lazy-touch window: with an idle timeout, at most a tenth of it. */
  touchWindow(touchAfterMs: number): number {
    return this.#idleMs === undefined ? touchAfterMs : Math.min(touchAfterMs, this.#idleMs / 10);
  }

  /** Why a stored session is over by policy, if it is. */
  endedBy(doc: Document, now: number): PolicyEnd | undefined {
    const createdAt = dateOf(doc['createdAt']);
    if (this.#absoluteMs !== undefined && createdAt !== undefined && createdAt + this.#absoluteMs <= now) return 'absolute';
    if (this.#idleMs !== undefined) {
      // Documents of stores that keep no activity time (MongoSess's) are left to their own lifetime.
      const lastSeen = dateOf(doc['lastSeenAt']) ?? dateOf(doc['updatedAt']);
      if (lastSeen !== undefined && lastSeen + this.#idleMs <= now) return 'idle';
    }
    return undefined;
  }
}

function dateOf(value: unknown): number | undefined {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? value.getTime() : undefined;
}
