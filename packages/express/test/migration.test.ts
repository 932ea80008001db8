/**
 * Switching stores both ways, with nobody logged out: real express apps on the real
 * peer packages (connect-mongo 6, with and without stringify and with its kruptein
 * crypto; connect-mongodb-session 5) and on ours, taking turns on one collection:
 *
 *   peer -> ours -> peer (rollback) -> ours with adoptPeerDocuments (the last step)
 *
 * Every user stays logged in at every step and reads back equal values: nested arrays,
 * dotted keys, Dates, unicode and counters.
 */
import { createServer, type Server } from 'node:http';
import express from 'express';
import session from 'express-session';
import { MongoClient } from 'mongodb';
import { MongoStore } from '@mongo-session/express';
import {
  closeServer,
  CookieClient,
  listen,
  testServer,
  testUri,
  trackProcessFailures,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';
import { migrationValues } from '@mongo-session/test-utils/migration';
import { SECRET } from './apps';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ConnectMongo = require('connect-mongo').MongoStore as {
  create(options: Record<string, unknown>): session.Store & { close(): Promise<void> };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connectMongoDBSession = require('connect-mongodb-session') as (
  s: typeof session,
) => new (
  options: Record<string, unknown>,
) => session.Store & { client: MongoClient };

const database = uniqueDatabaseName('express_migration');
const uri = testUri(database);
const raw = new MongoClient(uri);
const onFerretDB = testServer().kind === 'ferretdb';

afterAll(async () => {
  await raw.db().dropDatabase();
  await raw.close();
});

/** What a logged-in user keeps in the session; BSON peers on FerretDB cannot store nested arrays or dotted keys. */
const richValues = (bsonPeer: boolean) => migrationValues('ada', { nestedArraysAndDottedKeys: !(bsonPeer && onFerretDB) });

interface Running {
  baseUrl: string;
  close(): Promise<void>;
}

/** An express 5 app: /login stores the rich values, /count increments a counter, /me shows the session. */
async function start(store: session.Store, bsonPeer: boolean): Promise<Running> {
  const app = express();
  app.use(session({ secret: SECRET, store, resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.get('/login', (req, res) => {
    Object.assign(req.session, richValues(bsonPeer), { count: 0 });
    res.json({ ok: true });
  });
  app.get('/count', (req, res) => {
    const s = req.session as unknown as Record<string, number>;
    s['count'] = (s['count'] ?? 0) + 1;
    res.json({ count: s['count'] });
  });
  app.get('/me', (req, res) => {
    const { cookie: _cookie, ...data } = req.session as unknown as Record<string, unknown>;
    res.json(data);
  });
  const server: Server = createServer(app);
  const baseUrl = await listen(server);
  return {
    baseUrl,
    close: async () => {
      await closeServer(server);
      if ('close' in store && typeof store.close === 'function') await (store.close as () => Promise<void>)();
      const client = (store as { client?: MongoClient }).client;
      if (client) await client.close();
    },
  };
}

interface Peer {
  name: string;
  bson: boolean;
  peer(collection: string): session.Store;
  ours(collection: string, adopt: boolean): MongoStore;
  /** What a document written in the peer's shape looks like. */
  shape(doc: Record<string, unknown>): void;
}

const PEERS: Peer[] = [
  {
    name: 'connect-mongo 6 (stringify, its default)',
    bson: false,
    peer: (collectionName) => ConnectMongo.create({ mongoUrl: uri, collectionName, autoRemove: 'disabled' }),
    ours: (collectionName, adopt) =>
      MongoStore.create({ mongoUrl: uri, collectionName, autoRemove: 'disabled', adoptPeerDocuments: adopt }),
    shape: (doc) => expect(typeof doc['session']).toBe('string'),
  },
  {
    name: 'connect-mongo 6 (stringify: false)',
    bson: true,
    peer: (collectionName) => ConnectMongo.create({ mongoUrl: uri, collectionName, autoRemove: 'disabled', stringify: false }),
    ours: (collectionName, adopt) =>
      MongoStore.create({ mongoUrl: uri, collectionName, autoRemove: 'disabled', stringify: false, adoptPeerDocuments: adopt }),
    shape: (doc) => expect(doc['session']).toMatchObject({ user: 'ada' }),
  },
  {
    name: "connect-mongo 6 (crypto: { secret: 'squirrel' }, its README's)",
    bson: false,
    peer: (collectionName) =>
      ConnectMongo.create({ mongoUrl: uri, collectionName, autoRemove: 'disabled', crypto: { secret: 'squirrel' } }),
    // Adopting re-encrypts with our cipher, which wants a long secret: the documented way.
    ours: (collection, adopt) =>
      adopt
        ? new MongoStore({
            uri,
            collection,
            autoRemove: 'disabled',
            peerCrypto: { secret: 'squirrel' },
            crypto: { secret: 'our-own-secret-of-at-least-32-characters', acceptUnencrypted: true },
            adoptPeerDocuments: true,
          })
        : MongoStore.create({
            mongoUrl: uri,
            collectionName: collection,
            autoRemove: 'disabled',
            crypto: { secret: 'squirrel' },
          }),
    shape: (doc) => {
      expect(typeof doc['session']).toBe('string');
      expect(doc['session']).not.toContain('ada');
    },
  },
  {
    name: 'connect-mongodb-session 5',
    bson: true,
    peer: (collection) => {
      const Store = connectMongoDBSession(session);
      const store = new Store({ uri, collection });
      store.on('error', () => undefined);
      return store;
    },
    ours: (collection, adopt) => new MongoStore({ uri, collection, autoRemove: 'disabled', adoptPeerDocuments: adopt }),
    shape: (doc) => expect(doc['session']).toMatchObject({ user: 'ada' }),
  },
];

const table: string[] = [];
afterAll(() => console.log(`peer | users kept after switch | after switch-back | after adopting\n${table.join('\n')}`));

describe.each(PEERS.map((p) => [p.name, p] as const))('%s', (_name, peer) => {
  it('switch, switch back and adopt: every user stays logged in with equal values', async () => {
    const failures = trackProcessFailures();
    const collection = `m_${PEERS.indexOf(peer)}`;
    const docs = raw.db().collection<Record<string, unknown>>(collection);
    const expected = (count: number) => JSON.parse(JSON.stringify({ ...richValues(peer.bson), count }));
    const cookieOf = async (client: CookieClient) => (await client.cookie('connect.sid'))!;
    const visit = async (app: Running, cookie: string, path: string) => {
      const client = new CookieClient(app.baseUrl);
      await client.setCookie('connect.sid', cookie);
      const response = await client.get(path);
      expect(response.status).toBe(200);
      return response.json<Record<string, unknown>>();
    };
    const kept: number[] = [];
    try {
      // 1. On the peer: Ada logs in.
      let app = await start(peer.peer(collection), peer.bson);
      const ada = new CookieClient(app.baseUrl);
      await ada.get('/login');
      const adaCookie = await cookieOf(ada);
      expect(await visit(app, adaCookie, '/me')).toEqual(expected(0));
      await app.close();

      // 2. On ours: Ada is still logged in and counts; Bob logs in. Both documents stay in the peer's shape.
      app = await start(peer.ours(collection, false), peer.bson);
      expect(await visit(app, adaCookie, '/me')).toEqual(expected(0));
      expect(await visit(app, adaCookie, '/count')).toEqual({ count: 1 });
      const bob = new CookieClient(app.baseUrl);
      await bob.get('/login');
      const bobCookie = await cookieOf(bob);
      expect(await visit(app, bobCookie, '/count')).toEqual({ count: 1 });
      for (const doc of await docs.find().toArray()) {
        expect(doc['v']).toBeUndefined();
        peer.shape(doc);
      }
      kept.push(
        [await visit(app, adaCookie, '/me'), await visit(app, bobCookie, '/me')].filter((me) => me['user'] === 'ada').length,
      );
      await app.close();

      // 3. Back on the peer: both still logged in, values equal, and they keep counting.
      app = await start(peer.peer(collection), peer.bson);
      expect(await visit(app, adaCookie, '/me')).toEqual(expected(1));
      expect(await visit(app, bobCookie, '/me')).toEqual(expected(1));
      expect(await visit(app, adaCookie, '/count')).toEqual({ count: 2 });
      kept.push(
        [await visit(app, adaCookie, '/me'), await visit(app, bobCookie, '/me')].filter((me) => me['user'] === 'ada').length,
      );
      await app.close();

      // 4. On ours with adoptPeerDocuments: still logged in; each document is converted on its next write.
      app = await start(peer.ours(collection, true), peer.bson);
      expect(await visit(app, adaCookie, '/me')).toEqual(expected(2));
      expect(await visit(app, adaCookie, '/count')).toEqual({ count: 3 });
      expect(await visit(app, bobCookie, '/count')).toEqual({ count: 2 });
      for (const doc of await docs.find().toArray()) {
        expect(doc).toMatchObject({ v: 1, createdAt: expect.any(Date) });
        expect(typeof doc['session']).toBe('object'); // our format: the body as a subdocument
        if (peer.name.includes('crypto')) {
          // Re-encrypted with our cipher: nothing in clear.
          expect(doc['sealed']).toBe(true);
          expect(JSON.stringify(doc)).not.toContain('Grüße');
        }
      }
      expect(await visit(app, adaCookie, '/me')).toEqual(expected(3));
      expect(await visit(app, bobCookie, '/me')).toEqual(expected(2));
      kept.push(
        [await visit(app, adaCookie, '/me'), await visit(app, bobCookie, '/me')].filter((me) => me['user'] === 'ada').length,
      );
      await app.close();
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
      table.push(`${peer.name} | ${kept[0] ?? '-'}/2 | ${kept[1] ?? '-'}/2 | ${kept[2] ?? '-'}/2`);
    }
  });
});
