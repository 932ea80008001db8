/**
 * Framework-free sessions on Node's http (replaces MongoSess): one process-wide
 * store opened by `MongoSess.connect()`, and a per-request handle
 * `MongoSess(req, res, options)` with set / get / del / end / expire.
 * All MongoDB work is the core's; this file maps names and handles cookies.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Cookies from 'cookies';
import Keygrip from 'keygrip';
import {
  ownerMethods,
  DEFAULTS,
  InvalidOptionError,
  SessionStore,
  withCallback,
  type Callback,
  type SessionData,
  type SessionStoreOptions,
  type StoredSession,
  describeDevice,
  type DeviceFunction,
} from '@mongo-session/core';

/** `MongoSess.connect()` options: MongoSess's names plus every core option except `ttlMs` (use `expires`). */
export interface ConnectOptions extends Omit<SessionStoreOptions, 'ttlMs'> {
  /**
   * What the request says about the device, kept with each new session (`listByOwner` shows it).
   * A throw saves the session without one (warning `DEVICE_FAILED`).
   */
  device?: DeviceFunction<IncomingMessage>;
  /** Credentials (MongoSess's shape); passed to the driver as `auth: { username, password }`. */
  auth?: { user: string; pass: string };
  /** Stored lifetime in ms (default two weeks); every write extends it. */
  expires?: number;
}

/** Cookie options of `MongoSess(req, res, options)`. */
export interface SessionOptions {
  /** Cookie name (default `'sess'`, MongoSess's); the signature goes in `<name>.sig`. */
  name?: string;
  /** MongoSess's name for `name`. */
  cookieName?: string;
  /** Signing keys (the first signs, all verify), or a Keygrip. */
  keys?: string[] | Keygrip;
  /** ms until the cookie expires (default: the store's `expires`); 0 = a browser-session cookie. */
  expires?: number;
  secure?: boolean;
  sameSite?: 'strict' | 'lax' | 'none' | boolean;
  path?: string;
  domain?: string;
  httpOnly?: boolean;
  /** Trust `X-Forwarded-Proto` to decide whether the connection is secure. */
  proxy?: boolean;
}

/** Codes of this package's usage errors (core errors keep their own codes). */
export const StandaloneErrorCode = Object.freeze({
  NotConnected: 'MONGO_SESSION_NOT_CONNECTED',
  HeadersSent: 'MONGO_SESSION_HEADERS_SENT',
  InvalidArgument: 'MONGO_SESSION_INVALID_ARGUMENT',
} as const);

export class SessionUsageError extends Error {
  constructor(
    readonly code: (typeof StandaloneErrorCode)[keyof typeof StandaloneErrorCode],
    message: string,
  ) {
    super(message);
  }
  override get name(): string {
    return 'SessionUsageError';
  }
}

const RESERVED = new Set(['_id', 'createdAt']);
const SESSION_OPTIONS = ['name', 'cookieName', 'keys', 'expires', 'secure', 'sameSite', 'path', 'domain', 'httpOnly', 'proxy'];
const ID_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
/** MongoSess's default cookie name, so its browsers' cookies are read after switching. */
const DEFAULT_COOKIE_NAME = 'sess';
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
let store: SessionStore | undefined;

/** Opens the process-wide store. Invalid options throw; connection failures go to the callback / promise only. */
function connect(options: ConnectOptions, callback?: (error: Error | null) => void): Promise<SessionStore> {
  if (store && !store.closed) {
    throw new SessionUsageError(
      StandaloneErrorCode.InvalidArgument,
      'MongoSess.connect() was already called; call MongoSess.close() first.',
    );
  }
  const { auth, expires, device: describe, ...rest } = options ?? ({} as ConnectOptions);
  device = describe;
  const core: SessionStoreOptions = { ...rest };
  if (expires !== undefined) core.ttlMs = expires;
  if (auth !== undefined) {
    if (typeof auth?.user !== 'string')
      throw new InvalidOptionError('auth', 'Option "auth" must be { user, pass } with string values.');
    core.connectionOptions = { ...rest.connectionOptions, auth: { username: auth.user, password: auth.pass ?? '' } };
  }
  const created = new SessionStore(core);
  store = created;
  const ready = created.ready().then(() => created);
  ready.catch(() => undefined); // an unanswered connection failure must not crash the app
  return withCallback(ready, callback as Callback<SessionStore> | undefined);
}

function close(callback?: Callback<void>): Promise<void> {
  const closing = store;
  store = undefined;
  return withCallback(closing ? closing.close() : Promise.resolve(), callback);
}

/** listByOwner / countByOwner / destroyByOwner on the connected store; not connected rejects. */
const { listByOwner, countByOwner, destroyByOwner } = ownerMethods(requireStore);

const newId = (): string => randomBytes(24).toString('base64url');
/** The connected store's `device` option. */
let device: DeviceFunction<IncomingMessage> | undefined;

/** `name`, or its MongoSess spelling `cookieName` (both given must agree). */
function cookieNameOf({ name, cookieName }: SessionOptions): string {
  if (name !== undefined && cookieName !== undefined && name !== cookieName) {
    throw new InvalidOptionError(
      'cookieName',
      'Options "name" and "cookieName" (MongoSess\'s spelling of "name") disagree; give one of them.',
    );
  }
  const chosen = name ?? cookieName ?? DEFAULT_COOKIE_NAME;
  if (typeof chosen !== 'string' || !COOKIE_NAME.test(chosen)) {
    const option = name !== undefined ? 'name' : 'cookieName';
    throw new InvalidOptionError(option, `Option "${option}" must be a cookie name: letters, digits and !#$%&'*+-.^_\`|~ only.`);
  }
  return chosen;
}

/** An array of secrets becomes a Keygrip; a Keygrip (any copy of the package) is used as it is. */
function keygripOf(keys: SessionOptions['keys']): Keygrip | undefined {
  if (keys === undefined) return undefined;
  if (Array.isArray(keys) && keys.length > 0) return new Keygrip(keys);
  if (typeof (keys as Partial<Keygrip> | null)?.index === 'function' && typeof (keys as Keygrip).sign === 'function')
    return keys as Keygrip;
  throw new InvalidOptionError('keys', 'Option "keys" must be a non-empty array of secrets or a Keygrip.');
}

function requireStore(): SessionStore {
  if (!store) throw new SessionUsageError(StandaloneErrorCode.NotConnected, 'Call MongoSess.connect() before using a session.');
  return store;
}

function checkKey(key: unknown, action: string): void {
  if (typeof key !== 'string')
    throw new SessionUsageError(StandaloneErrorCode.InvalidArgument, `Session keys to ${action} must be strings.`);
  if (RESERVED.has(key))
    throw new SessionUsageError(
      StandaloneErrorCode.InvalidArgument,
      `The "${key}" field is maintained by MongoSess; it cannot be ${action === 'set' ? 'set' : 'deleted'}.`,
    );
}

/** One request's session. */
export class Session {
  readonly #res: ServerResponse;
  #cookies!: Cookies;
  #options: SessionOptions = {};
  #name = DEFAULT_COOKIE_NAME;
  /**
   * The id the cookie names after the calls made so far. Cookies are set when a method is called
   * (so `session.set(...); res.end()` works without waiting); the store work runs later, in call
   * order, on `#id`.
   */
  #cookieId: string | undefined;
  /** The id the store work uses, as of the calls that have run. */
  #id: string | undefined;
  /** `#id` was made in this request and its document is not written yet. */
  #unwritten = false;
  #sessionOnly = false;
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * What went wrong while reading the request (bad options, a re-signed cookie that cannot be
   * sent, ...). The constructor never throws (inside a request handler that would crash the
   * server): every method of this handle rejects with it instead.
   */
  #failure: Error | undefined;
  readonly #req: IncomingMessage;

  constructor(req: IncomingMessage, res: ServerResponse, options: SessionOptions = {}) {
    this.#res = res;
    this.#req = req;
    try {
      this.#read(req, options);
    } catch (error) {
      this.#failure = error instanceof Error ? error : new Error(String(error));
    }
  }

  #read(req: IncomingMessage, options: SessionOptions): void {
    for (const name of Object.keys(options)) {
      if (!SESSION_OPTIONS.includes(name))
        throw new InvalidOptionError(name, `Unknown option "${name}". Known options: ${SESSION_OPTIONS.join(', ')}.`);
    }
    if (options.expires !== undefined && !(Number.isFinite(options.expires) && options.expires >= 0)) {
      throw new InvalidOptionError('expires', 'Option "expires" must be a number of milliseconds, 0 or more.');
    }
    this.#name = cookieNameOf(options);
    const keys = keygripOf(options.keys);
    this.#options = options;
    const forwarded = String(req.headers['x-forwarded-proto'] ?? '')
      .split(',')[0]!
      .trim()
      .toLowerCase();
    const encrypted = Boolean((req.socket as { encrypted?: boolean }).encrypted);
    this.#cookies = new Cookies(req, this.#res, {
      ...(keys ? { keys } : {}),
      secure: encrypted || (options.proxy === true && forwarded === 'https'),
    });
    const value = this.#cookies.get(this.#name, { signed: false });
    if (value === undefined || !ID_PATTERN.test(value)) return;
    if (keys) {
      const signature = this.#cookies.get(`${this.#name}.sig`, { signed: false });
      const index = signature === undefined ? -1 : keys.index(`${this.#name}=${value}`, signature);
      if (index < 0) return; // forged or unsigned: a fresh session starts
      // Signed with an older key: re-sign. This can fail (`secure: true` on plain http): see #failure.
      if (index > 0 && !this.#res.headersSent) this.#sendCookie(value);
    }
    this.#id = this.#cookieId = value;
  }

  /** The session id, if this request has one. */
  get id(): string | undefined {
    return this.#cookieId;
  }

  set(values: SessionData, callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#start(() => {
        if (values === null || typeof values !== 'object' || Array.isArray(values)) {
          throw new SessionUsageError(StandaloneErrorCode.InvalidArgument, 'session.set() takes an object of keys and values.');
        }
        Object.keys(values).forEach((key) => checkKey(key, 'set'));
        const fresh = this.#cookieId === undefined ? this.#newCookie() : undefined;
        return async (s) => {
          if (fresh !== undefined) [this.#id, this.#unwritten] = [fresh, true];
          const loaded = this.#id === undefined || this.#unwritten ? null : await s.load(this.#id);
          if (loaded) return s.set(loaded.snapshot.id, { ...loaded.session, ...values }, { snapshot: loaded.snapshot });
          if (!this.#unwritten) this.#create(); // ended or expired meanwhile: a new session, never the old id
          const describe = device;
          const record = describe ? describeDevice(s, () => describe(this.#req)) : undefined;
          await s.set(this.#id!, { ...values }, record ? { device: record } : {});
          this.#unwritten = false;
        };
      }),
      callback,
    );
  }

  get(callback?: Callback<SessionData | null>): Promise<SessionData | null>;
  get(key: string, callback?: Callback<unknown>): Promise<unknown>;
  get(key?: string | Callback<any>, callback?: Callback<any>): Promise<unknown> {
    const [name, cb] = typeof key === 'function' ? [undefined, key] : [key, callback];
    return withCallback(
      this.#start(() => async (s) => {
        const loaded = this.#id === undefined || this.#unwritten ? null : await s.load(this.#id);
        if (!loaded) return name === undefined ? null : undefined;
        const whole = { ...loaded.session, _id: loaded.snapshot.id, createdAt: loaded.snapshot.createdAt };
        return name === undefined ? whole : (whole as SessionData)[name];
      }),
      cb,
    );
  }

  del(...args: (string | Callback<void>)[]): Promise<void> {
    const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as Callback<void>) : undefined;
    return withCallback(
      this.#start(() => {
        args.forEach((key) => checkKey(key, 'delete'));
        return async (s) => {
          const loaded = this.#id === undefined || this.#unwritten ? null : await s.load(this.#id);
          if (!loaded) return;
          const next = { ...loaded.session };
          for (const key of args as string[]) delete next[key];
          await s.set(loaded.snapshot.id, next, { snapshot: loaded.snapshot });
        };
      }),
      cb,
    );
  }

  /** Deletes the stored session and clears the cookie (the cookie first, before any write). */
  end(callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#start(() => {
        if (this.#cookieId !== undefined) this.#clearCookie();
        return async (s) => {
          const id = this.#id;
          const written = !this.#unwritten;
          [this.#id, this.#unwritten] = [undefined, false];
          if (id === undefined) return;
          // A call made before end() named this id in the cookie while it ran (regenerate, a set
          // that started over): clear it again.
          if (this.#cookieId === id && !this.#res.headersSent) this.#clearCookie();
          if (written) await s.destroy(id);
        };
      }),
      callback,
    );
  }

  /**
   * Moves the session to a new id (core `regenerate`): the cookie names the new id, and the old
   * one is revoked in the same step that moves the data, so an id known before (a cookie planted
   * by an attacker: session fixation) reads nothing afterwards; the session keeps its creation
   * time and device record. Call it on log-in, before storing the user. Without a stored session
   * there is nothing to move: a session that is gone (or was never written) gets a new, still
   * empty id; no session at all stays none.
   */
  regenerate(callback?: Callback<void>): Promise<void> {
    return withCallback(
      this.#start(() => {
        // Fail before any write when the new cookie could not be sent anyway.
        if (this.#cookieId !== undefined) this.#checkHeaders();
        return async (s) => {
          const old = this.#id;
          if (old === undefined) return;
          const id = newId();
          if (this.#unwritten || !(await s.regenerate(old, id))) return this.#create();
          // From here only the new id holds the session: should the cookie no longer be sendable
          // (headers sent meanwhile), the promise rejects and the browser is logged out, never
          // left on the old id. Do not complete a log-in then.
          this.#sendCookie(id);
          this.#id = this.#cookieId = id;
        };
      }),
      callback,
    );
  }

  /**
   * Re-sends the cookie as a browser-session cookie; the stored expiry is unchanged. On a handle
   * that failed to read the request it does nothing (the promise / callback methods report why).
   */
  expire(): void {
    this.#sessionOnly = true;
    if (this.#cookieId === undefined || this.#failure) return;
    this.#sendCookie(this.#cookieId);
  }

  /** Runs the synchronous part now (checks, cookie), then the store work after this handle's earlier calls. */
  #start<T>(prepare: () => (s: SessionStore) => Promise<T>): Promise<T> {
    let run: (s: SessionStore) => Promise<T>;
    let s: SessionStore;
    try {
      if (this.#failure) throw this.#failure;
      s = requireStore();
      run = prepare();
    } catch (error) {
      return Promise.reject(error);
    }
    const next = this.#queue.then(() => run(s));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** A new id, named in the cookie now. */
  #newCookie(): string {
    const id = newId();
    this.#sendCookie(id);
    this.#cookieId = id;
    return id;
  }

  /** A new session while the store work runs (the one read is gone). */
  #create(): void {
    [this.#id, this.#unwritten] = [this.#newCookie(), true];
  }

  #clearCookie(): void {
    this.#sendCookie(null);
    this.#cookieId = undefined;
  }

  #checkHeaders(): void {
    if (this.#res.headersSent) {
      throw new SessionUsageError(
        StandaloneErrorCode.HeadersSent,
        'The session cookie must be set, but the response headers were already sent; call session methods before writing the response.',
      );
    }
  }

  #sendCookie(value: string | null): void {
    this.#checkHeaders();
    const o = this.#options;
    const lifetime = o.expires ?? store?.options.ttlMs ?? DEFAULTS.ttlMs;
    const persistent = value !== null && !this.#sessionOnly && lifetime > 0;
    this.#cookies.set(this.#name, value, {
      path: o.path ?? '/',
      ...(o.domain !== undefined ? { domain: o.domain } : {}),
      ...(o.secure !== undefined ? { secure: o.secure } : {}),
      httpOnly: o.httpOnly ?? true,
      sameSite: o.sameSite ?? 'lax',
      overwrite: true,
      ...(persistent ? { maxAge: lifetime } : {}),
    });
  }
}

export interface MongoSessFunction {
  (req: IncomingMessage, res: ServerResponse, options?: SessionOptions): Session;
  new (req: IncomingMessage, res: ServerResponse, options?: SessionOptions): Session;
  connect: typeof connect;
  close: typeof close;
  disconnect: typeof close;
  listByOwner: typeof listByOwner;
  countByOwner: typeof countByOwner;
  destroyByOwner: typeof destroyByOwner;
  /** The process-wide store once connected (for events: connect, disconnect, error, warning). */
  readonly store: SessionStore | undefined;
  Session: typeof Session;
  SessionUsageError: typeof SessionUsageError;
  StandaloneErrorCode: typeof StandaloneErrorCode;
  MongoSess: MongoSessFunction;
  default: MongoSessFunction;
}

/** `MongoSess(req, res, options)`, with or without `new`. */
export const MongoSess = function MongoSess(req: IncomingMessage, res: ServerResponse, options?: SessionOptions): Session {
  return new Session(req, res, options);
} as unknown as MongoSessFunction;

Object.defineProperty(MongoSess, 'store', { get: () => store, enumerable: true });
Object.assign(MongoSess, {
  connect,
  close,
  disconnect: close,
  listByOwner,
  countByOwner,
  destroyByOwner,
  Session,
  SessionUsageError,
  StandaloneErrorCode,
  MongoSess,
  default: MongoSess,
});

export { connect, close, close as disconnect, listByOwner, countByOwner, destroyByOwner };
export type { Callback, SessionData, StoredSession };
export default MongoSess;

// The core's error tree, warning codes and helpers, from every adapter (CommonJS too).
export * from '@mongo-session/core/adapter-exports';
