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

declare const connectMongoDBSession: ConnectMongoDBSession & {
  readonly ErrorCode: typeof import('../dist/impl.cjs').ErrorCode;
  readonly MongoSessionError: typeof import('../dist/impl.cjs').MongoSessionError;
  readonly InvalidOptionError: typeof import('../dist/impl.cjs').InvalidOptionError;
  readonly InvalidArgumentError: typeof import('../dist/impl.cjs').InvalidArgumentError;
  readonly ConnectionError: typeof import('../dist/impl.cjs').ConnectionError;
  readonly OperationError: typeof import('../dist/impl.cjs').OperationError;
  readonly SerializationError: typeof import('../dist/impl.cjs').SerializationError;
  readonly StoreClosedError: typeof import('../dist/impl.cjs').StoreClosedError;
  readonly closeAll: typeof import('../dist/impl.cjs').closeAll;
  readonly hashSessionId: typeof import('../dist/impl.cjs').hashSessionId;
};

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
