import type {
  createStore as _createStore,
  KoaSessionStore as KoaSessionStoreClass,
  KoaStoreOptions as KoaStoreOptionsType,
  KoaStoreCallOptions as KoaStoreCallOptionsType,
  SessionData as SessionDataType,
  StoreEventMap as StoreEventMapType,
  StoredSession as StoredSessionType,
} from '../dist/impl.cjs';

declare const createStore: typeof _createStore &
  typeof import('@mongo-session/core/adapter-exports') & {
    readonly createStore: typeof _createStore;
    readonly default: typeof _createStore;
    readonly KoaSessionStore: typeof KoaSessionStoreClass;
  };

declare namespace createStore {
  export type KoaSessionStore = KoaSessionStoreClass;
  export type KoaStoreOptions = KoaStoreOptionsType;
  export type KoaStoreCallOptions = KoaStoreCallOptionsType;
  export type SessionData = SessionDataType;
  export type StoreEventMap = StoreEventMapType;
  export type StoredSession = StoredSessionType;
}

export = createStore;
