/**
 * Hostile and broken input through MongoSess on plain http (issue 9, part 1):
 * forged and odd cookie values, hostile JSON bodies and hand-corrupted
 * documents, all over HTTP (the store API is the core's, tested there).
 */
import { createServer } from 'node:http';
import { MongoClient } from 'mongodb';
import MongoSess from '@mongo-session/standalone';
import { CookieClient, closeServer, listen, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  CANARY,
  CORRUPT_CASES,
  FORGED_COOKIE_VALUES,
  assertNoCanary,
  afterEachCase,
} from '@mongo-session/test-utils/hostile-corpus';

const database = uniqueDatabaseName('standalone_hostile');
const uri = testUri(database);
const raw = new MongoClient(uri);
const events: { event: string; payload: unknown[] }[] = [];
const failures = trackProcessFailures();

/** /set?v=<json> sets keys; anything else reads. Errors answer with their code only. */
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://app');
  const s = MongoSess(req, res);
  const run = async () => {
    if (url.pathname === '/set') await s.set(JSON.parse(url.searchParams.get('v') ?? '{}') as Record<string, unknown>);
    const whole = (await s.get()) as Record<string, unknown> | null;
    if (!whole) return null;
    const { _id, createdAt, ...data } = whole;
    return data;
  };
  run().then(
    (data) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(data)),
    (error: { code?: string }) => res.writeHead(500).end(JSON.stringify({ error: error.code ?? 'untyped' })),
  );
});
let baseUrl = '';
let sentinel: CookieClient;

beforeAll(async () => {
  await MongoSess.connect({ uri, collection: 'hostile', autoRemove: 'interval' });
  for (const event of ['warning', 'error', 'create', 'update', 'touch', 'destroy'] as const) {
    MongoSess.store!.on(event, (...payload: unknown[]) => events.push({ event, payload }));
  }
  baseUrl = await listen(server);
  sentinel = new CookieClient(baseUrl);
  await sentinel.get(`/set?v=${encodeURIComponent('{"sentinel":"alive"}')}`);
});

afterEachCase(
  { beforeEach, afterEach },
  {
    events,
    failures,
    stillWorking: async () => {
      expect((await sentinel.get('/get')).json()).toEqual({ sentinel: 'alive' });
    },
  },
);

afterAll(async () => {
  failures.stop();
  await closeServer(server);
  await MongoSess.close();
  await raw.db().dropDatabase();
  await raw.close();
});

it('forged and odd cookie values: no session, never an error', async () => {
  for (const value of [...FORGED_COOKIE_VALUES, 'sentinel', `${(await sentinel.cookie('sess'))!}x`]) {
    const res = await new CookieClient(baseUrl).get('/get', { cookie: `sess=${value}` });
    expect(res.status).toBe(200);
    expect(res.json()).toBeNull();
  }
});

const deep = `${'{"n":'.repeat(1000)}"${CANARY}"${'}'.repeat(1000)}`;
it.each([
  [
    '__proto__ and constructor keys',
    `{"__proto__": {"polluted": "${CANARY}"}, "constructor": {"prototype": {"polluted": 1}}}`,
    200,
  ],
  ['$- and .-keys', `{"$where": "${CANARY}", "a.b": {"$ne": null}}`, 200],
  ['nested 1,000 deep', deep, 500],
  ['over 16 MiB (sent in pieces is not possible over a URL: 1 MiB here)', JSON.stringify({ s: 'x'.repeat(1024 * 1024) }), 431],
])('hostile JSON body: %s', async (_name, json, status) => {
  const client = new CookieClient(baseUrl);
  const res = await client.get(`/set?v=${encodeURIComponent(json)}`);
  expect(res.status).toBe(status);
  if (status !== 200) assertNoCanary(res.text, 'error response');
  if (status === 500) expect(res.json()).toEqual({ error: 'MONGO_SESSION_SERIALIZATION' });
  if (status === 200) expect(res.json()).toEqual(JSON.parse(json));
});

it.each(CORRUPT_CASES.map((c, i) => [c.name, c, i] as const))('corrupted document: %s', async (_name, row, i) => {
  const id = `corrupt${String(i).padStart(2, '0')}-${'x'.repeat(16)}`;
  const document = Object.fromEntries(Object.entries(row.document(new Date())).filter(([, v]) => v !== undefined));
  await raw
    .db()
    .collection('hostile')
    .insertOne({ ...document, _id: id } as never);
  const before = events.length;
  const res = await new CookieClient(baseUrl).get('/get', { cookie: `sess=${id}` });
  expect(res.status).toBe(200);
  const corrupt = events
    .slice(before)
    .some((e) => e.event === 'warning' && (e.payload[0] as { code?: string }).code === 'CORRUPT_DOCUMENT');
  if (row.outcome === 'corrupt' || row.outcome === 'expired') {
    expect(res.json()).toBeNull();
    expect(corrupt).toBe(row.outcome === 'corrupt');
  } else {
    expect(res.json()).toMatchObject(JSON.parse(JSON.stringify(row.outcome.readable)) as Record<string, unknown>);
  }
  await raw
    .db()
    .collection('hostile')
    .deleteOne({ _id: id } as never);
});
