import type {
  CreateOptions as _CreateOptions,
  KoaSessionStoreLayer as _KoaSessionStoreLayer,
  create as _create,
  closeConnections as _closeConnections,
  StoredSession as _StoredSession,
} from '../dist/impl.cjs';

declare const koaSessionStore: typeof import('@mongo-session/core/adapter-exports') & {
  readonly create: typeof _create;
  readonly closeConnections: typeof _closeConnections;
  readonly default: { readonly create: typeof _create; readonly closeConnections: typeof _closeConnections };
};

declare namespace koaSessionStore {
  type CreateOptions = _CreateOptions;
  type KoaSessionStoreLayer = _KoaSessionStoreLayer;
  type StoredSession = _StoredSession;
}

export = koaSessionStore;
