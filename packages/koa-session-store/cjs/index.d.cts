import type {
  CreateOptions as _CreateOptions,
  KoaSessionStoreLayer as _KoaSessionStoreLayer,
  create as _create,
  closeConnections as _closeConnections,
  StoredSession as _StoredSession,
} from '../dist/impl.cjs';

declare const koaSessionStore: Pick<typeof import('../dist/impl.cjs'), 'ErrorCode' | 'WarningCode' | 'MongoSessionError' | 'InvalidOptionError' | 'InvalidSessionIdError' | 'InvalidArgumentError' | 'ConnectionError' | 'OperationError' | 'SerializationError' | 'StoreClosedError' | 'closeAll' | 'hashSessionId'> & {
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
