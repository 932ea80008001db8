import type {
  Callback as _Callback,
  ConnectMongoDBSession,
  ConnectMongoOptions as _ConnectMongoOptions,
  FrameworkStore as _FrameworkStore,
  MongoDBStoreConstructor as _MongoDBStoreConstructor,
  MongoStore as _MongoStore,
  MongoStoreOptions as _MongoStoreOptions,
  SessionData as _SessionData,
  SessionModuleLike as _SessionModuleLike,
  SessionStoreOptions as _SessionStoreOptions,
  StoredSession as _StoredSession,
} from '../dist/impl.cjs';

declare const connectMongoDBSession: ConnectMongoDBSession;

declare namespace connectMongoDBSession {
  type MongoStore = _MongoStore;
  type MongoStoreOptions = _MongoStoreOptions;
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
