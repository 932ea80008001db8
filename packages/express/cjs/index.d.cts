import type {
  Callback as _Callback,
  ConnectMongoDBSession,
  ConnectMongoOptions as _ConnectMongoOptions,
  FrameworkStore as _FrameworkStore,
  MongoDBStoreConstructor as _MongoDBStoreConstructor,
  MongoStore as _MongoStore,
  MongoStoreEvents as _MongoStoreEvents,
  MongoStoreOptions as _MongoStoreOptions,
  SessionData as _SessionData,
  SessionModuleLike as _SessionModuleLike,
  SessionStoreOptions as _SessionStoreOptions,
  StoreEventMap as _StoreEventMap,
  StoredSession as _StoredSession,
} from '../dist/impl.cjs';

declare const connectMongoDBSession: ConnectMongoDBSession & typeof import('@mongo-session/core/adapter-exports');

declare namespace connectMongoDBSession {
  type MongoStore = _MongoStore;
  type MongoStoreOptions = _MongoStoreOptions;
  type MongoStoreEvents = _MongoStoreEvents;
  type StoreEventMap = _StoreEventMap;
  type ConnectMongoOptions = _ConnectMongoOptions;
  type MongoDBStoreConstructor = _MongoDBStoreConstructor;
  type SessionModuleLike = _SessionModuleLike;
  type FrameworkStore = _FrameworkStore;
  type SessionData = _SessionData;
  type SessionStoreOptions = _SessionStoreOptions;
  type Callback<T> = _Callback<T>;
  type StoredSession = _StoredSession;
}

export = connectMongoDBSession;
