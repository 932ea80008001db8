/**
 * Hostile and broken input through the express adapter (issue 9, part 1): the
 * shared corpus through the store API as express-session calls it (callbacks),
 * and forged cookie values over HTTP through a real express 5 app.
 */
import { MongoClient } from 'mongodb';
import { MongoStore } from '@mongo-session/express';
import { CookieClient, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  type AdapterUnderTest,
  CANARY,
  FORGED_COOKIE_VALUES,
  afterEachCase,
  registerCorpusCases,
} from '@mongo-session/test-utils/hostile-corpus';
import { type RunningApp, startApp } from './apps';

const uri = testUri(uniqueDatabaseName('express_hostile'));
const raw = new MongoClient(uri);
const store = new MongoStore({ uri, collection: 'hostile', autoRemove: 'interval' });
const events: { event: string; payload: unknown[] }[] = [];
for (const event of ['warning', 'error', 'create', 'update', 'touch', 'destroy'] as const) {
  store.on(event, (...payload: unknown[]) => events.push({ event, payload }));
}
const failures = trackProcessFailures();

/** express-session's calling convention: callbacks. */
const viaCallback = <T>(call: (cb: (error: unknown, result?: T) => void) => unknown) =>
  new Promise<T | undefined>((resolve, reject) => void call((error, result) => (error ? reject(error) : resolve(result))));

const adapter: AdapterUnderTest = {
  name: 'express MongoStore',
  get: (id) => viaCallback((cb) => store.get(id as string, cb)),
  set: (id, body) => viaCallback<void>((cb) => store.set(id as string, body as never, cb)),
  destroy: (id) => viaCallback<void>((cb) => store.destroy(id as string, cb)),
  invalidIdOnGet: 'reject',
  invalidIdOnDestroy: 'reject',
  insertRaw: async (document) =>
    void (await raw
      .db()
      .collection('hostile')
      .insertOne(document as never)),
  events,
};

let app: RunningApp;
let sentinel: CookieClient;

beforeAll(async () => {
  await viaCallback<void>((cb) => store.set('sentinel', { sentinel: 'alive', cookie: { maxAge: 3_600_000 } } as never, cb));
  app = await startApp('express5', { store, cookie: { maxAge: 3_600_000 } });
  sentinel = new CookieClient(app.baseUrl);
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
  await app.close();
  await store.close();
  await raw.db().dropDatabase();
  await raw.close();
});

describe('store API (callbacks)', () => registerCorpusCases(it, adapter));

describe('over HTTP', () => {
  it('forged and odd cookie values: a new, empty session every time; never an error page', async () => {
    const statuses: Record<number, number> = {};
    for (const value of FORGED_COOKIE_VALUES) {
      const client = new CookieClient(app.baseUrl);
      const res = await client.get('/get', { cookie: `connect.sid=${value}` });
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      expect(res.status).toBe(200);
      expect(res.json()).toEqual({});
    }
    console.log(`express: ${FORGED_COOKIE_VALUES.length} forged cookie values -> statuses ${JSON.stringify(statuses)}`);
  });

  it('hostile keys set over HTTP are stored as given, without pollution', async () => {
    const client = new CookieClient(app.baseUrl);
    const res = await client.get(`/set?__proto__=${CANARY}&constructor=x&%24where=1&a.b=2`);
    expect(res.status).toBe(200);
    const read = (await client.get('/get')).json<Record<string, unknown>>();
    // express-session itself skips keys a Session inherits (constructor) when it rebuilds one.
    expect(read).toMatchObject({ $where: '1', 'a.b': '2' });
    expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
  });
});
