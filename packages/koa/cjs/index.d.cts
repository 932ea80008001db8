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
  export const ErrorCode: typeof import('../dist/impl.cjs').ErrorCode;
  export const WarningCode: typeof import('../dist/impl.cjs').WarningCode;
  export const MongoSessionError: typeof import('../dist/impl.cjs').MongoSessionError;
  export const InvalidOptionError: typeof import('../dist/impl.cjs').InvalidOptionError;
  export const InvalidSessionIdError: typeof import('../dist/impl.cjs').InvalidSessionIdError;
  export const InvalidArgumentError: typeof import('../dist/impl.cjs').InvalidArgumentError;
  export const ConnectionError: typeof import('../dist/impl.cjs').ConnectionError;
  export const OperationError: typeof import('../dist/impl.cjs').OperationError;
  export const SerializationError: typeof import('../dist/impl.cjs').SerializationError;
  export const StoreClosedError: typeof import('../dist/impl.cjs').StoreClosedError;
  export const closeAll: typeof import('../dist/impl.cjs').closeAll;
  export const hashSessionId: typeof import('../dist/impl.cjs').hashSessionId;
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
