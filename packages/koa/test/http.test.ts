/**
 * koa-session 7 with our store, in real Koa 3 and Koa 2 apps over real HTTP
 * (a cookie jar), against the test server.
 */
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import { createSession, type CreateSessionOptions } from 'koa-session';
import { MongoClient } from 'mongodb';
import { createStore, type KoaSessionStore, type KoaStoreOptions } from '@mongo-session/koa';
import {
  closeServer,
  CookieClient,
  listen,
  MongoProxy,
  testUri,
  trackProcessFailures,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Koa2 = require('koa2') as typeof Koa;

const database = uniqueDatabaseName('koa_http');
const uri = testUri(database);
const raw = new MongoClient(uri);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SECOND = 1000;

type Body = Record<string, unknown>;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await raw.db().dropDatabase();
  await raw.close();
});

/** A koa-session app: /set?k=v sets keys, /destroy sets ctx.session = null, anything else reads. */
async function startApp(KoaClass: typeof Koa, store: KoaSessionStore, options: Omit<CreateSessionOptions, 'store'> = {}) {
  const app = new KoaClass();
  app.keys = ['first secret', 'second secret'];
  app.silent = true;
  // no cast: the store must type-check as koa-session's `store` option
  const sessionOptions: CreateSessionOptions = { store, ...options };
  app.use(createSession(sessionOptions, app));
  app.use(async (ctx: any) => {
    const url = new URL(ctx.url, 'http://app');
    if (url.pathname === '/destroy') {
      ctx.session = null;
      ctx.body = { destroyed: true };
      return;
    }
    if (url.pathname === '/set') for (const [k, v] of url.searchParams) ctx.session[k] = v;
    ctx.body = { ...ctx.session.toJSON() };
  });
  const server: Server = createServer(app.callback());
  const base = await listen(server);
  cleanups.push(() => closeServer(server));
  return new CookieClient(base);
}

function openStore(options: Partial<KoaStoreOptions> & { collection: string }): KoaSessionStore {
  const store = createStore({ uri, autoRemove: 'interval', ...options });
  cleanups.push(() => store.close());
  return store;
}

async function openProxiedStore(collection: string, options: Partial<KoaStoreOptions> = {}) {
  const proxy = await MongoProxy.fromUri(uri);
  const store = createStore({
    uri: proxy.uri(database),
    collection,
    autoRemove: 'interval',
    connectionOptions: { serverSelectionTimeoutMS: 1000 },
    ...options,
  });
  cleanups.push(() => proxy.close());
  cleanups.push(() => store.close());
  return { proxy, store };
}

const doc = (collection: string, id: string) =>
  raw.db().collection<{ _id: string; session: Body; expires: Date }>(collection).findOne({ _id: id });

describe.each([
  ['Koa 3', Koa, 'k3'],
  ['Koa 2', Koa2, 'k2'],
] as const)('%s + koa-session 7', (_label, KoaClass, tag) => {
  it('persists a session, reads it back and stores changes', async () => {
    const collection = `${tag}_persist`;
    const client = await startApp(KoaClass, openStore({ collection }), { maxAge: 60 * SECOND });
    const first = await client.get('/set?name=ada');
    expect(first.status).toBe(200);
    const key = await client.cookie('koa.sess');
    expect(key).toEqual(expect.any(String));
    const stored = await doc(collection, key!);
    expect(stored!.session).toMatchObject({ name: 'ada', _maxAge: 60 * SECOND });
    // the document outlives the cookie by koa-session's 10 s
    const lifetime = stored!.expires.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(60 * SECOND);
    expect(lifetime).toBeLessThanOrEqual(70 * SECOND + 1000);

    expect((await client.get('/')).json()).toEqual({ name: 'ada' });
    await client.get('/set?name=bob&lang=en');
    expect((await client.get('/')).json()).toEqual({ name: 'bob', lang: 'en' });
    expect((await doc(collection, key!))!.session).toMatchObject({ name: 'bob', lang: 'en' });
    expect(await client.cookie('koa.sess')).toBe(key);
  });

  it('ctx.session = null destroys the document', async () => {
    const collection = `${tag}_destroy`;
    const client = await startApp(KoaClass, openStore({ collection }));
    await client.get('/set?name=ada');
    const key = await client.cookie('koa.sess');
    expect(await doc(collection, key!)).not.toBeNull();
    expect((await client.get('/destroy')).json()).toEqual({ destroyed: true });
    expect(await doc(collection, key!)).toBeNull();
    expect((await client.get('/')).json()).toEqual({});
  });

  it('a session is gone after maxAge, even if the old cookie is sent again', async () => {
    const collection = `${tag}_expiry`;
    const client = await startApp(KoaClass, openStore({ collection }), { maxAge: 1000 });
    await client.get('/set?name=ada');
    const key = (await client.cookie('koa.sess'))!;
    const sig = (await client.cookie('koa.sess.sig'))!;
    expect((await client.get('/')).json()).toEqual({ name: 'ada' });
    await sleep(2000);
    // the browser would have dropped the cookie; a client replaying it gets a new session
    await client.setCookie('koa.sess', key);
    await client.setCookie('koa.sess.sig', sig);
    expect((await client.get('/')).json()).toEqual({});
  });

  it('rolling: true keeps an active session alive past maxAge while writing lazily', async () => {
    const { proxy, store } = await openProxiedStore(`${tag}_rolling`);
    const client = await startApp(KoaClass, store, { maxAge: 3000, rolling: true });
    await client.get('/set?name=ada');
    proxy.resetCounts();
    const requests = 12;
    for (let i = 0; i < requests; i++) {
      await sleep(500);
      const response = await client.get('/');
      expect(response.json()).toEqual({ name: 'ada' }); // alive well past maxAge (3 s)
    }
    const writes = proxy.count('update', 'insert', 'delete');
    // a touch is written only once half the cookie's lifetime has gone: about every 1.5-2 s
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(writes).toBeLessThanOrEqual(requests / 2);
    expect(proxy.count('find')).toBeGreaterThanOrEqual(requests);
  });

  it('renew: rewrites only when the session nears its end, and keeps it alive', async () => {
    const { proxy, store } = await openProxiedStore(`${tag}_renew`);
    const client = await startApp(KoaClass, store, { maxAge: 4000, renew: true });
    const started = Date.now();
    await client.get('/set?name=ada');
    proxy.resetCounts();
    await client.get('/');
    expect(proxy.count('update')).toBe(0); // 4 s left of 4: nothing to renew
    await sleep(started + 2600 - Date.now());
    const renewed = await client.get('/'); // under half of maxAge left: renewed
    expect(renewed.json()).toEqual({ name: 'ada' });
    expect(renewed.setCookies.some((line) => line.startsWith('koa.sess='))).toBe(true);
    expect(proxy.count('update')).toBe(1);
    await sleep(started + 5000 - Date.now());
    expect((await client.get('/')).json()).toEqual({ name: 'ada' }); // past the first 4 s
  });

  it("maxAge: 'session' gives a session cookie and a bounded server-side lifetime", async () => {
    const collection = `${tag}_session_cookie`;
    const store = openStore({ collection, sessionCookieTtlMs: 120 * SECOND });
    const client = await startApp(KoaClass, store, { maxAge: 'session' });
    const response = await client.get('/set?name=ada');
    const line = response.setCookies.find((l) => l.startsWith('koa.sess='))!;
    expect(line).toBeDefined();
    expect(line.toLowerCase()).not.toContain('expires=');
    const stored = await doc(collection, (await client.cookie('koa.sess'))!);
    expect(stored!.session).toMatchObject({ name: 'ada', _session: true });
    const lifetime = stored!.expires.getTime() - Date.now();
    expect(lifetime).toBeGreaterThan(100 * SECOND);
    expect(lifetime).toBeLessThanOrEqual(120 * SECOND);
    expect((await client.get('/')).json()).toEqual({ name: 'ada' });
  });

  it('signed cookies: a tampered id or signature starts a new session and leaves the real one alone', async () => {
    const collection = `${tag}_signed`;
    const client = await startApp(KoaClass, openStore({ collection }));
    await client.get('/set?name=ada');
    const key = (await client.cookie('koa.sess'))!;
    expect(await client.cookie('koa.sess.sig')).toEqual(expect.any(String));

    // another real session's id under this signature: rejected
    const other = await startApp(KoaClass, openStore({ collection }));
    await other.get('/set?name=eve');
    const otherKey = (await other.cookie('koa.sess'))!;
    await client.setCookie('koa.sess', otherKey);
    expect((await client.get('/')).json()).toEqual({});

    const forged = new CookieClient(client.baseUrl);
    await forged.setCookie('koa.sess', key);
    await forged.setCookie('koa.sess.sig', 'not-the-signature');
    expect((await forged.get('/')).json()).toEqual({});
    await forged.get('/set?name=mallory');
    expect(await forged.cookie('koa.sess')).not.toBe(key);

    expect((await doc(collection, key))!.session).toMatchObject({ name: 'ada' });
    expect((await doc(collection, otherKey))!.session).toMatchObject({ name: 'eve' });
  });

  it('50 overlapping requests setting distinct keys: all 50 are kept', async () => {
    const collection = `${tag}_overlap`;
    const client = await startApp(KoaClass, openStore({ collection }));
    await client.get('/set?base=yes');
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => client.get(`/set?k${i}=${i}`)));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const body = (await client.get('/')).json<Body>();
    const expected: Body = { base: 'yes' };
    for (let i = 0; i < 50; i++) expected[`k${i}`] = String(i);
    expect(body).toEqual(expected);
  });
});

describe('outage', () => {
  it('server unreachable, then back: errors answered as 500, no crash, recovery without restart', async () => {
    const failures = trackProcessFailures();
    try {
      const { proxy, store } = await openProxiedStore('outage');
      const client = await startApp(Koa, store);
      await client.get('/set?name=ada');

      proxy.refuse();
      proxy.dropAll();
      const during = await client.get('/');
      expect(during.status).toBe(500);
      expect(during.text).not.toContain('ada');
      expect((await client.get('/set?x=1')).status).toBe(500);

      proxy.accept();
      let after = await client.get('/');
      for (let i = 0; i < 30 && after.status !== 200; i++) {
        await sleep(500);
        after = await client.get('/');
      }
      expect(after.status).toBe(200);
      expect(after.json()).toEqual({ name: 'ada' });
      await client.get('/set?back=yes');
      expect((await client.get('/')).json()).toEqual({ name: 'ada', back: 'yes' });
      await sleep(200);
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
    }
  });
});
