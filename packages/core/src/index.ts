export { SessionStore, FORMAT_VERSION } from './store';
export { RequestReads } from './request-reads';
export { isSessionId } from './limits';
export { callableClass, emitWarning, forwardEvents, sameNames, warnOnce } from './forward-events';
export type { ForwardedEvents } from './forward-events';
export type {
  DestroyByOwnerOptions,
  DeviceRecord,
  LoadedSession,
  PolicyEnd,
  ReadSession,
  SessionDocument,
  SessionSnapshot,
  StoreEventMap,
  StoredSession,
  WriteOptions,
} from './store';
// The error tree, codes, closeAll and hashSessionId: listed once, in the module every adapter re-exports.
export * from './adapter-exports';
export { isMongoSessionError } from './errors';
export type { MongoSessionErrorOptions } from './errors';
export { DEFAULTS, OPTION_NAMES } from './options';
export type {
  AutoRemove,
  CryptoOptions,
  CustomSerializer,
  HashSessionIdsOptions,
  OwnerFunction,
  MongooseConnectionLike,
  ResolvedOptions,
  SerializerOption,
  ServerAddress,
  SessionData,
  SessionStoreOptions,
  StoreWarning,
} from './options';
export { withCallback, splitCallback } from './callback';
export type { Callback } from './callback';
export { addOwnerMethods, ownerMethods } from './owner-methods';
export { DeviceContext, describeDevice } from './device';
export type { DeviceFunction } from './device';
export { OPERATION_CHANNEL, OPERATION_NAMES, SESSION_CHANNEL } from './metrics';
export type { OperationMessage, OperationName, OperationOutcome, SessionEvent, SessionMessage } from './metrics';
export type { OwnerMethods } from './owner-methods';
