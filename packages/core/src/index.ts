export { SessionStore, SessionSnapshot, FORMAT_VERSION } from './store';
export type { LoadedSession, SessionDocument, StoreEventMap, StoredSession, WriteOptions } from './store';
export {
  ErrorCode,
  MongoSessionError,
  InvalidOptionError,
  InvalidSessionIdError,
  ConnectionError,
  OperationError,
  SerializationError,
  StoreClosedError,
  isMongoSessionError,
} from './errors';
export type { MongoSessionErrorOptions } from './errors';
export { DEFAULTS, OPTION_NAMES, defaultTouchAfterMs, mapLegacyClientOptions } from './options';
export type {
  AutoRemove,
  CustomSerializer,
  MongooseConnectionLike,
  ResolvedOptions,
  SerializerOption,
  ServerAddress,
  SessionData,
  SessionStoreOptions,
  StoreWarning,
} from './options';
export { encodeBody, decodeBody, escapeKey, unescapeKey, MAX_DEPTH } from './encoding';
export type { EncodedBody } from './encoding';
export { withCallback, splitCallback } from './callback';
export type { Callback } from './callback';
export { closeAll } from './close-all';
