import type {
  KoaSessionStore as KoaSessionStoreClass,
  KoaStoreOptions as KoaStoreOptionsType,
  KoaStoreCallOptions as KoaStoreCallOptionsType,
  SessionData as SessionDataType,
  StoreEventMap as StoreEventMapType,
  StoredSession as StoredSessionType,
} from '../dist/impl.cjs';

declare function createStore(options: createStore.KoaStoreOptions): createStore.KoaSessionStore;

declare namespace createStore {
  export { createStore, createStore as default };
  export const KoaSessionStore: typeof KoaSessionStoreClass;
  export type KoaSessionStore = KoaSessionStoreClass;
  export type KoaStoreOptions = KoaStoreOptionsType;
  export type KoaStoreCallOptions = KoaStoreCallOptionsType;
  export type SessionData = SessionDataType;
  export type StoreEventMap = StoreEventMapType;
  export type StoredSession = StoredSessionType;
}

export = createStore;
