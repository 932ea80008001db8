/**
 * The error tree. Every error carries a stable `code`; code across packages
 * (and across the ESM and CJS builds of this one) must test `code`, never
 * `instanceof`. Messages name what was wrong and never contain session data.
 */

export const ErrorCode = Object.freeze({
  InvalidOption: 'MONGO_SESSION_INVALID_OPTION',
  InvalidSessionId: 'MONGO_SESSION_INVALID_SESSION_ID',
  InvalidArgument: 'MONGO_SESSION_INVALID_ARGUMENT',
  Connection: 'MONGO_SESSION_CONNECTION',
  Operation: 'MONGO_SESSION_OPERATION',
  Serialization: 'MONGO_SESSION_SERIALIZATION',
  StoreClosed: 'MONGO_SESSION_STORE_CLOSED',
} as const);

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The codes of `warning` events (and of the process warnings they become when nobody listens). */
export const WarningCode = Object.freeze({
  CorruptDocument: 'CORRUPT_DOCUMENT',
  DecryptionFailed: 'DECRYPTION_FAILED',
  DeviceFailed: 'DEVICE_FAILED',
  ForeignTtlIndex: 'FOREIGN_TTL_INDEX',
  IgnoredOptions: 'IGNORED_OPTIONS',
  IndexesRecreated: 'INDEXES_RECREATED',
  IndexFailed: 'INDEX_FAILED',
  LegacyOptionIgnored: 'LEGACY_OPTION_IGNORED',
  LegacyOptionMapped: 'LEGACY_OPTION_MAPPED',
  TtlIndexConflict: 'TTL_INDEX_CONFLICT',
  TtlIndexUnavailable: 'TTL_INDEX_UNAVAILABLE',
  WriteAfterDestroy: 'WRITE_AFTER_DESTROY',
} as const);

export type WarningCode = (typeof WarningCode)[keyof typeof WarningCode];

export interface MongoSessionErrorOptions {
  cause?: unknown;
}

/** Base class: never thrown itself. */
export class MongoSessionError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: MongoSessionErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }

  override get name(): string {
    return 'MongoSessionError';
  }
}

/** An option had the wrong type or value; thrown synchronously by constructors. */
export class InvalidOptionError extends MongoSessionError {
  /** The option at fault, as the caller spelled it (e.g. `ttlMs`, `autoRemoveInterval`). */
  readonly option: string;

  constructor(option: string, message: string, options?: MongoSessionErrorOptions) {
    super(ErrorCode.InvalidOption, message, options);
    this.option = option;
  }

  override get name(): string {
    return 'InvalidOptionError';
  }
}

/** A session id that is not a string of 1-1024 characters without NUL. */
export class InvalidSessionIdError extends MongoSessionError {
  constructor(message: string, options?: MongoSessionErrorOptions) {
    super(ErrorCode.InvalidSessionId, message, options);
  }

  override get name(): string {
    return 'InvalidSessionIdError';
  }
}

/** A method argument other than a session id was wrong (e.g. an owner that is not a string). */
export class InvalidArgumentError extends MongoSessionError {
  /** The argument at fault, e.g. `owner`. */
  readonly argument: string;

  constructor(argument: string, message: string, options?: MongoSessionErrorOptions) {
    super(ErrorCode.InvalidArgument, message, options);
    this.argument = argument;
  }

  override get name(): string {
    return 'InvalidArgumentError';
  }
}

/** No server could be reached (selection timed out, network error, bad host). */
export class ConnectionError extends MongoSessionError {
  constructor(message: string, options?: MongoSessionErrorOptions) {
    super(ErrorCode.Connection, message, options);
  }

  override get name(): string {
    return 'ConnectionError';
  }
}

/**
 * The server was reached but refused or failed the command. Carries the
 * server's numeric code and name, but not its message or the driver error:
 * servers echo offending document values there, which would leak session data.
 */
export class OperationError extends MongoSessionError {
  readonly serverCode: number | undefined;
  readonly serverCodeName: string | undefined;

  constructor(message: string, serverCode?: number, serverCodeName?: string) {
    super(ErrorCode.Operation, message);
    this.serverCode = serverCode;
    this.serverCodeName = serverCodeName;
  }

  override get name(): string {
    return 'OperationError';
  }
}

/** A session body that cannot be stored: BigInt, circular, too deep or too large. */
export class SerializationError extends MongoSessionError {
  constructor(message: string, options?: MongoSessionErrorOptions) {
    super(ErrorCode.Serialization, message, options);
  }

  override get name(): string {
    return 'SerializationError';
  }
}

/** An operation was called after `close()`. */
export class StoreClosedError extends MongoSessionError {
  constructor(message = 'The session store is closed; create a new store to keep using MongoDB.') {
    super(ErrorCode.StoreClosed, message);
  }

  override get name(): string {
    return 'StoreClosedError';
  }
}

/** Describes a received value without ever printing its contents. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case 'string':
      return `a string of ${value.length} characters`;
    case 'number':
      return Number.isNaN(value) ? 'NaN' : `the number ${value}`;
    case 'bigint':
      return 'a bigint';
    case 'boolean':
      return `${value}`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    default: {
      const proto = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null;
      const ctor = proto?.constructor?.name;
      return typeof ctor === 'string' && ctor !== 'Object' ? `an instance of ${ctor}` : 'an object';
    }
  }
}

/** Driver errors meaning the server could not be reached (as opposed to a refused command). */
const UNREACHABLE_ERROR_NAMES = new Set([
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
]);

/** Driver errors raised before any server answered: reported as ConnectionError. */
const NETWORK_ERROR_NAMES = new Set([...UNREACHABLE_ERROR_NAMES, 'MongoParseError', 'MongoAPIError']);

/** True when a driver error says no server could be reached; detected by name, as in {@link toStoreError}. */
export function isUnreachableError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && UNREACHABLE_ERROR_NAMES.has(name);
}

/**
 * Wraps a driver failure in our tree. Detected by name, not `instanceof`,
 * because mongoose and the app may bring their own copy of the driver.
 */
export function toStoreError(error: unknown, action: string): MongoSessionError {
  if (isMongoSessionError(error)) return error;
  const name = (error as { name?: unknown } | null)?.name;
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  // The driver could not encode the document (e.g. a session key named `_bsontype`): the body's fault, not the server's.
  if (typeof name === 'string' && name.startsWith('BSON') && name !== 'BSONError') {
    return new SerializationError(`The session could not be encoded as BSON (${name}).`);
  }
  // Only a server that answered sets a numeric code; anything else failed on the way there.
  const transport = typeof name === 'string' && NETWORK_ERROR_NAMES.has(name);
  if (transport || (typeof code !== 'number' && name !== 'BSONError')) {
    return new ConnectionError(`MongoDB could not be reached to ${action}: ${text}`, { cause: error });
  }
  const codeName = (error as { codeName?: unknown } | null)?.codeName;
  const serverCode = typeof code === 'number' ? code : undefined;
  const serverCodeName = typeof codeName === 'string' ? codeName : undefined;
  const detail =
    serverCode === undefined
      ? String(name ?? 'unknown error')
      : `code ${serverCode}${serverCodeName ? ` ${serverCodeName}` : ''}`;
  return new OperationError(`MongoDB failed to ${action} (${detail}).`, serverCode, serverCodeName);
}

/** True for errors of this library, from either build (checked by code). */
export function isMongoSessionError(error: unknown): error is MongoSessionError {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('MONGO_SESSION_');
}
