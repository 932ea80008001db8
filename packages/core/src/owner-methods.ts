/**
 * The owner methods (option `owner`) every adapter offers, written once. Each runs on the core
 * store of the object it is called on, in promise and callback style; a store that cannot be
 * had (standalone before `connect()`) rejects, never throws.
 */
import { type Callback, splitCallback, withCallback } from './callback';
import type { StoredSession } from './document';
import type { SessionData } from './options';
import type { DestroyByOwnerOptions, SessionStore } from './store';

export interface OwnerMethods<Body extends object = SessionData> {
  /** The live sessions of one owner (option `owner`): `[{ id, session, expires }]`, ids as stored (hashed with `hashSessionIds`). */
  listByOwner(owner: string, callback?: Callback<StoredSession<Body>[]>): Promise<StoredSession<Body>[]>;
  /** How many live sessions one owner has. */
  countByOwner(owner: string, callback?: Callback<number>): Promise<number>;
  /** "Log out everywhere": revokes every session of one owner (all but `except`, with it); resolves to how many. */
  destroyByOwner(owner: string, callback?: Callback<number>): Promise<number>;
  destroyByOwner(owner: string, options: DestroyByOwnerOptions, callback?: Callback<number>): Promise<number>;
}

/** The three methods, each on the store `storeOf` gives for `this`. */
export function ownerMethods<Self, Body extends object = SessionData>(
  storeOf: (self: Self) => SessionStore<Body>,
): OwnerMethods<Body> {
  function onStore<T>(self: Self, call: (store: SessionStore<Body>) => Promise<T>, callback: Callback<T> | undefined) {
    let result: Promise<T>;
    try {
      result = call(storeOf(self));
    } catch (error) {
      result = Promise.reject(error);
    }
    return withCallback(result, callback);
  }
  return {
    listByOwner(this: Self, owner: string, callback?: Callback<StoredSession<Body>[]>) {
      return onStore(this, (store) => store.listByOwner(owner), callback);
    },
    countByOwner(this: Self, owner: string, callback?: Callback<number>) {
      return onStore(this, (store) => store.countByOwner(owner), callback);
    },
    destroyByOwner(this: Self, owner: string, options?: DestroyByOwnerOptions | Callback<number>, callback?: Callback<number>) {
      const [opts, cb] = splitCallback(options, callback);
      return onStore(this, (store) => store.destroyByOwner(owner, opts), cb);
    },
  } as OwnerMethods<Body>;
}

/**
 * Puts the owner methods on a class's prototype, as its own methods would be (non-enumerable).
 * The class declares them by merging `interface C extends OwnerMethods<Body> {}`.
 */
export function addOwnerMethods<Self, Body extends object = SessionData>(
  cls: abstract new (...args: any[]) => Self,
  storeOf: (self: Self) => SessionStore<Body>,
): void {
  for (const [name, value] of Object.entries(ownerMethods(storeOf))) {
    Object.defineProperty(cls.prototype, name, { value, writable: true, configurable: true });
  }
}
