/** The store's events and the option types of its methods. */
import type { MongoSessionError } from './errors';
import type { StoreWarning } from './options';
import type { PolicyEnd } from './policy';

/** `destroyByOwner`'s options. */
export interface DestroyByOwnerOptions {
  /** A session id to keep ("log out my other devices"). */
  except?: string;
}

/** A warning event's payload. Never contains session data or session ids. */
export type { StoreWarning };

export interface StoreEventMap {
  connect: [];
  disconnect: [];
  error: [MongoSessionError];
  warning: [StoreWarning];
  create: [sessionId: string];
  update: [sessionId: string];
  touch: [sessionId: string];
  destroy: [sessionId: string];
  /**
   * A session ended by a lifetime policy: `idle` / `absolute` when a read found it over (it
   * reads as no session), `evicted` when `maxSessionsPerOwner` revoked it (the id as stored).
   */
  expired: [sessionId: string, reason: PolicyEnd];
}
