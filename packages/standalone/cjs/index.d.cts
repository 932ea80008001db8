import type {
  MongoSessFunction,
  Session as SessionClass,
  SessionUsageError as SessionUsageErrorClass,
  ConnectOptions as ConnectOptionsType,
  SessionOptions as SessionOptionsType,
  SessionData as SessionDataType,
  Callback as CallbackType,
  StoredSession as StoredSessionType,
} from '../dist/impl.cjs';

declare const MongoSess: MongoSessFunction & typeof import('@mongo-session/core/adapter-exports');

declare namespace MongoSess {
  export type Session = SessionClass;
  export type SessionUsageError = SessionUsageErrorClass;
  export type ConnectOptions = ConnectOptionsType;
  export type SessionOptions = SessionOptionsType;
  export type SessionData = SessionDataType;
  export type Callback<T> = CallbackType<T>;
  export type StoredSession = StoredSessionType;
  export type { MongoSessFunction };
}

export = MongoSess;
