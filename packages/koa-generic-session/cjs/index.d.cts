import type {
  KoaSession as _KoaSession,
  MongoDBStore as _MongoDBStore,
  MongoDBStoreConstructor,
  MongoDBStoreOptions as _MongoDBStoreOptions,
  StoredSession as _StoredSession,
} from '../dist/impl.cjs';

declare const MongoDBStore: MongoDBStoreConstructor & typeof import('@mongo-session/core/adapter-exports') & {
  readonly MongoDBStore: MongoDBStoreConstructor;
  readonly default: MongoDBStoreConstructor;
};

declare namespace MongoDBStore {
  type KoaSession = _KoaSession;
  type MongoDBStoreOptions = _MongoDBStoreOptions;
  type Instance = _MongoDBStore;
  type StoredSession = _StoredSession<_KoaSession>;
}

export = MongoDBStore;
