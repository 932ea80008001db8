/**
 * Switching from MongoSess (npm `mongosess` 0.4.0) to this package and back, with nobody logged
 * out (issue #16). MongoSess itself runs in a real http server driven over HTTP by CookieClient.
 *
 * MongoSess requires mongodb ~1.3, which cannot talk to a modern server: it runs through
 * `fixtures/mongosess-driver-shim.ts` (the old driver's calls on the modern driver), so its own
 * code decides the ids, queries, document shapes and index it makes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Keygrip from 'keygrip';
import { MongoClient } from 'mongodb';
import {
  closeServer,
  CookieClient,
  listen,
  testServer,
  testUri,
  trackProcessFailures,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';
import { mongoSessDriver, requireMongoSess, type MongoSessConnectOptions } from './fixtures/mongosess-driver-shim';

const driver = mongoSessDriver();
const PeerMongoSess = requireMongoSess(driver);

const database = uniqueDatabaseName('mongosess_migration');
const COLLECTION = 'mongosess_sessions';
const raw = new MongoClient(testUri(database));
const docs = raw.db().collection<{ _id: string; [key: string]: unknown }>(COLLECTION);
const onFerretDB = testServer().kind === 'ferretdb';
const KEYS = ['a signing key', 'an older key'];
/** The per-request options, in MongoSess's names: both packages take them as they are. */
const SESSION_OPTIONS = { cookieName: 'sid', keys: KEYS };
const TWO_WEEKS_S = 14 * 24 * 60 * 60;

/** MongoSess's `connect()` options (it fills in defaults on them: a fresh object each time). */
function connectOptions(): MongoSessConnectOptions {
  const server = new URL(testServer().uri);
  return { db: database, collection: COLLECTION, servers: [{ host: server.hostname, port: Number(server.port) }] };
}

afterAll(async () => {
  await raw.db().dropDatabase();
  await raw.close();
});

/** The calls both packages' handles answer (promises; MongoSess's are pinky-promise thenables). */
interface Handle {
  get(key?: string): PromiseLike<any>;
  set(values: Record<string, unknown>): PromiseLike<unknown>;
  del(...keys: string[]): PromiseLike<unknown>;
  end(): PromiseLike<unknown>;
}

interface Running {
  baseUrl: string;
  close(): Promise<void>;
}

/** What a logged-in user keeps in the session. */
function richValues(user: string): Record<string, unknown> {
  return {
    user,
    greeting: 'Grüße, 日本, 🎉',
    since: new Date('2026-01-02T03:04:05.678Z'),
    score: 41.5,
    big: 2 ** 40,
    profile: {
      name: { first: user.toUpperCase(), last: 'Ünïcode' },
      langs: ['en', 'fr'],
      joined: new Date('2025-05-06T07:08:09.010Z'),
    },
    cart: [
      { sku: 'a', qty: 2 },
      { sku: 'b', qty: 1 },
    ],
    // FerretDB refuses nested arrays and dotted keys in stored documents: MongoSess itself cannot store them there.
    ...(onFerretDB
      ? {}
      : {
          matrix: [
            [1, 2],
            [3, 4],
          ],
          prefs: { 'theme.dark': true, 'a.b.c': 'deep' },
        }),
  };
}

/**
 * One app for both packages (their handles have the same calls): /login/<user> stores the rich
 * values, /count increments a counter, /forget/<key> deletes a key, /logout ends the session,
 * /me shows the session without `_id` and `createdAt`.
 */
async function start(
  sessionOf: (req: IncomingMessage, res: ServerResponse) => Handle,
  closeStore: () => Promise<void>,
): Promise<Running> {
  const act = async (session: Handle, path: string): Promise<unknown> => {
    if (path.startsWith('/login/')) {
      await session.set({ ...richValues(path.slice('/login/'.length)), count: 0 });
      return { ok: true };
    }
    if (path === '/count') {
      const count = ((await session.get('count')) ?? 0) + 1;
      await session.set({ count });
      return { count };
    }
    if (path.startsWith('/forget/')) {
      await session.del(path.slice('/forget/'.length));
      return { ok: true };
    }
    if (path === '/logout') {
      await session.end();
      return { ok: true };
    }
    // MongoSess gives `{ _id }` without a session, ours null.
    const { _id, createdAt, ...body } = ((await session.get()) ?? {}) as Record<string, unknown>;
    return body;
  };
  const server: Server = createServer((req, res) => {
    let session: Handle;
    try {
      session = sessionOf(req, res);
    } catch (error) {
      res.writeHead(500).end(String(error));
      return;
    }
    act(session, req.url ?? '/').then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (error: unknown) => res.writeHead(500).end(String(error)),
    );
  });
  const baseUrl = await listen(server);
  return {
    baseUrl,
    close: async () => {
      await closeServer(server);
      await closeStore();
    },
  };
}

/** MongoSess 0.4.0 itself. */
async function startPeer(): Promise<Running> {
  await new Promise<void>((resolve) => PeerMongoSess.connect(connectOptions(), resolve));
  const db = driver.databases.at(-1)!;
  return start(
    (req, res) => PeerMongoSess(req, res, { ...SESSION_OPTIONS }),
    async () => {
      expect(PeerMongoSess.close()).toBe(true);
      await db.closed();
    },
  );
}

/** One browser: its cookies (host-wide, whatever the port) go to whichever app runs now. */
async function visit(user: CookieClient, app: Running, path: string): Promise<Record<string, unknown>> {
  const response = await user.get(new URL(path, app.baseUrl).toString());
  expect(response.status).toBe(200);
  return response.json<Record<string, unknown>>();
}

/** As JSON carries them (Dates as strings). */
const json = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('MongoSess 0.4.0 through the old-driver shim', () => {
  it('logs a user in, reads, counts, deletes a key and logs out, in its own document shape', async () => {
    const failures = trackProcessFailures();
    let app: Running | undefined;
    try {
      app = await startPeer();
      // FerretDB refuses MongoSess's TTL index on createdAt (mongod builds it, with MongoSess's lifetime).
      expect(driver.databases.at(-1)!.passedOver).toEqual(onFerretDB ? ['{"createdAt":1}'] : []);

      const ada = new CookieClient('http://127.0.0.1/');
      expect(await visit(ada, app, '/login/ada')).toEqual({ ok: true });
      const ttl = (await docs.listIndexes().toArray()).find((index) => index['key']?.['createdAt'] === 1);
      if (onFerretDB) expect(ttl).toBeUndefined();
      else expect(ttl).toMatchObject({ expireAfterSeconds: TWO_WEEKS_S });
      const id = (await ada.cookie('sid'))!;
      // MongoSess's id (an ObjectId's hex digits), signed with the first key as `<name>.sig`.
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      expect(new Keygrip(KEYS).index(`sid=${id}`, (await ada.cookie('sid.sig'))!)).toBe(0);
      expect(await visit(ada, app, '/me')).toEqual(json({ ...richValues('ada'), count: 0 }));
      expect(await visit(ada, app, '/count')).toEqual({ count: 1 });
      expect(await visit(ada, app, '/count')).toEqual({ count: 2 });

      // Its document: the id, createdAt, and every key given to set() at the top level, Dates as Dates.
      const [doc, ...others] = await docs.find().toArray();
      expect(others).toEqual([]);
      expect(doc).toEqual({ _id: id, createdAt: expect.any(Date), ...richValues('ada'), count: 2 });

      // Another browser has a session of its own.
      const bob = new CookieClient('http://127.0.0.1/');
      expect(await visit(bob, app, '/me')).toEqual({});
      expect(await visit(bob, app, '/count')).toEqual({ count: 1 });
      expect(await docs.countDocuments()).toBe(2);

      expect(await visit(ada, app, '/forget/greeting')).toEqual({ ok: true });
      const { greeting: _greeting, ...rest } = richValues('ada');
      expect(await visit(ada, app, '/me')).toEqual(json({ ...rest, count: 2 }));
      expect(await docs.findOne({ _id: id })).not.toHaveProperty('greeting');

      // Logging out removes the document and clears the cookie; the old cookie reads nothing.
      const replay = new CookieClient('http://127.0.0.1/');
      await replay.setCookie('sid', id);
      await replay.setCookie('sid.sig', (await ada.cookie('sid.sig'))!);
      expect(await visit(ada, app, '/logout')).toEqual({ ok: true });
      expect(await ada.cookie('sid')).toBeUndefined();
      expect(await docs.findOne({ _id: id })).toBeNull();
      expect(await visit(ada, app, '/me')).toEqual({});
      expect(await visit(replay, app, '/me')).toEqual({});
      await app.close();
      app = undefined;
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
      await app?.close();
      await docs.deleteMany({});
    }
  });
});
