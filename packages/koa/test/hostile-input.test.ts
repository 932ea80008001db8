/**
 * Hostile and broken input through the koa-session store (issue 9, part 1):
 * the shared corpus through get / set / destroy as koa-session calls them, and
 * forged cookie values over HTTP. The app does not sign its cookie, so every
 * forged value reaches the store as a session id.
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import { createSession } from 'koa-session';
import { MongoClient } from 'mongodb';
import { createStore } from '@mongo-session/koa';
import { CookieClient, closeServer, listen, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  type AdapterUnderTest,
  FORGED_COOKIE_VALUES,
  afterEachCase,
  registerCorpusCases,
} from '@mongo-session/test-utils/hostile-corpus';

const uri = testUri(uniqueDatabaseName('koa_hostile'));
const raw = new MongoClient(uri);
const store = createStore({ uri, collection: 'hostile', autoRemove: 'interval' });
const events: { event: string; payload: unknown[] }[] = [];
for (const event of ['warning', 'error', 'create', 'update', 'touch', 'destroy'] as const) {
  store.on(event, (...payload: unknown[]) => events.push({ event, payload }));
}
const failures = trackProcessFailures();
const ctx = () => ({ ctx: {} });

const adapter: AdapterUnderTest = {
  name: 'koa-session store',
  get: (id) => store.get(id as string, 86_400_000, ctx()),
  set: (id, body) => store.set(id as string, body as never, 86_400_000, { ...ctx(), changed: true }),
  destroy: (id) => store.destroy(id as string, ctx()),
  // A cookie value the store cannot take as an id reads as a new session (documented by the adapter).
  invalidIdOnGet: 'null',
  invalidIdOnDestroy: 'resolve',
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
  app.silent = true;
  app.use(createSession({ store, signed: false }, app));
  app.use(async (c) => {
    const url = new URL(c.url, 'http://app');
    const s = c.session as unknown as Record<string, unknown> & { toJSON(): Record<string, unknown> };
    if (url.pathname === '/set') for (const [k, v] of url.searchParams) s[k] = v;
    c.body = s.toJSON();
  });
  return createServer(app.callback());
})();
let sentinel: CookieClient;
let baseUrl = '';

beforeAll(async () => {
  await store.set('sentinel', { sentinel: 'alive' }, 86_400_000, {});
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

describe('store API (as koa-session calls it)', () => registerCorpusCases(it, adapter));

it('forged and odd cookie values reach the store as ids: a new, empty session every time', async () => {
  const statuses: Record<number, number> = {};
  for (const value of FORGED_COOKIE_VALUES) {
    const res = await new CookieClient(baseUrl).get('/get', { cookie: `koa.sess=${value}` });
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({});
  }
  console.log(`koa-session: ${FORGED_COOKIE_VALUES.length} forged cookie values -> statuses ${JSON.stringify(statuses)}`);
});
