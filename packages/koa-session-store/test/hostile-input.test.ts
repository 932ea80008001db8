/**
 * Hostile and broken input through the koa-session-store layer (issue 9,
 * part 1): the shared ids and corrupted documents through load / save /
 * remove, bodies as the JSON strings koa-session-store hands over, and forged
 * cookies over HTTP. koa-session-store keeps `{"_sid": ...}` as JSON in its
 * cookie; unsigned here, so a forged `_sid` of any JSON type reaches the layer.
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import convert from 'koa-convert';
import { MongoClient } from 'mongodb';
import { create } from '@mongo-session/koa-session-store';
import { CookieClient, closeServer, listen, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  type AdapterUnderTest,
  type BodyCase,
  CANARY,
  CORRUPT_CASES,
  ID_CASES,
  afterEachCase,
  checkBodyCase,
  checkCorruptCase,
  checkIdCase,
} from '@mongo-session/test-utils/hostile-corpus';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sessionMiddleware = require('koa-session-store') as (options?: {
  store?: unknown;
  cookie?: Record<string, unknown>;
}) => any;

const database = uniqueDatabaseName('kss_hostile');
const uri = testUri(database);
const raw = new MongoClient(uri);
const store = create({ uri, collection: 'hostile', autoRemove: 'interval' });
const events: { event: string; payload: unknown[] }[] = [];
for (const event of ['warning', 'error', 'create', 'update', 'touch', 'destroy'] as const) {
  store.on(event, (...payload: unknown[]) => events.push({ event, payload }));
}
const failures = trackProcessFailures();

const adapter: AdapterUnderTest = {
  name: 'koa-session-store layer',
  get: async (id) => {
    const json = await store.load(id as string);
    return json === undefined ? undefined : (JSON.parse(json) as unknown);
  },
  // The framework hands the layer JSON text; objects are turned into it here.
  set: (id, body) => store.save(id as string, typeof body === 'string' ? body : JSON.stringify(body)),
  destroy: (id) => store.remove(id as string),
  // A refused id is a forged cookie's: no session, and removing it succeeds (koa-session-store then clears the cookie).
  invalidIdOnGet: 'null',
  invalidIdOnDestroy: 'resolve',
  insertRaw: async (document) =>
    void (await raw
      .db()
      .collection('hostile')
      .insertOne(document as never)),
  events,
};

const refused = { kind: 'serialization-error' } as const;
const text = (name: string, json: string, outcome: BodyCase['outcome']['lossless']): BodyCase => ({
  name,
  make: () => json,
  outcome: { lossless: outcome, json: outcome },
});
const protoJson = `{"__proto__": {"polluted": "${CANARY}"}, "constructor": {"prototype": {"polluted": 1}}}`;
const deep = `${'{"n":'.repeat(1000)}"${CANARY}"${'}'.repeat(1000)}`;
/** What koa-session-store can hand the layer: JSON text. */
const LAYER_BODIES: BodyCase[] = [
  text('not JSON', `{"a": "${CANARY}"`, refused),
  text('empty string', '', refused),
  text('JSON null', 'null', refused),
  text('JSON array', `["${CANARY}"]`, refused),
  text('JSON string', `"${CANARY}"`, refused),
  text('JSON number', '42', refused),
  text('nested 1,000 deep', deep, refused),
  text('over 16 MiB', JSON.stringify({ canary: CANARY, s: 'x'.repeat(17 * 1024 * 1024) }), refused),
  text('__proto__ and constructor keys', protoJson, {
    kind: 'stored',
    expected: JSON.parse(protoJson) as Record<string, unknown>,
  }),
  text('$- and .-keys', `{"$where": "${CANARY}", "a.b": {"$ne": null}}`, {
    kind: 'stored',
    expected: { $where: CANARY, 'a.b': { $ne: null } },
  }),
  text('huge array', JSON.stringify({ list: Array.from({ length: 100_000 }, (_, i) => i) }), {
    kind: 'stored',
    expected: { list: Array.from({ length: 100_000 }, (_, i) => i) },
  }),
];

const server = (() => {
  const app = new Koa();
  app.keys = ['a koa secret'];
  app.on('error', () => undefined);
  app.use(convert(sessionMiddleware({ store, cookie: { signed: false } })));
  app.use(async (c) => {
    const url = new URL(c.url, 'http://app');
    const s = (c as unknown as { session: Record<string, unknown> }).session;
    if (url.pathname === '/set') for (const [k, v] of url.searchParams) s[k] = v;
    c.body = s;
  });
  return createServer(app.callback());
})();
let sentinel: CookieClient;
let baseUrl = '';

beforeAll(async () => {
  await store.save('sentinel', JSON.stringify({ sentinel: 'alive' }));
  baseUrl = await listen(server);
  sentinel = new CookieClient(baseUrl);
  await sentinel.get('/set?sentinel=http');
});

afterEachCase(
  { beforeEach, afterEach },
  {
    events,
    failures,
    stillWorking: async () => {
      expect(await adapter.get('sentinel')).toEqual({ sentinel: 'alive' });
      expect((await sentinel.get('/get')).json()).toEqual({ sentinel: 'http' });
    },
  },
);

afterAll(async () => {
  failures.stop();
  await closeServer(server);
  await store.close();
  await raw.db().dropDatabase();
  await raw.close();
});

describe('layer API (load / save / remove)', () => {
  // The shared rows, except that saving under a refused id resolves and stores nothing (checked below):
  // koa-session-store saves under its cookie's id, so refusing it would answer 500 to a forged cookie.
  const refusedIdRows: AdapterUnderTest = { ...adapter, set: undefined };
  for (const row of ID_CASES)
    it(`id: ${row.name}`, () => checkIdCase(row.outcome === 'invalid-id' ? refusedIdRows : adapter, row));
  LAYER_BODIES.forEach((row, i) => it(`body: ${row.name}`, () => checkBodyCase(adapter, row, `body-${i}`)));
  CORRUPT_CASES.forEach((row, i) => it(`corrupted document: ${row.name}`, () => checkCorruptCase(adapter, row, `corrupt-${i}`)));

  it('a refused id gets a working session of its own, stored under a digest of it, never under the value itself', async () => {
    const invalid = ID_CASES.filter((row) => row.outcome === 'invalid-id');
    for (const [i, row] of invalid.entries()) {
      await store.save(row.id as string, JSON.stringify({ n: i }));
      expect(await store.load(row.id as string)).toBe(JSON.stringify({ n: i }));
    }
    const stored = await raw
      .db()
      .collection('hostile')
      .find({ _id: { $regex: '^refused-id:' } } as never)
      .toArray();
    expect(stored.length).toBeGreaterThan(0);
    for (const doc of stored) expect(String(doc._id)).toMatch(/^refused-id:[A-Za-z0-9_-]{43}$/);
    for (const row of invalid) await store.remove(row.id as string);
    expect(
      await raw
        .db()
        .collection('hostile')
        .countDocuments({ _id: { $regex: '^refused-id:' } } as never),
    ).toBe(0);
  });
});

it('forged cookies with a _sid of any JSON type: never another session, never a crash', async () => {
  const forged = ID_CASES.filter(
    (c) => c.id !== undefined && typeof c.id !== 'bigint' && typeof c.id !== 'symbol' && typeof c.id !== 'function',
  )
    .map((c) => JSON.stringify({ _sid: c.id }))
    .filter((v) => v.length <= 4096 && !/[;\s\u0000-\u001f\u007f-\uffff]/.test(v));
  forged.push(JSON.stringify({ _sid: 'sentinel' }).replace('sentinel', 'sentinel\\u0000'), '{not json', '[]', 'null');
  const statuses: Record<number, number> = {};
  for (const value of forged) {
    const res = await new CookieClient(baseUrl).get('/get', { cookie: `koa:sess=${value}` });
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    // koa-session-store itself answers 500 when its cookie is not JSON or not an object; an id the store refuses is no session.
    expect(res.status).toBe(['{not json', 'null'].includes(value) ? 500 : 200);
    expect(res.text).not.toContain('alive');
    expect(res.text).not.toContain('http');
    if (res.status === 200) expect(res.json()).toEqual({});
  }
  console.log(`koa-session-store: ${forged.length} forged cookies -> statuses ${JSON.stringify(statuses)}`);
});
