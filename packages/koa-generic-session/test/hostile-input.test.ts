/**
 * Hostile and broken input through the koa-generic-session store (issue 9,
 * part 1): the shared corpus through get / set / destroy, and forged cookie
 * values over HTTP. The app does not sign its cookie, so every forged value
 * reaches the store (as `koa:sess:<value>`).
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import session from 'koa-generic-session';
import { MongoClient } from 'mongodb';
import MongoDBStore from '@mongo-session/koa-generic-session';
import { CookieClient, closeServer, listen, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  type AdapterUnderTest,
  FORGED_COOKIE_VALUES,
  afterEachCase,
  registerCorpusCases,
} from '@mongo-session/test-utils/hostile-corpus';

const uri = testUri(uniqueDatabaseName('kgs_hostile'));
const raw = new MongoClient(uri);
const store = new MongoDBStore({ uri, collection: 'hostile', autoRemove: 'interval' });
const events: { event: string; payload: unknown[] }[] = [];
for (const event of ['warning', 'error', 'create', 'update', 'touch', 'destroy'] as const) {
  store.on(event, (...payload: unknown[]) => events.push({ event, payload }));
}
const failures = trackProcessFailures();

const adapter: AdapterUnderTest = {
  name: 'koa-generic-session store',
  get: (id) => store.get(id as string),
  set: (id, body) => store.set(id as string, body as never, 86_400_000),
  destroy: (id) => store.destroy(id as string),
  // A cookie value the store cannot take as an id reads as no session: koa-generic-session starts a new one.
  invalidIdOnGet: 'null',
  invalidIdOnDestroy: 'reject',
  insertRaw: async (document) =>
    void (await raw
      .db()
      .collection('hostile')
      .insertOne(document as never)),
  events,
};

const server = (() => {
  const app = new Koa();
  app.keys = ['a koa secret'];
  app.on('error', () => undefined);
  app.use(session({ store, cookie: { signed: false } } as unknown as Parameters<typeof session>[0]) as Koa.Middleware);
  app.use(async (c) => {
    const url = new URL(c.url, 'http://app');
    const s = c.session as unknown as Record<string, unknown>;
    if (url.pathname === '/set') for (const [k, v] of url.searchParams) s[k] = v;
    const { cookie: _cookie, ...data } = s;
    c.body = data;
  });
  return createServer(app.callback());
})();
let sentinel: CookieClient;
let baseUrl = '';

beforeAll(async () => {
  await store.set('sentinel', { sentinel: 'alive' }, 86_400_000);
  baseUrl = await listen(server);
  sentinel = new CookieClient(baseUrl);
  await sentinel.get('/set?sentinel=http');
});

afterEachCase(
  { beforeEach, afterEach },
  {
    events,
    failures,
    stillWorking: async () => {
      expect(await adapter.get('sentinel')).toMatchObject({ sentinel: 'alive' });
      expect((await sentinel.get('/get')).json()).toEqual({ sentinel: 'http' });
    },
  },
);

afterAll(async () => {
  failures.stop();
  await closeServer(server);
  await store.close();
  await raw.db().dropDatabase();
  await raw.close();
});

describe('store API (as koa-generic-session calls it)', () => registerCorpusCases(it, adapter));

it('forged and odd cookie values reach the store: a new session, also for ids the core refuses; no crash', async () => {
  const statuses: Record<number, number> = {};
  for (const value of FORGED_COOKIE_VALUES) {
    const res = await new CookieClient(baseUrl).get('/get', { cookie: `koa.sid=${value}` });
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    // An id over 1024 characters (with its "koa:sess:" prefix) is refused by the core before
    // any query; the adapter reads it as no session, so koa-generic-session starts a new one.
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({});
  }
  console.log(`koa-generic-session: ${FORGED_COOKIE_VALUES.length} forged cookie values -> statuses ${JSON.stringify(statuses)}`);
});
