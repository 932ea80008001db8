/** Overlapping requests, MongoDB commands per request, and an outage, through real express 5 apps. */
import { MongoStore } from '@mongo-session/express';
import { CookieClient, MongoProxy, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import { type RunningApp, sleep, startApp } from './apps';

const database = uniqueDatabaseName('express_concurrency');
const uri = testUri(database);
const stores: MongoStore[] = [];
const apps: RunningApp[] = [];
const warnings: string[] = [];
let proxy: MongoProxy;

function open(options: ConstructorParameters<typeof MongoStore>[0]): MongoStore {
  const store = new MongoStore({ autoRemove: 'interval', ...options });
  store.on('warning', (w) => warnings.push(w.code));
  stores.push(store);
  return store;
}

async function app(store: MongoStore, extra: Record<string, unknown> = {}): Promise<RunningApp> {
  const running = await startApp('express5', { store, cookie: { maxAge: 3_600_000 }, ...extra });
  apps.push(running);
  return running;
}

/** A second client presenting the same session cookie. */
async function sameSession(client: CookieClient): Promise<CookieClient> {
  const twin = new CookieClient(client.baseUrl);
  await twin.setCookie('connect.sid', (await client.cookie('connect.sid'))!);
  return twin;
}

beforeAll(async () => {
  proxy = await MongoProxy.fromUri(uri);
});

afterAll(async () => {
  proxy.accept();
  await Promise.all(apps.map((a) => a.close()));
  await Promise.all(stores.map((s) => s.close()));
  await proxy.close();
});

describe('overlapping requests on one session', () => {
  it('50 overlapping requests, each setting its own key, leave 50 keys', async () => {
    const { baseUrl } = await app(open({ uri, collection: 'overlap' }));
    const client = new CookieClient(baseUrl);
    await client.get('/set?start=1');
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => client.get(`/wait?ms=${100 + (i % 5) * 50}&key=k${i}`)),
    );
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const data = (await client.get('/get')).json<Record<string, unknown>>();
    expect(Object.keys(data).filter((k) => k.startsWith('k'))).toHaveLength(50);
    expect(data['start']).toBe('1');
  });

  it('a key deleted by one request and untouched by the others stays deleted', async () => {
    const { baseUrl } = await app(open({ uri, collection: 'delete' }));
    const client = new CookieClient(baseUrl);
    await client.get('/set?doomed=1&kept=1');
    const slow = Array.from({ length: 10 }, (_, i) => client.get(`/wait?ms=500&key=w${i}`));
    await sleep(150);
    const deleter = await sameSession(client);
    expect((await deleter.get('/del?doomed')).json()).toEqual({ kept: '1' });
    await Promise.all(slow);
    const data = (await client.get('/get')).json<Record<string, unknown>>();
    expect(data).not.toHaveProperty('doomed');
    expect(data).toMatchObject({ kept: '1', w0: true, w9: true });
  });

  it('a write racing a destroy does not bring the session back', async () => {
    const store = open({ uri, collection: 'race' });
    const { baseUrl } = await app(store);
    const client = new CookieClient(baseUrl);
    await client.get('/set?a=1');
    const id = (await client.get('/id')).json<{ id: string }>().id;
    const slow = client.get('/wait?ms=600&key=late');
    await sleep(200);
    const destroyer = await sameSession(client);
    await destroyer.get('/destroy');
    await slow;
    expect(await store.get(id)).toBeNull();
    expect(warnings).toContain('WRITE_AFTER_DESTROY');
  });
});

describe('MongoDB commands per request (through the proxy, after warm-up)', () => {
  const EXCLUDED = new Set(['hello', 'ping', 'endSessions', 'createIndexes', 'ismaster', 'isMaster', 'buildInfo', 'buildinfo']);
  const commands = () =>
    Object.entries(proxy.counts())
      .filter(([name]) => !EXCLUDED.has(name))
      .reduce((sum, [, n]) => sum + n, 0);

  it('read-only 1, modifying 2, new session 1 (touchAfterMs: 10 minutes)', async () => {
    const store = open({ uri: proxy.uri(database), collection: 'counted', touchAfterMs: 600_000 });
    const { baseUrl } = await app(store, { saveUninitialized: false });
    const warm = new CookieClient(baseUrl);
    await warm.get('/set?warm=1');
    await warm.get('/get');
    const client = new CookieClient(baseUrl);
    const measured: Record<string, number> = {};

    proxy.resetCounts();
    await client.get('/set?first=1');
    measured['new session'] = commands();

    proxy.resetCounts();
    expect((await client.get('/get')).json()).toEqual({ first: '1' });
    measured['read-only'] = commands();

    proxy.resetCounts();
    expect((await client.get('/set?second=2')).json()).toEqual({ first: '1', second: '2' });
    measured['modifying'] = commands();

    console.log(`commands per request: ${JSON.stringify(measured)}`);
    expect(measured).toEqual({ 'new session': 1, 'read-only': 1, modifying: 2 });
  });
});

describe('outage (proxy refuses and drops connections)', () => {
  it('requests during the outage complete quickly; sessions resume afterwards without a restart', async () => {
    const failures = trackProcessFailures();
    try {
      const store = open({
        uri: proxy.uri(database),
        collection: 'outage',
        connectionOptions: { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 },
      });
      const { baseUrl } = await app(store);
      const client = new CookieClient(baseUrl);
      await client.get('/set?user=ada');
      expect((await client.get('/get')).json()).toEqual({ user: 'ada' });

      proxy.refuse();
      proxy.dropAll();
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const res = await client.get('/get');
        expect(Date.now() - started).toBeLessThan(8000);
        // express-session either fails the request (500) or, once the store reported `disconnect`, skips the session.
        expect([200, 500]).toContain(res.status);
        expect(res.text).not.toContain('ada');
      }

      proxy.accept();
      let data: unknown;
      for (let i = 0; i < 40; i++) {
        data = (await client.get('/get')).json();
        if ((data as { user?: string } | null)?.user === 'ada') break;
        await sleep(500);
      }
      expect(data).toEqual({ user: 'ada' });
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
      proxy.accept();
    }
  });
});
