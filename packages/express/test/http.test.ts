/** The store behind real express 5, express 4, connect 3 and fastify 5 apps, over real HTTP with a cookie jar. */
import { MongoClient } from 'mongodb';
import session from 'express-session';
import connectMongoDBSession, { MongoStore } from '@mongo-session/express';
import { CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { FRAMEWORKS, type RunningApp, sleep, startApp, startFastify } from './apps';

const uri = testUri(uniqueDatabaseName('express_http'));
const raw = new MongoClient(uri);
const stores: MongoStore[] = [];
const apps: RunningApp[] = [];

function openStore(collection: string, extra: Record<string, unknown> = {}): MongoStore {
  // The seed's factory form for one half of the stores, the class for the other.
  const store =
    stores.length % 2 === 0
      ? connectMongoDBSession(session)({ uri, collection, autoRemove: 'interval', ...extra })
      : new MongoStore({ uri, collection, autoRemove: 'interval', ...extra });
  stores.push(store);
  return store;
}

afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(stores.map((s) => s.close()));
  await raw.db().dropDatabase();
  await raw.close();
});

const idOf = async (client: CookieClient) => (await client.get('/id')).json<{ id: string }>().id;

describe.each(FRAMEWORKS)('%s with express-session', (framework) => {
  const store = openStore(`http_${framework}`);
  const docs = () => raw.db().collection<{ _id: string } & Record<string, any>>(`http_${framework}`);
  let app: RunningApp;
  beforeAll(async () => {
    app = await startApp(framework, { store, cookie: { maxAge: 60_000 } });
    apps.push(app);
  });

  it('persists, changes and deletes keys across requests', async () => {
    const client = new CookieClient(app.baseUrl);
    expect((await client.get('/set?a=1&b=2')).json()).toEqual({ a: '1', b: '2' });
    expect((await client.get('/set?a=3')).json()).toEqual({ a: '3', b: '2' });
    expect((await client.get('/del?b')).json()).toEqual({ a: '3' });
    expect((await client.get('/get')).json()).toEqual({ a: '3' });
    const stranger = new CookieClient(app.baseUrl);
    expect((await stranger.get('/get')).json()).toEqual({});
    // Stored in our format: the body nested, expiry from the cookie.
    const doc = await docs().findOne({ _id: await idOf(client) });
    expect(doc).toMatchObject({ v: 1, session: { a: '3' } });
    expect(doc!['expires'].getTime()).toBeGreaterThan(Date.now() + 30_000);
  });

  it('regenerate gives a new id and leaves the old one unusable', async () => {
    const client = new CookieClient(app.baseUrl);
    await client.get('/set?user=ada');
    const oldCookie = (await client.cookie('connect.sid'))!;
    const oldId = await idOf(client);
    const { id: newId } = (await client.get('/regen')).json<{ id: string }>();
    expect(newId).not.toBe(oldId);
    expect((await client.get('/get')).json()).toEqual({ regenerated: true });
    expect(await store.get(oldId)).toBeNull();
    const attacker = new CookieClient(app.baseUrl);
    await attacker.setCookie('connect.sid', oldCookie);
    expect((await attacker.get('/get')).json()).toEqual({});
    expect(await idOf(attacker)).not.toBe(oldId);
  });

  it('destroy removes the session from the store', async () => {
    const client = new CookieClient(app.baseUrl);
    await client.get('/set?x=1');
    const id = await idOf(client);
    expect((await client.get('/destroy')).json()).toEqual({ destroyed: true });
    expect(await store.get(id)).toBeNull();
    expect(await docs().countDocuments({ _id: id })).toBe(0);
    expect((await client.get('/get')).json()).toEqual({});
  });
});

describe('express-session options (express 5)', () => {
  it('saveUninitialized: false stores nothing and sets no cookie for untouched visitors', async () => {
    const store = openStore('uninit');
    const app = await startApp('express5', { store, saveUninitialized: false });
    apps.push(app);
    const visitor = new CookieClient(app.baseUrl);
    const res = await visitor.get('/get');
    expect(res.setCookies).toEqual([]);
    await visitor.get('/get');
    expect(await store.length()).toBe(0);
    await visitor.get('/set?now=yes');
    expect(await store.length()).toBe(1);
    expect((await visitor.get('/get')).json()).toEqual({ now: 'yes' });
  });

  it('rolling: true resends the cookie on every request and keeps the session alive', async () => {
    const store = openStore('rolling', { touchAfterMs: 0 });
    const app = await startApp('express5', { store, rolling: true, cookie: { maxAge: 2500 } });
    apps.push(app);
    const client = new CookieClient(app.baseUrl);
    await client.get('/set?a=1');
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      const res = await client.get('/get');
      expect(res.setCookies.length).toBe(1);
      expect(res.json()).toEqual({ a: '1' });
    }
    // 3 s after creation, beyond the first maxAge: alive only because each request rolled it.
    expect((await client.get('/get')).json()).toEqual({ a: '1' });
  });

  it('rolling: false sends the cookie only when the session is new', async () => {
    const store = openStore('not_rolling');
    const app = await startApp('express5', { store, rolling: false, cookie: { maxAge: 60_000 } });
    apps.push(app);
    const client = new CookieClient(app.baseUrl);
    expect((await client.get('/set?a=1')).setCookies.length).toBe(1);
    expect((await client.get('/get')).setCookies).toEqual([]);
  });

  it.each([true, false])('resave: %s never loses a key written meanwhile by another request', async (resave) => {
    const store = openStore(`resave_${resave}`);
    const app = await startApp('express5', { store, resave, cookie: { maxAge: 60_000 } });
    apps.push(app);
    const a = new CookieClient(app.baseUrl);
    await a.get('/set?start=1');
    const b = new CookieClient(app.baseUrl);
    await b.setCookie('connect.sid', (await a.cookie('connect.sid'))!);
    // a reads the session, then waits; b changes it meanwhile; a then saves (resave) or touches.
    const slow = a.get('/wait?ms=600&key=fromA');
    await sleep(200);
    await b.get('/set?fromB=yes');
    await slow;
    expect((await a.get('/get')).json()).toEqual({ start: '1', fromA: true, fromB: 'yes' });
  });

  it('a short cookie maxAge expires the stored session', async () => {
    const store = openStore('short');
    const app = await startApp('express5', { store, cookie: { maxAge: 1200 } });
    apps.push(app);
    const client = new CookieClient(app.baseUrl);
    await client.get('/set?a=1');
    const id = await idOf(client);
    expect(await store.get(id)).toMatchObject({ a: '1' });
    await sleep(2500);
    expect(await store.get(id)).toBeNull();
    const forged = new CookieClient(app.baseUrl);
    expect((await forged.get('/get')).json()).toEqual({});
  });

  it('without a cookie maxAge the store lifetime applies', async () => {
    const store = openStore('store_ttl', { ttlMs: 1500 });
    const app = await startApp('express5', { store });
    apps.push(app);
    const client = new CookieClient(app.baseUrl);
    await client.get('/set?a=1');
    const id = await idOf(client);
    expect(await store.get(id)).toMatchObject({ a: '1' });
    await sleep(2700);
    expect(await store.get(id)).toBeNull();
  });
});

describe('fastify 5 with @fastify/session (built package, own process)', () => {
  // This process's store reads what the app's store wrote.
  const store = openStore('fastify');
  let app: RunningApp;
  beforeAll(async () => {
    app = await startFastify('fastify', uri, { cookie: { secure: false, maxAge: 60_000 } });
    apps.push(app);
  });

  it('persists and changes keys', async () => {
    const client = new CookieClient(app.baseUrl);
    expect((await client.get('/set?a=1')).json()).toEqual({ a: '1' });
    expect((await client.get('/set?b=2')).json()).toEqual({ a: '1', b: '2' });
    expect((await client.get('/get')).json()).toEqual({ a: '1', b: '2' });
    const id = (await client.get('/id')).json<{ id: string }>().id;
    expect(await store.get(id)).toMatchObject({ a: '1', b: '2' });
  });

  it('regenerate leaves the old id unusable; destroy removes the session', async () => {
    const client = new CookieClient(app.baseUrl);
    await client.get('/set?user=ada');
    const oldId = (await client.get('/id')).json<{ id: string }>().id;
    const newId = (await client.get('/regen')).json<{ id: string }>().id;
    expect(newId).not.toBe(oldId);
    expect(await store.get(oldId)).toBeNull();
    expect((await client.get('/get')).json()).toMatchObject({ regenerated: true });
    await client.get('/destroy');
    expect(await store.get(newId)).toBeNull();
  });

  it('saveUninitialized: false stores nothing for untouched visitors; a short maxAge expires', async () => {
    const lazyStore = openStore('fastify_lazy');
    const lazy = await startFastify('fastify_lazy', uri, { saveUninitialized: false, cookie: { secure: false, maxAge: 1200 } });
    apps.push(lazy);
    const visitor = new CookieClient(lazy.baseUrl);
    await visitor.get('/get');
    expect(await lazyStore.length()).toBe(0);
    await visitor.get('/set?k=v');
    expect(await lazyStore.length()).toBe(1);
    await sleep(2500);
    expect(await lazyStore.length()).toBe(0);
  });
});
