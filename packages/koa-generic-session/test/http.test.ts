import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import session from 'koa-generic-session';
import { MongoClient } from 'mongodb';
import MongoDBStore from '@mongo-session/koa-generic-session';
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

const database = uniqueDatabaseName('koa_generic_session_http');
const uri = testUri(database);
const raw = new MongoClient(uri);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  await raw.db().dropDatabase();
  await raw.close();
});

type KoaClass = typeof Koa;
type SessionOptions = Parameters<typeof session>[0];

interface Running {
  client: CookieClient;
  store: InstanceType<typeof MongoDBStore>;
  close(): Promise<void>;
}

/** A real app: GET / counts views, /read only reads, /logout sets the session to null, /set?k=..&v=.. sets one key. */
async function start(
  KoaImpl: KoaClass,
  collection: string,
  sessionOptions: Partial<SessionOptions> = {},
  storeUri = uri,
): Promise<Running> {
  // Outages are found in 1 s; the operation deadline is looser than that off the proxy, so 50 writes
  // queued on one session still finish on a loaded machine.
  const operationTimeoutMs = storeUri === uri ? 15_000 : undefined;
  const store = new MongoDBStore({
    uri: storeUri,
    collection,
    connectionOptions: { serverSelectionTimeoutMS: 1000 },
    ...(operationTimeoutMs ? { operationTimeoutMs } : {}),
  });
  const app = new KoaImpl();
  app.keys = ['a secret', 'an older secret'];
  app.on('error', () => undefined);
  app.use(session({ store, ...sessionOptions } as SessionOptions) as Koa.Middleware);
  app.use(async (ctx) => {
    const s = ctx.session as Record<string, any> | null;
    if (ctx.path === '/logout') {
      ctx.session = null;
      ctx.body = 'bye';
    } else if (ctx.path === '/read') {
      ctx.body = JSON.stringify({ views: s?.['views'] ?? 0 });
    } else if (ctx.path === '/set') {
      s![String(ctx.query['k'])] = String(ctx.query['v']);
      ctx.body = 'ok';
    } else if (ctx.path === '/all') {
      ctx.body = JSON.stringify(s);
    } else {
      s!['views'] = (s!['views'] ?? 0) + 1;
      ctx.body = JSON.stringify({ views: s!['views'] });
    }
  });
  const server: Server = createServer(app.callback());
  const client = new CookieClient(await listen(server));
  return {
    client,
    store,
    async close() {
      await closeServer(server);
      await store.close();
    },
  };
}

const views = async (client: CookieClient, path = '/') => (await client.get(path)).json<{ views: number }>().views;
const docId = async (client: CookieClient) => `koa:sess:${await client.cookie('koa.sid')}`;

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('koa-generic-session on %s', (label, KoaImpl) => {
  const collection = `sessions_${label.replace(' ', '')}`;

  it('keeps a views counter across requests, in a document keyed koa:sess:<sid>', async () => {
    const app = await start(KoaImpl, collection);
    try {
      expect(await views(app.client)).toBe(1);
      expect(await views(app.client)).toBe(2);
      expect(await views(app.client)).toBe(3);
      const doc = await raw
        .db()
        .collection(collection)
        .findOne({ _id: (await docId(app.client)) as any });
      expect(doc?.['session']).toMatchObject({ views: 3 });
    } finally {
      await app.close();
    }
  });

  it('ctx.session = null removes the document', async () => {
    const app = await start(KoaImpl, collection);
    try {
      await views(app.client);
      const id = await docId(app.client);
      expect(
        await raw
          .db()
          .collection(collection)
          .countDocuments({ _id: id as any }),
      ).toBe(1);
      await app.client.get('/logout');
      expect(
        await raw
          .db()
          .collection(collection)
          .countDocuments({ _id: id as any }),
      ).toBe(0);
      expect(await views(app.client)).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('signs the cookie with app.keys; a tampered cookie starts a new session', async () => {
    const app = await start(KoaImpl, collection);
    try {
      await views(app.client);
      expect(await views(app.client)).toBe(2);
      expect(await app.client.cookie('koa.sid.sig')).toBeTruthy();
      const sid = (await app.client.cookie('koa.sid'))!;
      await app.client.setCookie('koa.sid', `${sid.slice(0, -1)}${sid.endsWith('x') ? 'y' : 'x'}`);
      expect(await views(app.client)).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('a session is gone after its ttl', async () => {
    const app = await start(KoaImpl, collection, { ttl: 1500 });
    try {
      expect(await views(app.client)).toBe(1);
      expect(await views(app.client)).toBe(2);
      await sleep(2700);
      expect(await views(app.client)).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('with rolling, an active session whose data does not change outlives its ttl', async () => {
    const app = await start(KoaImpl, collection, { ttl: 1500, rolling: true });
    try {
      expect(await views(app.client)).toBe(1);
      const until = Date.now() + 4000;
      while (Date.now() < until) {
        await sleep(400);
        expect(await views(app.client, '/read')).toBe(1);
      }
      expect(await views(app.client)).toBe(2);
    } finally {
      await app.close();
    }
  });

  it('50 overlapping requests setting distinct keys are all kept', async () => {
    const app = await start(KoaImpl, collection);
    try {
      await views(app.client);
      const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => app.client.get(`/set?k=key${i}&v=${i}`)));
      expect(responses.every((r) => r.status === 200)).toBe(true);
      const all = (await app.client.get('/all')).json<Record<string, unknown>>();
      for (let i = 0; i < 50; i++) expect(all[`key${i}`]).toBe(String(i));
      expect(all['views']).toBe(1);
    } finally {
      await app.close();
    }
  });
});

describe('server unreachable, then back (through the proxy)', () => {
  it('no crash; requests fail while it is away and succeed again without an app restart', async () => {
    const failures = trackProcessFailures();
    const proxy = await MongoProxy.fromUri(uri);
    // Never armed with this store (it emits no 'disconnect'); see outage.test.ts for the child-process version.
    const app = await start(Koa, 'outage', { reconnectTimeout: 2000 }, proxy.uri(database));
    const events: string[] = [];
    app.store.on('connect', () => events.push('connect'));
    app.store.on('unavailable', () => events.push('unavailable'));
    // Not one of its events (it is never emitted): listened to through the plain EventEmitter type.
    (app.store as unknown as NodeJS.EventEmitter).on('disconnect', () => events.push('disconnect'));
    try {
      expect(await views(app.client)).toBe(1);
      const unavailable = new Promise<void>((resolve) => app.store.once('unavailable', () => resolve()));
      proxy.refuse();
      proxy.dropAll();
      // Sent while the server is away: it fails once server selection gives up (or went through before the cut).
      const during = app.client.get('/');
      await unavailable;
      expect(app.store.connected).toBe(false);
      const duringStatus = (await during).status;
      expect(duringStatus === 200 || duringStatus >= 500).toBe(true);
      // Known unavailable: the store fails at once, koa-generic-session answers 500.
      const started = Date.now();
      expect((await app.client.get('/')).status).toBe(500);
      expect(Date.now() - started).toBeLessThan(500);
      proxy.accept();
      let recovered = 0;
      for (let i = 0; i < 40 && !recovered; i++) {
        const r = await app.client.get('/');
        if (r.status === 200) recovered = r.json<{ views: number }>().views;
        else await sleep(250);
      }
      expect(recovered).toBeGreaterThanOrEqual(2);
      expect(await views(app.client)).toBe(recovered + 1);
      expect(events).toContain('unavailable');
      expect(events).not.toContain('disconnect');
      expect(events[events.length - 1]).toBe('connect');
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
      await app.close();
      await proxy.close();
    }
  });
});
