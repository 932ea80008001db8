/**
 * The conformance suite for express-session's Store contract, in two parts:
 *
 * - `expressSessionContractChecks`: what express-session (and connect,
 *   @fastify/session) require of any store. express-session's own MemoryStore
 *   passes them, which proves the suite asks nothing the framework does not.
 * - `expressSessionGuaranteeChecks`: what @mongo-session stores promise on
 *   top: no lost updates between overlapping requests, no resurrection after
 *   destroy, expiry from `cookie.maxAge`, errors through the callback.
 *
 * Checks drive the store the way the framework does: callbacks, session
 * objects with a `cookie`, and `load` (express-session's Store#load, which
 * builds the request's Session through `createSession`).
 */
import { strict as assert } from 'node:assert';
import type { Check } from './core';

type Cb<T = unknown> = (error?: Error | null, result?: T) => void;
export type SessionLike = Record<string, any> & {
  cookie: { expires?: Date | string | null; originalMaxAge?: number | null; maxAge?: number | null; [key: string]: unknown };
};
/** A saved Session as express-session's Store#load returns it. */
export type LoadedSessionLike = SessionLike & { save(cb: Cb): unknown };

/** The callback API express-session calls, with Store#load from its base class. */
export interface ExpressStoreLike {
  get(sid: string, cb: Cb<SessionLike | null | undefined>): unknown;
  set(sid: string, session: SessionLike, cb?: Cb): unknown;
  destroy(sid: string, cb?: Cb): unknown;
  touch(sid: string, session: SessionLike, cb?: Cb): unknown;
  all(cb: Cb<Record<string, SessionLike> | SessionLike[]>): unknown;
  length(cb: Cb<number>): unknown;
  clear(cb?: Cb): unknown;
  load(sid: string, cb: Cb<LoadedSessionLike | undefined>): unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;
const newId = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** A store method threw instead of calling back: express-session would crash the request with it. */
class ThrewSynchronously extends Error {}

/** Calls a callback-style method; rejects if the callback runs twice, or (as ThrewSynchronously) if it throws. */
function call<T>(store: ExpressStoreLike, method: keyof ExpressStoreLike, ...args: unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let calls = 0;
    try {
      (store[method] as (...a: unknown[]) => unknown).call(store, ...args, (error?: Error | null, result?: T) => {
        calls++;
        if (calls > 1) return reject(new Error(`${String(method)} called its callback twice`));
        if (error) reject(error);
        else resolve(result as T);
      });
    } catch (error) {
      reject(new ThrewSynchronously(`${String(method)} threw instead of calling back`, { cause: error }));
    }
  });
}

/** A session body as express-session hands it over: a cookie with an absolute expiry. */
function sessionWith(data: Record<string, unknown>, maxAgeMs = 60_000): SessionLike {
  return { cookie: { originalMaxAge: maxAgeMs, expires: new Date(Date.now() + maxAgeMs), httpOnly: true, path: '/' }, ...data };
}

function dataOf(session: SessionLike | null | undefined): Record<string, unknown> | null {
  if (!session) return null;
  const { cookie: _cookie, ...rest } = session;
  return { ...rest };
}

const expiryMs = (session: SessionLike) => new Date(session.cookie.expires as Date | string).getTime();

export const expressSessionContractChecks: readonly Check<ExpressStoreLike>[] = [
  {
    name: 'get of an unknown id calls back with no session and no error',
    async run(store) {
      assert.equal((await call(store, 'get', newId('missing'))) ?? null, null);
    },
  },
  {
    name: 'set then get returns the data and the cookie',
    async run(store) {
      const id = newId('roundtrip');
      const body = sessionWith({ user: 'ada', visits: 3, nested: { list: [1, 'two'] } });
      await call(store, 'set', id, body);
      const got = await call<SessionLike>(store, 'get', id);
      assert.deepEqual(dataOf(got), dataOf(body));
      assert.equal(got.cookie.originalMaxAge, body.cookie.originalMaxAge);
      assert.equal(expiryMs(got), expiryMs(body));
    },
  },
  {
    name: 'callbacks are called later, never synchronously',
    async run(store) {
      const id = newId('async');
      let returned = false;
      await new Promise<void>((resolve, reject) => {
        store.set(id, sessionWith({ a: 1 }), () => (returned ? resolve() : reject(new Error('set called back synchronously'))));
        returned = true;
      });
    },
  },
  {
    name: 'a later set replaces the data',
    async run(store) {
      const id = newId('replace');
      await call(store, 'set', id, sessionWith({ a: 1, b: 2 }));
      await call(store, 'set', id, sessionWith({ a: 5 }));
      assert.deepEqual(dataOf(await call(store, 'get', id)), { a: 5 });
    },
  },
  {
    name: 'destroy removes the session, with or without a callback',
    async run(store) {
      const id = newId('destroy');
      await call(store, 'set', id, sessionWith({ a: 1 }));
      await call(store, 'destroy', id);
      assert.equal((await call(store, 'get', id)) ?? null, null);
      const other = newId('destroy-nocb');
      await call(store, 'set', other, sessionWith({ b: 1 }));
      store.destroy(other);
      for (let i = 0; i < 50 && ((await call(store, 'get', other)) ?? null) !== null; i++) await sleep(20);
      assert.equal((await call(store, 'get', other)) ?? null, null);
      await call(store, 'destroy', newId('never-stored'));
    },
  },
  {
    name: 'a session whose cookie has expired is not returned',
    async run(store) {
      const id = newId('expire');
      await call(store, 'set', id, sessionWith({ a: 1 }, 400));
      assert.deepEqual(dataOf(await call(store, 'get', id)), { a: 1 });
      await sleep(700);
      assert.equal((await call(store, 'get', id)) ?? null, null);
    },
  },
  {
    name: 'touch with a later cookie expiry keeps the session alive',
    async run(store) {
      const id = newId('touch');
      await call(store, 'set', id, sessionWith({ a: 1 }, 500));
      await call(store, 'touch', id, sessionWith({ a: 1 }, 60_000));
      await sleep(800);
      assert.deepEqual(dataOf(await call(store, 'get', id)), { a: 1 });
    },
  },
  {
    name: 'all (keyed by id), length and clear',
    async run(store) {
      await call(store, 'clear');
      const ids = [newId('all'), newId('all')];
      for (const id of ids) await call(store, 'set', id, sessionWith({ id }));
      const all = await call<Record<string, SessionLike>>(store, 'all');
      assert.deepEqual(Object.keys(all).sort(), [...ids].sort());
      for (const id of ids) assert.deepEqual(dataOf(all[id]), { id });
      assert.equal(await call(store, 'length'), 2);
      await call(store, 'clear');
      assert.equal(await call(store, 'length'), 0);
    },
  },
  {
    name: 'load builds a Session whose save() persists changes',
    async run(store) {
      const id = newId('load');
      await call(store, 'set', id, sessionWith({ a: 1 }));
      const session = await call<LoadedSessionLike>(store, 'load', id);
      assert.equal(session.a, 1);
      assert.ok(session.cookie.expires instanceof Date, 'the cookie is rebuilt with a Date expiry');
      session['b'] = 2;
      await new Promise<void>((resolve, reject) => session.save((error) => (error ? reject(error) : resolve())));
      assert.deepEqual(dataOf(await call(store, 'get', id)), { a: 1, b: 2 });
    },
  },
];

const save = (session: LoadedSessionLike) =>
  new Promise<void>((resolve, reject) => session.save((error) => (error ? reject(error) : resolve())));

export const expressSessionGuaranteeChecks: readonly Check<ExpressStoreLike>[] = [
  {
    name: 'overlapping requests each setting their own key lose none of them',
    async run(store) {
      const id = newId('overlap');
      await call(store, 'set', id, sessionWith({ start: true }));
      const loaded = await Promise.all(Array.from({ length: 5 }, () => call<LoadedSessionLike>(store, 'load', id)));
      loaded.forEach((session, i) => (session[`k${i}`] = i));
      await Promise.all(loaded.map(save));
      assert.deepEqual(dataOf(await call(store, 'get', id)), { start: true, k0: 0, k1: 1, k2: 2, k3: 3, k4: 4 });
    },
  },
  {
    name: 'a key deleted by one request and untouched by another stays deleted',
    async run(store) {
      const id = newId('delete');
      await call(store, 'set', id, sessionWith({ keep: 1, drop: 1 }));
      const [a, b] = await Promise.all([call<LoadedSessionLike>(store, 'load', id), call<LoadedSessionLike>(store, 'load', id)]);
      delete a['drop'];
      await save(a);
      b['added'] = true;
      await save(b);
      assert.deepEqual(dataOf(await call(store, 'get', id)), { keep: 1, added: true });
    },
  },
  {
    name: 'a save after a concurrent destroy does not bring the session back',
    async run(store) {
      const id = newId('resurrect');
      await call(store, 'set', id, sessionWith({ a: 1 }));
      const session = await call<LoadedSessionLike>(store, 'load', id);
      await call(store, 'destroy', id);
      session['late'] = true;
      await save(session).catch(() => undefined);
      assert.equal((await call(store, 'get', id)) ?? null, null);
    },
  },
  {
    name: 'a cookie with maxAge and no expires sets the lifetime (as @fastify/session may send)',
    async run(store) {
      const id = newId('maxage');
      await call(store, 'set', id, { cookie: { maxAge: 400, originalMaxAge: 400, expires: null }, a: 1 });
      assert.deepEqual(dataOf(await call(store, 'get', id)), { a: 1 });
      await sleep(700);
      assert.equal((await call(store, 'get', id)) ?? null, null);
    },
  },
  {
    name: 'an invalid session id reaches the callback as an error, never a throw',
    async run(store) {
      const error = await call(store, 'get', 42 as unknown as string).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof Error, 'the callback got no error');
      assert.ok(!(error instanceof ThrewSynchronously), (error as Error).message);
    },
  },
];

/**
 * Broken on purpose: destroy does nothing (but calls back). The wrapper
 * inherits everything else from the store, including Store#load.
 */
export function expressWithBrokenDestroy<S extends ExpressStoreLike>(store: S): S {
  return Object.assign(Object.create(store) as S, {
    destroy: (_sid: string, cb?: Cb) => setImmediate(() => cb?.(null)),
  });
}

/** Broken on purpose: the cookie's expiry is ignored (every write lives for a day). */
export function expressWithIgnoredExpiry<S extends ExpressStoreLike>(store: S): S {
  const day = (session: SessionLike): SessionLike => {
    const copy: SessionLike = {
      ...session,
      cookie: { ...session.cookie, expires: new Date(Date.now() + 86_400_000), maxAge: 86_400_000 },
    };
    // A Session object's save() goes through the store's set: keep its methods reachable.
    return Object.setPrototypeOf(copy, Object.getPrototypeOf(session)) as SessionLike;
  };
  return Object.assign(Object.create(store) as S, {
    set: (sid: string, session: SessionLike, cb?: Cb) => store.set(sid, day(session), cb),
    touch: (sid: string, session: SessionLike, cb?: Cb) => store.touch(sid, day(session), cb),
  });
}

/** Broken on purpose: an invalid id throws from `get` instead of reaching the callback. */
export function expressWithThrowingGet<S extends ExpressStoreLike>(store: S): S {
  return Object.assign(Object.create(store) as S, {
    get: (sid: string, cb?: Cb) => {
      if (typeof sid !== 'string') throw new TypeError('session id must be a string');
      return store.get(sid, cb as Parameters<S['get']>[1]);
    },
  });
}

/** Broken on purpose: writes are whole documents from what each request read (the lost update). */
export function expressWithWholeWrites<S extends ExpressStoreLike>(store: S): S {
  return Object.assign(Object.create(store) as S, {
    set: (sid: string, session: SessionLike, cb?: Cb) => store.set(sid, { ...session }, cb),
  });
}
