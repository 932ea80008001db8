/**
 * What every adapter re-exports from the core, listed once: the error tree, the error and
 * warning codes, and the helpers an app calls without a store. Published as the subpath
 * `@mongo-session/core/adapter-exports` (an adapter's entry is `export *` of it) and part of
 * the core's own entry too.
 */
export {
  ErrorCode,
  WarningCode,
  MongoSessionError,
  InvalidOptionError,
  InvalidSessionIdError,
  InvalidArgumentError,
  ConnectionError,
  OperationError,
  SerializationError,
  StoreClosedError,
} from './errors';
export { closeAll } from './close-all';
export { hashSessionId } from './crypto';
