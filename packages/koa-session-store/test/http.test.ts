import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import convert from 'koa-convert';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { closeConnections, create, type CreateOptions, type KoaSessionStoreLayer } from '@mongo-session/koa-session-store';
import {
  closeServer,
  CookieClient,
  listen,
  MongoProxy,
  testServer,
  testUri,
  trackProcessFailures,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';

/* eslint-disable @typescript-eslint/no-require-imports */
const Koa2 = require('koa2') as typeof Koa;
const sessionMiddleware = require('koa-session-store') as (options?: {
  store?: unknown;
  name?: string;
  cookie?: Record<string, unknown>;
}) => any;
/* eslint-enable @typescript-eslint/no-require-imports */

const database = uniqueDatabaseName('koa_session_store_http');
const uri = testUri(database);
const raw = new MongoClient(uri);
/** `mongodb://host:port/<db>/<collection>`, koa-session-mongo's url form. */
const withCollection = (base: string, collection: string) => {
  const u = new URL(base);
  u.pathname = `${u.pathname.replace(/\/$/, '')}/${collection}`;
  return u.toString();
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterAll(async () => {
  await closeConnections();
  await raw.db().dropDatabase();
  await raw.close();
});

type KoaClass = typeof Koa;

interface Running {
  client: CookieClient;
  store: KoaSessionStoreLayer;
  close(): Promise<void>;
}

/** A real app: GET / counts views, /read only reads, /logout sets the session to null. */
async function start(KoaImpl: KoaClass, options: CreateOptions, cookie?: Record<string, unknown>): Promise<Running> {
  const store = create({ connectionOptions: { serverSelectionTimeoutMS: 1000 }, ...options });
  store.on('warning', () => undefined);
  const app = new KoaImpl();
  app.keys = ['some secret key'];
  app.on('error', () => undefined);
  // koa-session-store is generator middleware: Koa 3 answers 404 to everything unless it is converted.
  app.use(convert(sessionMiddleware({ store, ...(cookie ? { cookie } : {}) })));
  app.use(async (ctx) => {
    const s = (ctx as any).session as Record<string, any>;
    if (ctx.path === '/logout') {
      (ctx as any).session = null;
      ctx.body = 'bye';
    } else if (ctx.path === '/read') {
      ctx.body = JSON.stringify({ views: s['views'] ?? 0 });
    } else {
      s['views'] = (s['views'] ?? 0) + 1;
      ctx.body = JSON.stringify({ views: s['views'] });
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

const views = async (client: CookieClient, path = '/') => {
  const response = await client.get(path);
  expect(response.status).toBe(200);
  return response.json<{ views: number }>().views;
};
const sidOf = async (client: CookieClient) => JSON.parse(decodeURIComponent((await client.cookie('koa:sess'))!))._sid as string;

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('koa-session-store on %s', (label, KoaImpl) => {
  const collection = `sessions_${label.replace(' ', '')}`;
  const url = withCollection(uri, collection);

  it('keeps a views counter across requests, in the collection named by url', async () => {
    const app = await start(KoaImpl, { url });
    try {
      expect(await views(app.client)).toBe(1);
      expect(await views(app.client)).toBe(2);
      expect(await views(app.client)).toBe(3);
      const doc = await raw
        .db()
        .collection(collection)
        .findOne({ _id: (await sidOf(app.client)) as any });
      expect(doc?.['session']).toEqual({ views: 3 });
    } finally {
      await app.close();
    }
  });

  it('ctx.session = null removes the document', async () => {
    const app = await start(KoaImpl, { url });
    try {
      await views(app.client);
      const sid = await sidOf(app.client);
      expect(
        await raw
          .db()
          .collection(collection)
          .countDocuments({ _id: sid as any }),
      ).toBe(1);
      await app.client.get('/logout');
      expect(
        await raw
          .db()
          .collection(collection)
          .countDocuments({ _id: sid as any }),
      ).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('signs the cookie with app.keys; a tampered cookie starts a new session', async () => {
    const app = await start(KoaImpl, { url });
    try {
      await views(app.client);
      expect(await views(app.client)).toBe(2);
      expect(await app.client.cookie('koa:sess.sig')).toBeTruthy();
      await app.client.setCookie('koa:sess', encodeURIComponent(JSON.stringify({ _sid: 'forged-session-id' })));
      expect(await views(app.client)).toBe(1);
      expect(
        await raw
          .db()
          .collection(collection)
          .countDocuments({ _id: 'forged-session-id' as any }),
      ).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('an unused session expires after expirationTime', async () => {
    const app = await start(KoaImpl, { url, expirationTime: 1.5 });
    try {
      expect(await views(app.client)).toBe(1);
      expect(await views(app.client)).toBe(2);
      await sleep(2700);
      expect(await views(app.client)).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('an active session whose data does not change outlives expirationTime', async () => {
    const app = await start(KoaImpl, { url, expirationTime: 1.5 });
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
});

describe('signed: false, a forged cookie whose _sid the store refuses (Koa 3)', () => {
  // koa-session-store JSON-parses its cookie and hands `_sid` to load() as is: any JSON type.
  // (A raw `%00` is not decoded by the cookies package: it reaches load() as a valid id.)
  it.each([
    ['an object', '{"_sid":{"$ne":null}}'],
    ['a number', '{"_sid":42}'],
    ['2000 characters', JSON.stringify({ _sid: 's'.repeat(2000) })],
    ['a NUL', '{"_sid":"forged\\u0000id"}'],
  ])(
    '%s: answers 200 with a new session that works; a log-out brings a new cookie; other sessions untouched',
    async (_name, forgedValue) => {
      const collection = 'refused_ids';
      const app = await start(Koa, { url: withCollection(uri, collection) }, { signed: false });
      const docs = raw.db().collection(collection);
      const failures = trackProcessFailures();
      try {
        await views(app.client);
        expect(await views(app.client)).toBe(2);
        const victimSid = await sidOf(app.client);
        const before = await docs.countDocuments();

        const forged = new CookieClient(app.client.baseUrl);
        const header = { cookie: `koa:sess=${forgedValue}` };
        // A new session that keeps its data (stored under a digest of the forged value).
        for (const [path, expected] of [
          ['/', 1],
          ['/', 2],
          ['/read', 2],
        ] as const) {
          const res = await forged.get(path, header);
          expect(res.status).toBe(200);
          expect(res.json()).toEqual({ views: expected });
        }
        expect(await docs.countDocuments()).toBe(before + 1);
        expect(await docs.countDocuments({ _id: { $regex: '^refused-id:' } } as never)).toBe(1);

        // koa-session-store sets its cookie only for ids it generated; ctx.session = null clears the forged one.
        const out = await forged.get('/logout', header);
        expect(out.status).toBe(200);
        expect(out.setCookies.some((line) => /^koa:sess=;/.test(line))).toBe(true);
        const fresh = await forged.get('/');
        expect(fresh.status).toBe(200);
        expect(fresh.json()).toEqual({ views: 1 });
        const newSid = await sidOf(forged);
        expect(newSid).toMatch(/^[A-Za-z0-9]{15}$/);
        expect(await views(forged)).toBe(2);
        expect((await docs.findOne({ _id: newSid as any }))?.['session']).toEqual({ views: 2 });

        // The other session is untouched.
        expect((await docs.findOne({ _id: victimSid as any }))?.['session']).toEqual({ views: 2 });
        expect(await views(app.client)).toBe(3);
        expect(failures.uncaughtExceptions).toEqual([]);
        expect(failures.unhandledRejections).toEqual([]);
      } finally {
        failures.stop();
        await app.close();
      }
    },
  );
});

describe('why koa-convert', () => {
  it('on Koa 3, koa-session-store used unwrapped answers every request with 404', async () => {
    const store = create({ url: withCollection(uri, 'unwrapped') });
    const app = new Koa();
    app.keys = ['some secret key'];
    app.on('error', () => undefined);
    app.use(sessionMiddleware({ store }));
    app.use(async (ctx) => {
      ctx.body = 'reached';
    });
    const server = createServer(app.callback());
    try {
      const response = await new CookieClient(await listen(server)).get('/');
      expect(response.status).toBe(404);
      expect(response.text).not.toBe('reached');
    } finally {
      await closeServer(server);
      await store.close();
    }
  });
});

describe('seed koa-session-mongo options', () => {
  const collect = (store: KoaSessionStoreLayer) => {
    const codes: string[] = [];
    const messages: string[] = [];
    store.on('warning', (w) => {
      codes.push(w.code);
      messages.push(w.message);
    });
    return { codes, messages };
  };

  async function roundTrip(store: KoaSessionStoreLayer, sid: string): Promise<void> {
    await store.save(sid, JSON.stringify({ ok: sid }));
    expect(JSON.parse((await store.load(sid))!)).toEqual({ ok: sid });
  }

  it('host, port and db (a name), with collection honoured', async () => {
    const server = new URL(testServer().uri);
    const dbName = uniqueDatabaseName('kss_discrete');
    const store = create({ host: server.hostname, port: Number(server.port), db: dbName, collection: 'mine', ssl: false });
    try {
      await roundTrip(store, 'discrete');
      expect(
        await raw
          .db(dbName)
          .collection('mine')
          .countDocuments({ _id: 'discrete' as any }),
      ).toBe(1);
    } finally {
      await store.close();
      await raw.db(dbName).dropDatabase();
    }
  });

  it('db as a Db object (left open by closeConnections)', async () => {
    const client = new MongoClient(uri);
    const db = client.db(uniqueDatabaseName('kss_db_object'));
    const store = create({ db, collection: 'via_db' });
    try {
      await roundTrip(store, 'db-object');
      await closeConnections();
      await expect(store.load('db-object')).rejects.toMatchObject({ code: 'MONGO_SESSION_STORE_CLOSED' });
      expect(await db.collection('via_db').countDocuments({ _id: 'db-object' as any })).toBe(1);
    } finally {
      await db.dropDatabase();
      await client.close();
    }
  });

  it('mongoose: uses that connection; wins over url and the rest, with a warning naming them', async () => {
    const dbName = uniqueDatabaseName('kss_mongoose');
    const connection = await mongoose.createConnection(testUri(dbName)).asPromise();
    const store = create({
      mongoose: connection,
      url: withCollection(uri, 'elsewhere'),
      host: 'unused.invalid',
      collection: 'via_mongoose',
    });
    const { codes, messages } = collect(store);
    try {
      await roundTrip(store, 'mongoose');
      expect(await connection.db!.collection('via_mongoose').countDocuments({ _id: 'mongoose' as any })).toBe(1);
      expect(await raw.db().collection('elsewhere').countDocuments()).toBe(0);
      expect(codes).toContain('IGNORED_OPTIONS');
      expect(messages.join()).toMatch(/"url".*"host".*"mongoose"/);
      await store.close();
      expect(connection.readyState).toBe(1);
    } finally {
      await connection.dropDatabase();
      await connection.close();
    }
  });

  it('url wins over db, host and collection, with a warning naming them', async () => {
    const store = create({ url: withCollection(uri, 'from_url'), db: 'other_db', port: 1, collection: 'ignored' });
    const { codes, messages } = collect(store);
    try {
      await roundTrip(store, 'url-precedence');
      expect(
        await raw
          .db()
          .collection('from_url')
          .countDocuments({ _id: 'url-precedence' as any }),
      ).toBe(1);
      expect(codes).toContain('IGNORED_OPTIONS');
      expect(messages.join()).toMatch(/"db".*"port".*"collection".*"url"/);
    } finally {
      await store.close();
    }
  });

  it('auto_reconnect is accepted with one warning; expirationTime is in seconds', async () => {
    const store = create({ url: withCollection(uri, 'auto_reconnect'), auto_reconnect: true, expirationTime: 3600 });
    const { codes } = collect(store);
    try {
      const before = Date.now();
      await roundTrip(store, 'auto');
      const doc = await raw
        .db()
        .collection('auto_reconnect')
        .findOne({ _id: 'auto' as any });
      const lifetime = (doc!['expires'] as Date).getTime() - before;
      expect(lifetime).toBeGreaterThan(3_590_000);
      expect(lifetime).toBeLessThan(3_610_000);
      expect(codes.filter((c) => c === 'LEGACY_OPTION_IGNORED')).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('invalid options throw synchronously, naming the option', () => {
    expect(() => create({ expirationTime: -1 })).toThrow(expect.objectContaining({ option: 'expirationTime' }));
    expect(() => create({ port: 0 })).toThrow(expect.objectContaining({ option: 'port' }));
    expect(() => create({ url: withCollection(uri, 'x'), unknownThing: 1 } as CreateOptions)).toThrow(
      expect.objectContaining({ option: 'unknownThing' }),
    );
  });

  it('closeConnections closes every store create() made', async () => {
    const stores = [create({ url: withCollection(uri, 'close_a') }), create({ url: withCollection(uri, 'close_b') })];
    await Promise.all(stores.map((s) => s.save('x', '{"a":1}')));
    await closeConnections();
    for (const s of stores) await expect(s.load('x')).rejects.toMatchObject({ code: 'MONGO_SESSION_STORE_CLOSED' });
  });
});

describe('server unreachable, then back (through the proxy)', () => {
  it('no crash; requests fail while it is away and succeed again without an app restart', async () => {
    const failures = trackProcessFailures();
    const proxy = await MongoProxy.fromUri(uri);
    const app = await start(Koa, { url: withCollection(proxy.uri(database), 'outage') });
    try {
      expect(await views(app.client)).toBe(1);
      const disconnected = new Promise<void>((resolve) => app.store.once('disconnect', () => resolve()));
      proxy.refuse();
      proxy.dropAll();
      expect((await app.client.get('/')).status).toBe(500);
      await disconnected;
      proxy.accept();
      let recovered = 0;
      for (let i = 0; i < 40 && !recovered; i++) {
        const r = await app.client.get('/');
        if (r.status === 200) recovered = r.json<{ views: number }>().views;
        else await sleep(250);
      }
      expect(recovered).toBe(2);
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
      await app.close();
      await proxy.close();
    }
  });
});
