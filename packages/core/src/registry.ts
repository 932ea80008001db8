/**
 * Process-wide state, kept on a global symbol so that an application that
 * loads both the ESM and the CJS build (or two copies of this package) shares
 * one client registry and gives each process warning once.
 */
export interface SharedClientEntry {
  /** The MongoClient this library created for one connection string + options. */
  readonly client: ClientLike;
  /** Stores currently using it. */
  refs: number;
  /** The first `connect()`; its rejection is always handled. */
  readonly firstConnect: Promise<void>;
}

/** The part of a MongoClient we use: matched by shape, not `instanceof`. */
export interface ClientLike {
  db(name?: string): unknown;
  connect(): Promise<unknown>;
  close(force?: boolean): Promise<void>;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off?(event: string, listener: (...args: any[]) => void): unknown;
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
  options?: { serverSelectionTimeoutMS?: number };
}

export interface GlobalState {
  readonly version: 1;
  /** Clients this library created, by connection key. */
  readonly clients: Map<string, SharedClientEntry>;
  /** Connection watchers, one per client object (ours or the user's). */
  readonly watchers: WeakMap<object, unknown>;
  /** Index setups already done or under way, by `<client key>/<db>/<collection>`. */
  readonly indexSetups: WeakMap<object, Map<string, Promise<unknown>>>;
  /** Process warnings already given, by code. */
  readonly warned: Set<string>;
  /** Open stores, for `closeAll()`. */
  readonly stores: Set<{ close(): Promise<void> }>;
}

const KEY = Symbol.for('@mongo-session/core');

export function globalState(): GlobalState {
  const holder = globalThis as unknown as Record<symbol, GlobalState | undefined>;
  let state = holder[KEY];
  if (!state) {
    state = {
      version: 1,
      clients: new Map(),
      watchers: new WeakMap(),
      indexSetups: new WeakMap(),
      warned: new Set(),
      stores: new Set(),
    };
    Object.defineProperty(globalThis, KEY, { value: state, enumerable: false, configurable: true, writable: false });
  }
  return state;
}
