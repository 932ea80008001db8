/**
 * Switching from MongoSess (npm `mongosess` 0.4.0) to this package and back, with nobody logged
 * out (issue #16): the real MongoSess and ours, each in a real http server driven over HTTP by
 * CookieClient, taking turns on one database and collection, configured with the same options
 * (MongoSess's names: `db`, `collection`, `servers`; `cookieName`, `keys`):
 *
 *   MongoSess -> ours -> MongoSess (rollback) -> ours with adoptPeerDocuments
 *
 * MongoSess requires mongodb ~1.3, which cannot talk to a modern server: it runs through
 * `fixtures/mongosess-driver-shim.ts` (the old driver's calls on the modern driver), so its own
 * code decides the ids, queries, document shapes and index it makes.
 *
 * Until adopting, every document stays in MongoSess's shape `{ _id, createdAt, ...the keys }`,
 * which is what lets it read them after the rollback.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import Keygrip from 'keygrip';
import { MongoClient } from 'mongodb';
import OurMongoSess from '@mongo-session/standalone';
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

/** What a logged-in user keeps in the session: its keys sit at the top level of MongoSess's documents. */
const richValues = (user: string) => migrationValues(user, { nestedArraysAndDottedKeys: !onFerretDB });

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

/** Ours, `@mongo-session/standalone`, on MongoSess's `connect()` options; the warning codes it emits. */
async function startOurs(extra: { adoptPeerDocuments?: boolean; expires?: number; collection?: string } = {}) {
  const warnings: string[] = [];
  const ready = OurMongoSess.connect({ ...connectOptions(), ...extra });
  OurMongoSess.store!.on('warning', (warning) => warnings.push(warning.code));
  await ready;
  const running = await start(
    (req, res) => OurMongoSess(req, res, { ...SESSION_OPTIONS }),
    () => OurMongoSess.close(),
  );
  return Object.assign(running, { warnings });
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

/**
 * MongoSess's shape, which it reads back: the id, `createdAt`, and exactly the body's keys at the
 * top level (no `v`, `session`, `expires`, `updatedAt`), Dates as Dates.
 */
function expectMongoSessShape(doc: Record<string, unknown> | null, body: unknown): void {
  expect(doc).not.toBeNull();
  const { _id, createdAt, ...fields } = doc!;
  expect(typeof _id).toBe('string');
  expect(createdAt).toBeInstanceOf(Date);
  expect(json(fields)).toEqual(body);
  expect(fields['since']).toBeInstanceOf(Date);
  expect((fields['profile'] as { joined: unknown }).joined).toBeInstanceOf(Date);
}

const table: string[] = [];
afterAll(() => console.log(`peer | users kept after switch | after switch-back | after adopting\n${table.join('\n')}`));

describe('MongoSess -> ours -> MongoSess -> ours adopting, on one collection', () => {
  it('every user stays logged in with equal values, counters keep counting, a logout on ours is one on MongoSess', async () => {
    const failures = trackProcessFailures();
    const kept: string[] = [];
    let app: (Running & { warnings?: string[] }) | undefined;
    const browser = () => new CookieClient('http://127.0.0.1/');
    const [ada, bob, cleo, dan] = [browser(), browser(), browser(), browser()];
    /** What each logged-in browser's /me shows: the rich values and its counter, as JSON. */
    const want = new Map<CookieClient, Record<string, unknown>>();
    const login = async (user: CookieClient, name: string) => {
      expect(await visit(user, app!, `/login/${name}`)).toEqual({ ok: true });
      want.set(user, json({ ...richValues(name), count: 0 }) as Record<string, unknown>);
    };
    const count = async (user: CookieClient) => {
      const next = (want.get(user)!['count'] as number) + 1;
      expect(await visit(user, app!, '/count')).toEqual({ count: next });
      want.get(user)!['count'] = next;
    };
    const me = async (user: CookieClient) => expect(await visit(user, app!, '/me')).toEqual(want.get(user));
    const isKept = async (user: CookieClient) => isDeepStrictEqual(await visit(user, app!, '/me'), want.get(user));
    const keptOf = async (checks: Promise<boolean>[]) => `${(await Promise.all(checks)).filter(Boolean).length}/${checks.length}`;
    const idOf = async (user: CookieClient) => (await user.cookie('sid'))!;
    const docOf = async (user: CookieClient) => docs.findOne({ _id: await idOf(user) });
    try {
      // 1. On MongoSess: Ada, Bob and Dan log in; Ada counts.
      app = await startPeer();
      await login(ada, 'ada');
      await login(bob, 'bob');
      await login(dan, 'dan');
      await count(ada);
      await me(ada);
      for (const user of [ada, bob, dan]) expectMongoSessShape(await docOf(user), want.get(user));
      const adaCreatedAt = (await docOf(ada))!['createdAt'];
      const bobBefore = await docOf(bob);
      const danId = await idOf(dan);
      // Dan's cookie as it is now, to replay after he logs out.
      const danReplay = browser();
      await danReplay.setCookie('sid', danId);
      await danReplay.setCookie('sid.sig', (await dan.cookie('sid.sig'))!);
      await app.close();
      app = undefined;

      // 2. On ours: Ada is still logged in, counts and drops a key; Cleo logs in; Dan logs out; Bob is away.
      app = await startOurs();
      await me(ada);
      await count(ada);
      expect(await visit(ada, app, '/forget/greeting')).toEqual({ ok: true });
      delete want.get(ada)!['greeting'];
      await me(ada);
      await login(cleo, 'cleo');
      await count(cleo);
      expect(await visit(dan, app, '/logout')).toEqual({ ok: true });
      want.delete(dan);
      expect(await dan.cookie('sid')).toBeUndefined();
      expect(await visit(dan, app, '/me')).toEqual({});
      expect(await docs.findOne({ _id: danId })).toBeNull();
      // Written by ours, still MongoSess's shape: Ada's fields set and unset at the top level, her
      // createdAt kept; Cleo's new session too (the collection held MongoSess's documents).
      expectMongoSessShape(await docOf(ada), want.get(ada));
      expect((await docOf(ada))!['createdAt']).toEqual(adaCreatedAt);
      expectMongoSessShape(await docOf(cleo), want.get(cleo));
      expect(await docs.countDocuments()).toBe(3);
      // Bob, away, is logged in for ours (read by the store, no visit) and his document is untouched.
      const bobOnOurs = json(await OurMongoSess.store!.get(await idOf(bob)));
      expect(bobOnOurs).toEqual(want.get(bob));
      expect(await docOf(bob)).toEqual(bobBefore);
      expect(app.warnings).not.toContain('CORRUPT_DOCUMENT');
      kept.push(await keptOf([isKept(ada), Promise.resolve(isDeepStrictEqual(bobOnOurs, want.get(bob)))]));
      await app.close();
      app = undefined;

      // 3. Back on MongoSess: all three logged in with equal values, and they keep counting.
      //    Dan is logged out there too: his browser reads nothing, nor does his old cookie replayed.
      app = await startPeer();
      for (const user of [ada, bob, cleo]) await me(user);
      for (const user of [ada, bob, cleo]) await count(user);
      expect(await visit(dan, app, '/me')).toEqual({});
      expect(await visit(danReplay, app, '/me')).toEqual({});
      expect(await docs.findOne({ _id: danId })).toBeNull();
      for (const user of [ada, bob, cleo]) expectMongoSessShape(await docOf(user), want.get(user));
      kept.push(await keptOf([isKept(ada), isKept(bob), isKept(cleo)]));
      await app.close();
      app = undefined;

      // 4. On ours with adoptPeerDocuments: still logged in; each document is ours after its next write.
      app = await startOurs({ adoptPeerDocuments: true });
      for (const user of [ada, bob, cleo]) await me(user);
      for (const user of [ada, bob, cleo]) await count(user);
      const adopted = await docs.find().toArray();
      expect(adopted).toHaveLength(3);
      for (const doc of adopted) {
        expect(doc).toMatchObject({ v: 1, createdAt: expect.any(Date), expires: expect.any(Date) });
        expect(typeof doc['session']).toBe('object'); // our format: the body as a subdocument
        expect(doc).not.toHaveProperty('user');
        expect(doc).not.toHaveProperty('count');
        expect((doc['session'] as Record<string, unknown>)['since']).toBeInstanceOf(Date);
      }
      for (const user of [ada, bob, cleo]) await me(user);
      expect(app.warnings).not.toContain('CORRUPT_DOCUMENT');
      kept.push(await keptOf([isKept(ada), isKept(bob), isKept(cleo)]));
      await app.close();
      app = undefined;
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
      await app?.close();
      table.push(`MongoSess 0.4.0 (through the old-driver shim) | ${kept[0] ?? '-'} | ${kept[1] ?? '-'} | ${kept[2] ?? '-'}`);
    }
  });

  it("a MongoSess session lasts createdAt + the store's expires on ours, and ours's writes never move it", async () => {
    const failures = trackProcessFailures();
    let app: Running | undefined;
    const collection = 'mongosess_expiry';
    const expiryDocs = raw.db().collection<{ _id: string; [key: string]: unknown }>(collection);
    try {
      // On MongoSess with a one-minute lifetime: Eve and Finn log in.
      await new Promise<void>((resolve) => PeerMongoSess.connect({ ...connectOptions(), collection, expires: 60_000 }, resolve));
      const db = driver.databases.at(-1)!;
      app = await start(
        (req, res) => PeerMongoSess(req, res, { ...SESSION_OPTIONS }),
        async () => {
          PeerMongoSess.close();
          await db.closed();
        },
      );
      const [eve, finn] = [new CookieClient('http://127.0.0.1/'), new CookieClient('http://127.0.0.1/')];
      await visit(eve, app, '/login/eve');
      await visit(finn, app, '/login/finn');
      await app.close();
      app = undefined;
      // Eve's session began two minutes ago, Finn's thirty seconds ago.
      const eveId = (await eve.cookie('sid'))!;
      const finnId = (await finn.cookie('sid'))!;
      await expiryDocs.updateOne({ _id: eveId }, { $set: { createdAt: new Date(Date.now() - 120_000) } });
      const finnCreatedAt = new Date(Date.now() - 30_000);
      await expiryDocs.updateOne({ _id: finnId }, { $set: { createdAt: finnCreatedAt } });

      // On ours with the same lifetime (MongoSess's option name): Eve's session is over, Finn's is not.
      app = await startOurs({ collection, expires: 60_000 });
      expect(await visit(eve, app, '/me')).toEqual({});
      expect(await visit(finn, app, '/me')).toEqual(json({ ...richValues('finn'), count: 0 }));
      expect(await visit(finn, app, '/count')).toEqual({ count: 1 });
      // Written in MongoSess's shape with its createdAt: the session still ends a minute after it began.
      const finnDoc = await expiryDocs.findOne({ _id: finnId });
      expectMongoSessShape(finnDoc, json({ ...richValues('finn'), count: 1 }));
      expect(finnDoc!['createdAt']).toEqual(finnCreatedAt);
      await app.close();
      app = undefined;
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
      await app?.close();
    }
  });
});
