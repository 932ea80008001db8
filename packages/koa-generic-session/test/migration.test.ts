/**
 * What a user of koa-generic-session-mongo 0.4.0 gets when this adapter takes over its
 * collection, and when they switch back. Real Koa 3 apps with koa-generic-session 2.3.1, on
 * the real koa-generic-session-mongo and on ours, taking turns on one collection:
 *
 *   koa-generic-session-mongo -> ours (its `sid_1` index in place, then dropped) -> koa-generic-session-mongo
 *
 * koa-generic-session-mongo writes `{ _id: ObjectId, sid: "koa:sess:<sid>", ...the session's
 * keys, ttl: Date }` and looks sessions up by `sid` (unique index `sid_1`). The core looks up
 * by `_id`, so these sessions are not read: their users log in again. Established here:
 *
 * 1. ours never writes into or deletes such a document: they are byte-for-byte the same after
 *    our app served their users (and wrote, touched and removed sessions of its own);
 * 2. `sid_1` left in place: on mongod, our documents have no `sid`, which the unique index
 *    counts as null, so the second one is a duplicate key and the core fails that write with an
 *    OperationError naming "sid_1"; FerretDB does not index a missing field, so there every
 *    write goes through. The test asserts whichever the server at hand is. Dropping `sid_1`
 *    (`db.sessions.dropIndex("sid_1")`) lets every write through on both;
 * 3. back on koa-generic-session-mongo, its users whose browsers still hold its cookie are
 *    logged in with their values; one who visited while ours ran lost that cookie (koa-generic-session
 *    drops a cookie whose session the store does not have) and logs in again.
 *
 * koa-generic-session-mongo bundles mongodb ~2.0, which cannot talk to a modern server: it
 * runs through the old-driver shim of koa-session-store's tests (it accepts any `db` with a
 * `dropDatabase` function). Its store methods are generators, which koa-generic-session 1.x
 * ran with co; koa-generic-session 2.x awaits promises, so `generatorStore` runs them as co did.
 */
import type { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import session from 'koa-generic-session';
import { MongoClient, type Document } from 'mongodb';
import MongoDBStore from '@mongo-session/koa-generic-session';
import {
  closeServer,
  CookieClient,
  listen,
  testServer,
  testUri,
  trackProcessFailures,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';
import { LegacyDb } from '../../koa-session-store/test/fixtures/old-driver-shim';

interface GeneratorStore extends EventEmitter {
  get(sid: string): Generator;
  set(sid: string, sess: unknown, ttl?: number): Generator;
  destroy(sid: string): Generator;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KoaGenericSessionMongo = require('koa-generic-session-mongo') as new (options: {
  db: LegacyDb;
  collection?: string;
}) => GeneratorStore;

const database = uniqueDatabaseName('kgs_migration');
const uri = testUri(database);
const raw = new MongoClient(uri);
const docs = raw.db().collection<Document>('sessions');
const onFerretDB = testServer().kind === 'ferretdb';

afterAll(async () => {
  await raw.db().dropDatabase();
  await raw.close();
});

/** What a logged-in user keeps in the session. */
function richValues(user: string): Record<string, unknown> {
  return {
    user,
    greeting: 'Grüße, 日本, 🎉',
    since: new Date('2026-01-02T03:04:05.678Z'),
    cart: [
      { sku: 'a', qty: 2 },
      { sku: 'b', qty: 1 },
    ],
    // koa-generic-session-mongo stores the session's keys at the top level of its document, and
    // FerretDB refuses nested arrays and dotted keys there: that store cannot keep them on it.
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
const expected = (user: string, count: number) => JSON.parse(JSON.stringify({ ...richValues(user), count }));

/** Runs a generator to its end as co did: yielded thunks, promises and generators are awaited. */
function run(generator: Generator): Promise<unknown> {
  const settle = (value: unknown): Promise<unknown> => {
    if (typeof value === 'function') {
      return new Promise((resolve, reject) =>
        (value as (cb: (e: unknown, r?: unknown) => void) => void)((e, r) => (e ? reject(e) : resolve(r))),
      );
    }
    if (value && typeof (value as Generator).next === 'function' && typeof (value as Generator).throw === 'function')
      return run(value as Generator);
    return Promise.resolve(value);
  };
  return new Promise((resolve, reject) => {
    const step = (method: 'next' | 'throw', argument?: unknown) => {
      let result: IteratorResult<unknown>;
      try {
        result = generator[method](argument);
      } catch (error) {
        reject(error);
        return;
      }
      if (result.done) resolve(result.value);
      else
        settle(result.value).then(
          (value) => step('next', value),
          (error: unknown) => step('throw', error),
        );
    };
    step('next');
  });
}

/** koa-generic-session-mongo's generator methods as the promises koa-generic-session 2.x awaits; its events pass through. */
function generatorStore(peer: GeneratorStore) {
  return {
    get: (sid: string) => run(peer.get(sid)),
    set: (sid: string, sess: unknown, ttl?: number) => run(peer.set(sid, sess, ttl)),
    destroy: (sid: string) => run(peer.destroy(sid)),
    on: (event: string, listener: (...args: unknown[]) => void) => peer.on(event, listener),
    once: (event: string, listener: (...args: unknown[]) => void) => peer.once(event, listener),
  };
}

interface Running {
  baseUrl: string;
  /** Errors the app reported (a failed session write answers 500). */
  errors: Error[];
  close(): Promise<void>;
}

/** A Koa 3 app: /login/<user> stores the rich values, /count increments a counter, /logout ends the session, /me shows it. */
async function start(store: unknown, closeStore: () => Promise<void>): Promise<Running> {
  const app = new Koa();
  app.keys = ['a secret'];
  const errors: Error[] = [];
  app.on('error', (error: Error) => errors.push(error));
  app.use(session({ store: store as never }) as Koa.Middleware);
  app.use(async (ctx) => {
    const s = ctx.session as Record<string, any>;
    if (ctx.path.startsWith('/login/')) {
      Object.assign(s, richValues(ctx.path.slice('/login/'.length)), { count: 0 });
      ctx.body = { ok: true };
    } else if (ctx.path === '/count') {
      s['count'] = (s['count'] ?? 0) + 1;
      ctx.body = { count: s['count'] };
    } else if (ctx.path === '/logout') {
      ctx.session = null;
      ctx.body = { ok: true };
    } else {
      const { cookie: _cookie, ...data } = s;
      ctx.body = data;
    }
  });
  const server: Server = createServer(app.callback());
  const baseUrl = await listen(server);
  return {
    baseUrl,
    errors,
    close: async () => {
      await closeServer(server);
      await closeStore();
    },
  };
}

/** koa-generic-session-mongo 0.4.0 itself, on a Db of the old driver's API; its `error` events are collected. */
async function startPeer(): Promise<Running & { legacy: LegacyDb; peerErrors: Error[] }> {
  const legacy = new LegacyDb(uri);
  const peer = new KoaGenericSessionMongo({ db: legacy, collection: 'sessions' });
  const peerErrors: Error[] = [];
  peer.on('error', (error: Error) => peerErrors.push(error));
  // It emits `connect` once its indexes are made (`error` when one is refused).
  await new Promise((resolve) => {
    peer.once('connect', resolve);
    peer.once('error', resolve);
  });
  const running = await start(generatorStore(peer), () => legacy.closeNow());
  return { ...running, legacy, peerErrors };
}

async function startOurs(): Promise<Running & { store: InstanceType<typeof MongoDBStore> }> {
  const store = new MongoDBStore({ uri, collection: 'sessions' });
  store.on('warning', () => undefined); // no TTL index on FerretDB: the sweep takes over
  await store.ready();
  return { ...(await start(store, () => store.close())), store };
}

/** One browser: its cookies (host-wide, whatever the port) go to whichever app runs now. */
async function visit(user: CookieClient, app: Running, path: string, status = 200): Promise<Record<string, unknown>> {
  const response = await user.get(new URL(path, app.baseUrl).toString());
  expect(response.status).toBe(status);
  return status === 200 ? response.json<Record<string, unknown>>() : {};
}

/** koa-generic-session-mongo's documents, as the server stores them (raw BSON). */
const foreignBytes = async () =>
  (await docs.find({ sid: { $exists: true } }, { raw: true, sort: { _id: 1 } }).toArray()).map((doc) =>
    Buffer.from(doc as unknown as Uint8Array).toString('hex'),
  );

const table: string[] = [];
afterAll(() =>
  console.log(
    `peer | users kept after switch | after switch-back | a 2nd session of ours with sid_1 in place\n${table.join('\n')}`,
  ),
);

it('koa-generic-session-mongo -> ours -> koa-generic-session-mongo: its documents untouched, sid_1 as the server has it, its users back', async () => {
  const failures = trackProcessFailures();
  const ada = new CookieClient('http://127.0.0.1/'); // visits while ours runs
  const dave = new CookieClient('http://127.0.0.1/'); // away while ours runs
  const bob = new CookieClient('http://127.0.0.1/'); // new, logs in on ours
  const row = { kept: '-', back: '-', sid1: '-' };
  try {
    // 1. On koa-generic-session-mongo: Ada and Dave log in, Ada counts.
    let peer = await startPeer();
    await visit(ada, peer, '/login/ada');
    expect(await visit(ada, peer, '/count')).toEqual({ count: 1 });
    await visit(dave, peer, '/login/dave');
    expect(await visit(dave, peer, '/me')).toEqual(expected('dave', 0));
    const written = await docs.find().toArray();
    expect(written).toHaveLength(2);
    for (const doc of written) {
      // Its shape: an ObjectId, the prefixed id in `sid`, the session's keys at the top level, `ttl`.
      expect(doc).toMatchObject({
        sid: expect.stringMatching(/^koa:sess:/),
        user: expect.any(String),
        cookie: expect.any(Object),
        ttl: expect.any(Date),
      });
      expect(doc['_id']?.constructor?.name).toBe('ObjectId');
      expect(doc['v']).toBeUndefined();
    }
    expect(await docs.indexExists('sid_1')).toBe(true);
    expect((await docs.listIndexes().toArray()).find((index) => index['name'] === 'sid_1')?.['unique']).toBe(true);
    // FerretDB refuses its TTL index on `ttl` (mongod builds it).
    expect(peer.legacy.passedOver).toEqual(onFerretDB ? ['{"ttl":1}'] : []);
    expect(peer.peerErrors).toEqual([]);
    await peer.close();
    const before = await foreignBytes();
    expect(before).toHaveLength(2);

    // 2. On ours, same database and collection, sid_1 left in place.
    const ours = await startOurs();
    // Ada's session is not read: she is logged out.
    const adaPeerCookie = await ada.cookie('koa.sid');
    expect(adaPeerCookie).toBeTruthy();
    expect(await visit(ada, ours, '/me')).toEqual({});
    expect(await ada.cookie('koa.sid')).toBeUndefined(); // koa-generic-session dropped it
    row.kept = '0/2';
    // She logs in again: our first document, in our format, with no `sid`.
    await visit(ada, ours, '/login/ada');
    expect(await visit(ada, ours, '/count')).toEqual({ count: 1 });
    const [adaOurs] = await docs.find({ sid: { $exists: false } }).toArray();
    expect(adaOurs).toMatchObject({ _id: expect.stringMatching(/^koa:sess:/), v: 1, session: expect.any(Object) });
    // Bob logs in: a second document without `sid`.
    if (onFerretDB) {
      // FerretDB leaves a missing field out of the unique index: no conflict. The index is
      // live all the same: a second document with Dave's `sid` is refused.
      await expect(docs.insertOne({ sid: written.find((doc) => doc['user'] === 'dave')!['sid'] })).rejects.toMatchObject({
        code: 11000,
      });
      await visit(bob, ours, '/login/bob');
      expect(ours.errors).toEqual([]);
      row.sid1 = 'written (FerretDB does not index a missing sid)';
    } else {
      // mongod indexes a missing `sid` as null: the second such document is a duplicate key on
      // sid_1. The core fails the write (never a silent loss) with an OperationError naming the index.
      await visit(bob, ours, '/login/bob', 500);
      expect(ours.errors).toHaveLength(1);
      expect(ours.errors[0]).toMatchObject({ code: 'MONGO_SESSION_OPERATION', message: expect.stringContaining('"sid_1"') });
      expect(ours.errors[0]!.message).toContain('dropIndex("sid_1")');
      await expect(ours.store.set('probe', { cookie: {} })).rejects.toMatchObject({
        message: expect.stringContaining('"sid_1"'),
      });
      row.sid1 = 'OperationError naming "sid_1" (HTTP 500)';
    }
    // The documented step: drop sid_1. Every write goes through on any server.
    await docs.dropIndex('sid_1');
    await visit(bob, ours, '/login/bob');
    expect(await visit(bob, ours, '/count')).toEqual({ count: 1 });
    expect(await visit(bob, ours, '/me')).toEqual(expected('bob', 1));
    expect(await visit(ada, ours, '/me')).toEqual(expected('ada', 1));
    // A session of ours removed, and one more written: foreign documents are never in reach.
    const carol = new CookieClient('http://127.0.0.1/');
    await visit(carol, ours, '/login/carol');
    await visit(carol, ours, '/logout');
    expect(await ours.store.length()).toBe(2); // Ada's and Bob's: its documents are no sessions of ours
    await ours.close();
    // 1. koa-generic-session-mongo's documents are byte-for-byte what they were.
    expect(await foreignBytes()).toEqual(before);
    expect(await docs.countDocuments({ sid: { $exists: false } })).toBe(2); // Ada's and Bob's, ours

    // 3. Back on koa-generic-session-mongo.
    peer = await startPeer();
    // It makes sid_1 again at start-up. On mongod our two documents (no `sid`) are duplicates
    // of null there: the build fails and it emits `error` (an unhandled one without a listener);
    // it still serves its sessions. On FerretDB the index is made.
    if (onFerretDB) expect(peer.peerErrors).toEqual([]);
    else expect(peer.peerErrors).toEqual([expect.objectContaining({ code: 11000 })]);
    // Dave, away while ours ran, still holds its cookie: logged in, same values, counting on.
    expect(await visit(dave, peer, '/me')).toEqual(expected('dave', 0));
    expect(await visit(dave, peer, '/count')).toEqual({ count: 1 });
    // Ada's browser holds the cookie of her session on ours, which it does not read.
    expect(await visit(ada, peer, '/me')).toEqual({});
    row.back = '1/2 (the one away during the switch; the other lost its cookie on ours)';
    await peer.close();
    expect(failures.unhandledRejections).toEqual([]);
    expect(failures.uncaughtExceptions).toEqual([]);
  } finally {
    failures.stop();
    table.push(
      `koa-generic-session-mongo 0.4.0 (through the old-driver shim) | ${row.kept} (not read) | ${row.back} | ${row.sid1}`,
    );
  }
});
