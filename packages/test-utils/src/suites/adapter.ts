/**
 * The adapter descriptor: everything the shared suites need to know about one adapter, and the
 * contract for adding one. An adapter's `test/shared-suites.test.ts` builds one descriptor and
 * makes one call, `runSharedSuites(descriptor)`, which registers every shared suite that applies
 * to its contract (see ./index.ts). Tests of what only that adapter does stay in its own files.
 *
 * A descriptor supplies three things, in the framework's own terms:
 *   - `makeStore`: the adapter's store object on a collection the suite names;
 *   - `serve`: the framework over that store, on a real HTTP server, answering a route the suite
 *     provides through a small view of the request's session ({@link RouteSession});
 *   - the framework's cookies, and how a session id is read from them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExpressStoreLike } from '../conformance/express-session';
import type { GenericSessionStoreLike } from '../conformance/koa-generic-session';
import type { SessionLayerLike } from '../conformance/koa-session-store';
import type { KoaSessionStoreLike } from '../conformance/koa-session';
import type { OwnerStoreLike } from '../conformance/owners';
import type { SessionHandleLike } from '../conformance/standalone';

/** The store contracts we have suites for: what the framework calls on a store. */
export type Contract = 'express-session' | 'koa-session' | 'koa-generic-session' | 'koa-session-store' | 'standalone';

/** The standalone package is its own framework: a process-wide store and a handle per request. */
export interface StandaloneStoreLike {
  session(req: IncomingMessage, res: ServerResponse, options: { keys?: string[] }): SessionHandleLike;
}

/** The API each contract's framework calls on a store. */
export interface ContractApis {
  'express-session': ExpressStoreLike;
  'koa-session': KoaSessionStoreLike;
  'koa-generic-session': GenericSessionStoreLike;
  'koa-session-store': SessionLayerLike;
  standalone: StandaloneStoreLike;
}

/** What every adapter's store object has besides its framework's API: the core's events, close and the owner methods. */
export interface AdapterStoreBase extends OwnerStoreLike {
  on(event: string, listener: (...payload: any[]) => void): unknown;
  close(): Promise<unknown>;
}

export type StoreOf<C extends Contract> = ContractApis[C] & AdapterStoreBase;

/** Options the suites pass to `makeStore`: core option names, which every adapter accepts as they are. */
export interface SharedStoreOptions {
  uri: string;
  collection: string;
  autoRemove: 'interval';
  /**
   * The session lifetime, for a contract whose framework passes none (koa-session-store): map it
   * to the adapter's own option. Set only by that contract's suite.
   */
  lifetimeMs?: number;
  /** Security options (`crypto`, `hashSessionIds`, `owner`), and deliberately bad values of them. */
  [option: string]: unknown;
}

/** One request's session, as the shared routes use it; every method may return a promise (awaited) or not. */
export interface RouteSession {
  /** The session's data keys, without the framework's bookkeeping (`cookie`, `_expire`, `_id`...); `{}` when there is none. */
  read(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Sets keys; the framework saves them as it always does. */
  set(values: Record<string, unknown>): unknown;
  del(keys: readonly string[]): unknown;
  /** Ends the session the framework's way (`req.session.destroy()`, `ctx.session = null`, `session.end()`). */
  destroy(): unknown;
}

/** The response the route asks for; `serve` writes it as it is. */
export interface Reply {
  status: number;
  contentType: 'application/json' | 'text/plain';
  body: string;
}

/** The suites' routes (./routes.ts): `serve` calls it once per request, after the framework loaded the session. */
export type SharedRoute = (url: URL, session: RouteSession) => Promise<Reply>;

export interface RunningApp {
  baseUrl: string;
  /** Stops the server (not the store). */
  close(): Promise<void>;
}

interface DescriptorBase<C extends Contract> {
  /** The package under test, as test names show it: `@mongo-session/express`. */
  readonly name: string;
  readonly contract: C;
  /**
   * The adapter's store, built from core options (pass them through; map `lifetimeMs` where it
   * applies). May throw or reject: the suites check that bad security options are refused.
   */
  makeStore(options: SharedStoreOptions): StoreOf<C> | Promise<StoreOf<C>>;
  /**
   * Starts the framework over `store` on 127.0.0.1 and answers every request with `route`.
   * `signed: false` asks for unsigned cookies where the framework can do without signing, so
   * forged values reach the store (express-session always signs). Framework errors stay quiet.
   */
  serve(store: StoreOf<C>, route: SharedRoute, options: { signed: boolean }): Promise<RunningApp>;
  /** The cookies one session sets, the session cookie first: `['koa.sess', 'koa.sess.sig']`. */
  readonly cookies: readonly string[];
  /** The session id in the session cookie's value as the jar holds it (express: `s%3A<id>.<signature>`); default: the value. */
  sessionIdOf?(cookieValue: string): string;
  /** The id the framework calls the store with for a session id (koa-generic-session: `koa:sess:<id>`); default: the same. */
  storeIdOf?(sessionId: string): string;
}

/** Contract-specific parts: the framework's own memory store, where it has one, proves the conformance suite. */
interface ContractFields {
  'express-session': { memoryStore(): ExpressStoreLike };
  'koa-session': object;
  'koa-generic-session': { memoryStore(): GenericSessionStoreLike };
  'koa-session-store': object;
  standalone: object;
}

/** One adapter, as the shared suites see it. */
export type AdapterDescriptor = { [C in Contract]: DescriptorBase<C> & ContractFields[C] }[Contract];
export type DescriptorOf<C extends Contract> = Extract<AdapterDescriptor, { contract: C }>;
