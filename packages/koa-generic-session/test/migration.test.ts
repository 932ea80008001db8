/**
 * Switching from koa-generic-session-mongo 0.4.0 and back, with nobody logged out: real Koa 3
 * apps with koa-generic-session 2.3.1, on the real koa-generic-session-mongo and on ours,
 * taking turns on one collection:
 *
 *   koa-generic-session-mongo -> ours -> koa-generic-session-mongo -> ours with adoptPeerDocuments
 *
 * koa-generic-session-mongo writes `{ _id: ObjectId, sid: "koa:sess:<sid>", ...the session's
 * keys, ttl: Date }` and finds sessions by `sid` (unique index `sid_1`). The core reads these
 * documents (a miss by `_id` is looked up by `sid` while the collection has that index) and,
 * until `adoptPeerDocuments`, writes them back in that shape, new sessions included (`_id` is the
 * session id, `sid` the same), so every document keeps a `sid` and the unique index never sees
 * a missing one. Adopting moves each document, on its next write, to our format under the
 * session id; `sid_1` is dropped first (the documented step: on mongod our documents, which
 * have no `sid`, would be duplicates of null there).
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
import { migrationValues, migrationValuesAsJson } from '@mongo-session/test-utils/migration';
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

/** What a logged-in user keeps in the session: its keys sit at the top level of koa-generic-session-mongo's documents. */
const richValues = (user: string) => migrationValues(user, { nestedArraysAndDottedKeys: !onFerretDB });
const expected = (user: string, count: number) => migrationValuesAsJson(richValues(user), count);

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

async function startOurs(
  options: { adoptPeerDocuments?: boolean } = {},
): Promise<Running & { store: InstanceType<typeof MongoDBStore> }> {
  const store = new MongoDBStore({ uri, collection: 'sessions', ...options });
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

/** The document of one browser's session, found by the id in its cookie. */
async function docOf(user: CookieClient): Promise<Document | null> {
  const sid = await user.cookie('koa.sid');
  return sid ? docs.findOne({ $or: [{ sid: `koa:sess:${sid}` }, { _id: `koa:sess:${sid}` as never }] }) : null;
}

/** A document in koa-generic-session-mongo's shape: no `v`, the keys at the top level, `sid` and `ttl`. */
function expectPeerShape(doc: Document | null, user: string): void {
  expect(doc).toMatchObject({
    sid: expect.stringMatching(/^koa:sess:/),
    user,
    cookie: expect.any(Object),
    ttl: expect.any(Date),
  });
  expect(doc!['v']).toBeUndefined();
  expect(doc!['session']).toBeUndefined();
  expect(doc!['createdAt']).toBeUndefined(); // it would read one as a session key
}

const table: string[] = [];
afterAll(() => console.log(`peer | users kept after switch | after switch-back | after adopting\n${table.join('\n')}`));

it('koa-generic-session-mongo -> ours -> koa-generic-session-mongo -> ours adopting: every user logged in, values equal', async () => {
  const failures = trackProcessFailures();
  const ada = new CookieClient('http://127.0.0.1/'); // logs in on the peer, counts on every store
  const dave = new CookieClient('http://127.0.0.1/'); // logs in on the peer, away while ours runs
  const bob = new CookieClient('http://127.0.0.1/'); // logs in on ours
  const carol = new CookieClient('http://127.0.0.1/'); // logs in on the peer, logs out on ours
  const kept: string[] = [];
  try {
    // 1. On koa-generic-session-mongo.
    let peer = await startPeer();
    await visit(ada, peer, '/login/ada');
    expect(await visit(ada, peer, '/count')).toEqual({ count: 1 });
    await visit(dave, peer, '/login/dave');
    await visit(carol, peer, '/login/carol');
    const written = await docs.find().toArray();
    expect(written).toHaveLength(3);
    for (const doc of written) {
      expectPeerShape(doc, doc['user']);
      expect(doc['_id']?.constructor?.name).toBe('ObjectId');
    }
    expect((await docs.listIndexes().toArray()).find((index) => index['name'] === 'sid_1')?.['unique']).toBe(true);
    // FerretDB refuses its TTL index on `ttl` (mongod builds it).
    expect(peer.legacy.passedOver).toEqual(onFerretDB ? ['{"ttl":1}'] : []);
    expect(peer.peerErrors).toEqual([]);
    await peer.close();
    const adaObjectId = (await docOf(ada))!['_id'];

    // 2. On ours, sid_1 in place: everyone still logged in.
    let ours = await startOurs();
    expect(await visit(ada, ours, '/me')).toEqual(expected('ada', 1));
    expect(await visit(carol, ours, '/me')).toEqual(expected('carol', 0));
    expect(await visit(ada, ours, '/count')).toEqual({ count: 2 });
    // Written back in place, in its shape: same ObjectId, no `v`.
    const adaDoc = await docOf(ada);
    expectPeerShape(adaDoc, 'ada');
    expect(adaDoc!['_id']).toEqual(adaObjectId);
    expect(adaDoc!['count']).toBe(2);
    // A new session on ours takes the same shape, under its own id.
    await visit(bob, ours, '/login/bob');
    expect(await visit(bob, ours, '/count')).toEqual({ count: 1 });
    const bobDoc = await docOf(bob);
    expectPeerShape(bobDoc, 'bob');
    expect(bobDoc!['_id']).toBe(bobDoc!['sid']);
    // Carol logs out on ours: her document goes.
    await visit(carol, ours, '/logout');
    expect(await docs.countDocuments({ user: 'carol' })).toBe(0);
    expect(await ours.store.length()).toBe(3); // Ada's, Dave's (theirs) and Bob's
    expect(ours.errors).toEqual([]);
    kept.push(`${[await visit(dave, ours, '/me'), await visit(ada, ours, '/me')].filter((me) => me['user']).length}/2`);
    await ours.close();

    // 3. Back on koa-generic-session-mongo: everyone logged in, with what ours wrote.
    peer = await startPeer();
    expect(peer.peerErrors).toEqual([]); // sid_1 rebuilt: every document has a `sid`
    expect(await visit(ada, peer, '/me')).toEqual(expected('ada', 2));
    expect(await visit(dave, peer, '/me')).toEqual(expected('dave', 0));
    expect(await visit(bob, peer, '/me')).toEqual(expected('bob', 1));
    expect(await visit(carol, peer, '/me')).toEqual({}); // logged out on ours: logged out here
    expect(await visit(ada, peer, '/count')).toEqual({ count: 3 });
    expect(await visit(bob, peer, '/count')).toEqual({ count: 2 });
    kept.push('3/3');
    await peer.close();

    // 4. Ours with adoptPeerDocuments, sid_1 dropped first (the documented last step).
    await docs.dropIndex('sid_1');
    ours = await startOurs({ adoptPeerDocuments: true });
    expect(await visit(ada, ours, '/count')).toEqual({ count: 4 });
    expect(await visit(bob, ours, '/count')).toEqual({ count: 3 });
    expect(await visit(dave, ours, '/count')).toEqual({ count: 1 });
    for (const [user, name, count] of [
      [ada, 'ada', 4],
      [bob, 'bob', 3],
      [dave, 'dave', 1],
    ] as const) {
      expect(await visit(user, ours, '/me')).toEqual(expected(name, count));
      const doc = await docOf(user);
      // Ours now: under the session id, the body in `session`, nothing of the peer's shape left.
      expect(typeof doc!['_id']).toBe('string');
      expect(doc).toMatchObject({ v: 1, session: expect.any(Object), expires: expect.any(Date) });
      for (const field of ['sid', 'ttl', 'user', 'count', 'cookie']) expect(doc![field]).toBeUndefined();
    }
    expect(await docs.countDocuments({ sid: { $exists: true } })).toBe(0);
    expect(await ours.store.length()).toBe(3);
    expect(ours.errors).toEqual([]);
    kept.push('3/3');
    await ours.close();
    expect(failures.unhandledRejections).toEqual([]);
    expect(failures.uncaughtExceptions).toEqual([]);
  } finally {
    failures.stop();
    table.push(
      `koa-generic-session-mongo 0.4.0 (through the old-driver shim) | ${kept[0] ?? '-'} | ${kept[1] ?? '-'} | ${kept[2] ?? '-'}`,
    );
  }
});
