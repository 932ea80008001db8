/**
 * Switching from koa-session-mongo and back, with nobody logged out: real Koa 3 apps
 * (koa-convert + koa-session-store) on the real koa-session-mongo 1.1.0 and on ours,
 * taking turns on one collection:
 *
 *   koa-session-mongo -> ours -> koa-session-mongo (rollback) -> ours with adoptPeerDocuments
 *
 * koa-session-mongo bundles mongodb ~2.0, which cannot talk to a modern server: it runs
 * through `fixtures/old-driver-shim.ts` (the old driver's calls on the modern driver), so
 * its own code decides what it reads and writes. It always uses the collection "sessions"
 * (`defaultOptions.collection || options.collection`), hence a database of its own here.
 *
 * Ada logs in on koa-session-mongo, Bob on ours; both stay logged in at every step and
 * read back equal values (nested arrays, dotted keys, Dates as koa-session-store's JSON
 * strings, unicode, counters). Until adopting, every document stays in koa-session-mongo's
 * shape `{ _id, blob: "<JSON>", updatedAt }`, which is what lets it read them after the rollback.
 */
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import convert from 'koa-convert';
import { MongoClient, type Document } from 'mongodb';
import { closeConnections, create } from '@mongo-session/koa-session-store';
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
import { LegacyDb } from './fixtures/old-driver-shim';

/* eslint-disable @typescript-eslint/no-require-imports */
const sessionMiddleware = require('koa-session-store') as (options?: { store?: unknown }) => any;
const koaSessionMongo = require('koa-session-mongo') as { create(options: { db: LegacyDb; expirationTime?: number }): unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

const database = uniqueDatabaseName('kss_migration');
const uri = testUri(database);
const raw = new MongoClient(uri);
const docs = raw.db().collection<Document>('sessions');
const onFerretDB = testServer().kind === 'ferretdb';
/** koa-session-mongo's `url` form, `mongodb://host:port/<db>/<collection>`: what a user of it already has. */
const url = (() => {
  const u = new URL(uri);
  u.pathname = `/${database}/sessions`;
  return u.toString();
})();

afterAll(async () => {
  await closeConnections();
  await raw.db().dropDatabase();
  await raw.close();
});

/** What a logged-in user keeps in the session (koa-session-store stores JSON: it keeps all of it, Dates as strings). */
const richValues = (user: string) => migrationValues(user, { nestedArraysAndDottedKeys: true });
const expected = (user: string, count: number) => migrationValuesAsJson(richValues(user), count);

interface Running {
  baseUrl: string;
  close(): Promise<void>;
}

/** A Koa 3 app: /login stores the rich values, /count increments a counter, /me shows the session. */
async function start(store: unknown, closeStore: () => Promise<void>): Promise<Running> {
  const app = new Koa();
  app.keys = ['some secret key'];
  // koa-session-store is generator middleware: converted for Koa 3.
  app.use(convert(sessionMiddleware({ store })));
  app.use(async (ctx) => {
    const s = (ctx as any).session as Record<string, any>;
    if (ctx.path.startsWith('/login/')) {
      Object.assign(s, richValues(ctx.path.slice('/login/'.length)), { count: 0 });
      ctx.body = { ok: true };
    } else if (ctx.path === '/count') {
      s['count'] = (s['count'] ?? 0) + 1;
      ctx.body = { count: s['count'] };
    } else {
      ctx.body = s;
    }
  });
  const server: Server = createServer(app.callback());
  const baseUrl = await listen(server);
  return {
    baseUrl,
    close: async () => {
      await closeServer(server);
      await closeStore();
    },
  };
}

/** koa-session-mongo 1.1.0 itself, on a Db of the old driver's API (its `db` option accepts one). */
function startPeer(): Promise<Running> & { legacy: LegacyDb } {
  const legacy = new LegacyDb(uri);
  const running = start(koaSessionMongo.create({ db: legacy }), () => legacy.closeNow());
  return Object.assign(running, { legacy });
}

function startOurs(adoptPeerDocuments: boolean): Promise<Running> {
  const store = create({ url, ...(adoptPeerDocuments ? { adoptPeerDocuments } : {}) });
  store.on('warning', () => undefined); // no TTL index on FerretDB: the sweep takes over
  return start(store, () => store.close());
}

/** One browser: its cookies (host-wide, whatever the port) go to whichever app runs now. */
async function visit(user: CookieClient, app: Running, path: string): Promise<Record<string, unknown>> {
  const response = await user.get(new URL(path, app.baseUrl).toString());
  expect(response.status).toBe(200);
  return response.json<Record<string, unknown>>();
}

/**
 * koa-session-mongo's shape, which it reads back: a JSON string and the time of the last write.
 * A session created by ours also has `createdAt`, which koa-session-mongo never reads (its next
 * save replaces the whole document).
 */
function expectPeerShape(doc: Document): void {
  expect(
    Object.keys(doc)
      .filter((key) => key !== 'createdAt')
      .sort(),
  ).toEqual(['_id', 'blob', 'updatedAt']);
  expect(typeof doc['blob']).toBe('string');
  expect(doc['updatedAt']).toBeInstanceOf(Date);
}

const table: string[] = [];
afterAll(() => console.log(`peer | users kept after switch | after switch-back | after adopting\n${table.join('\n')}`));

it('koa-session-mongo -> ours -> koa-session-mongo -> ours adopting: every user stays logged in with equal values', async () => {
  const failures = trackProcessFailures();
  const kept: number[] = [];
  const ada = new CookieClient('http://127.0.0.1/');
  const bob = new CookieClient('http://127.0.0.1/');
  const keptNow = async (app: Running, adaCount: number, bobCount: number) =>
    Number(JSON.stringify(await visit(ada, app, '/me')) === JSON.stringify(expected('ada', adaCount))) +
    Number(JSON.stringify(await visit(bob, app, '/me')) === JSON.stringify(expected('bob', bobCount)));
  try {
    // 1. On koa-session-mongo: Ada logs in.
    const peer = startPeer();
    let app = await peer;
    await visit(ada, app, '/login/ada');
    expect(await visit(ada, app, '/me')).toEqual(expected('ada', 0));
    const [adaDoc] = await docs.find().toArray();
    expectPeerShape(adaDoc!);
    expect(JSON.parse(adaDoc!['blob'] as string)).toEqual(expected('ada', 0));
    // FerretDB refuses koa-session-mongo's TTL index on updatedAt (mongod builds it).
    expect(peer.legacy.passedOver).toEqual(onFerretDB ? ['{"updatedAt":1}'] : []);
    await app.close();

    // 2. On ours, same database and collection: Ada is still logged in and counts; Bob logs in.
    //    Both documents stay in koa-session-mongo's shape (Bob's too: the collection holds its documents).
    app = await startOurs(false);
    expect(await visit(ada, app, '/me')).toEqual(expected('ada', 0));
    expect(await visit(ada, app, '/count')).toEqual({ count: 1 });
    await visit(bob, app, '/login/bob');
    expect(await visit(bob, app, '/count')).toEqual({ count: 1 });
    const afterOurs = await docs.find().toArray();
    expect(afterOurs).toHaveLength(2);
    for (const doc of afterOurs) expectPeerShape(doc);
    kept.push(await keptNow(app, 1, 1));
    await app.close();

    // 3. Back on koa-session-mongo: both still logged in, values equal, and they keep counting.
    app = await startPeer();
    expect(await visit(ada, app, '/me')).toEqual(expected('ada', 1));
    expect(await visit(bob, app, '/me')).toEqual(expected('bob', 1));
    expect(await visit(ada, app, '/count')).toEqual({ count: 2 });
    kept.push(await keptNow(app, 2, 1));
    await app.close();
    for (const doc of await docs.find().toArray()) expectPeerShape(doc);

    // 4. On ours with adoptPeerDocuments: still logged in; each document is ours after its next write.
    app = await startOurs(true);
    expect(await visit(ada, app, '/me')).toEqual(expected('ada', 2));
    expect(await visit(ada, app, '/count')).toEqual({ count: 3 });
    expect(await visit(bob, app, '/count')).toEqual({ count: 2 });
    const adopted = await docs.find().toArray();
    expect(adopted).toHaveLength(2);
    for (const doc of adopted) {
      expect(doc).toMatchObject({ v: 1, createdAt: expect.any(Date), expires: expect.any(Date) });
      expect(doc['blob']).toBeUndefined();
      expect(typeof doc['session']).toBe('object'); // our format: the body as a subdocument
    }
    kept.push(await keptNow(app, 3, 2));
    await app.close();
    expect(failures.unhandledRejections).toEqual([]);
    expect(failures.uncaughtExceptions).toEqual([]);
  } finally {
    failures.stop();
    table.push(
      `koa-session-mongo 1.1.0 (through the old-driver shim) | ${kept[0] ?? '-'}/2 | ${kept[1] ?? '-'}/2 | ${kept[2] ?? '-'}/2`,
    );
  }
});
