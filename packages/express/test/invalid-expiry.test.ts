/**
 * A session cookie with an invalid expiry (express-session's own test "should forward
 * errors setting cookie": `cookie.expires = new Date(NaN)`, or `maxAge = NaN`): the store
 * writes the session once with its own lifetime (core option `ttlMs`) instead of rejecting
 * on an option the app never set, so the app sees at most the one error express-session
 * itself reports (it cannot serialize the cookie), and never one from the store.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import session from 'express-session';
import { MongoClient } from 'mongodb';
import { MongoStore } from '@mongo-session/express';
import { closeServer, CookieClient, listen, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import { sleep, SECRET } from './apps';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

const database = uniqueDatabaseName('express_invalid_expiry');
const COLLECTION = 'invalid_expiry';
/** The store's lifetime, far from the cookie's so the two cannot be mistaken for each other. */
const STORE_TTL_MS = 2 * 3_600_000;
const COOKIE_MAX_AGE_MS = 10 * 60_000;

const raw = new MongoClient(testUri(database));
let store: MongoStore;
let server: Server;
let baseUrl: string;

/** Per request (by the `x-case` header): handler calls, responses finished, errors that reached the app. */
interface Seen {
  handled: number;
  finished: number;
  errors: string[];
  sessionId?: string;
}
const seen = new Map<string, Seen>();
const seenFor = (key: string): Seen => {
  let entry = seen.get(key);
  if (!entry) {
    entry = { handled: 0, finished: 0, errors: [] };
    seen.set(key, entry);
  }
  return entry;
};

/**
 * Every error express-session passes to `next` reaches the app's final callback (as in
 * express-session's own tests): the route has answered by then, so each one lands here.
 */
function expiryServer(saveUninitialized: boolean, cookie: session.CookieOptions): Server {
  const app = expiryApp(saveUninitialized, cookie) as unknown as (
    req: IncomingMessage,
    res: ServerResponse,
    done: (error?: unknown) => void,
  ) => void;
  return createServer((req, res) =>
    app(req, res, (error) => {
      if (error) seenFor(String(req.headers['x-case'] ?? 'none')).errors.push((error as Error).message);
      if (res.headersSent) return;
      res.statusCode = error ? 500 : 404;
      res.end(error ? (error as Error).message : 'not found');
    }),
  );
}

function expiryApp(saveUninitialized: boolean, cookie: session.CookieOptions): express.Express {
  const app = express();
  app.use((req, res, next) => {
    const entry = seenFor(req.get('x-case') ?? 'none');
    res.on('finish', () => (entry.finished += 1));
    next();
  });
  app.use(session({ secret: SECRET, store, resave: false, saveUninitialized, cookie }));
  app.get('/login', (req, res) => {
    seenFor(req.get('x-case')!).handled += 1;
    seenFor(req.get('x-case')!).sessionId = req.sessionID;
    req.session.user = 'ada';
    res.json({ id: req.sessionID });
  });
  // The expiry turns invalid before the response: express-session cannot serialize the cookie.
  app.get('/invalid/:how', (req, res) => {
    const entry = seenFor(req.get('x-case')!);
    entry.handled += 1;
    entry.sessionId = req.sessionID;
    if (req.params['how'] === 'maxAge') req.session.cookie.maxAge = Number.NaN;
    else if (req.params['how'] === 'expires') req.session.cookie.expires = new Date(Number.NaN);
    if (req.query['modify'] !== undefined) req.session.user = String(req.query['modify']);
    res.json({ id: req.sessionID });
  });
  // The cookie goes out with a valid expiry first; the expiry turns invalid before the save.
  app.get('/invalid-after-headers/:how', (req, res) => {
    const entry = seenFor(req.get('x-case')!);
    entry.handled += 1;
    entry.sessionId = req.sessionID;
    req.session.user = 'ada';
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.params['how'] === 'maxAge') req.session.cookie.maxAge = Number.NaN;
    else req.session.cookie.expires = new Date(Number.NaN);
    res.end(JSON.stringify({ id: req.sessionID }));
  });
  return app;
}

/** The stored document's expiry, in ms from now. */
async function storedExpiresIn(sessionId: string): Promise<number> {
  const document = await raw.db().collection<{ _id: string; expires: Date }>(COLLECTION).findOne({ _id: sessionId });
  expect(document).not.toBeNull();
  expect(document!.expires).toBeInstanceOf(Date);
  return document!.expires.getTime() - Date.now();
}

const expectStoreLifetime = (ms: number) => {
  expect(ms).toBeGreaterThan(STORE_TTL_MS - 60_000);
  expect(ms).toBeLessThanOrEqual(STORE_TTL_MS);
};

/** One request under its own case key; waits for errors deferred past the response (express-session uses setImmediate). */
async function run(client: CookieClient, key: string, path: string) {
  const response = await client.get(path, { 'x-case': key });
  await sleep(300);
  return { response, seen: seenFor(key) };
}

beforeAll(async () => {
  store = new MongoStore({ uri: testUri(database), collection: COLLECTION, ttlMs: STORE_TTL_MS });
  store.on('error', () => undefined);
  store.on('warning', () => undefined);
});

afterAll(async () => {
  if (server) await closeServer(server);
  await store.close();
  await raw.db().dropDatabase();
  await raw.close();
});

describe('express-session with an invalid cookie expiry', () => {
  afterEach(async () => {
    if (server) await closeServer(server);
  });

  async function start(saveUninitialized: boolean, cookie: session.CookieOptions): Promise<CookieClient> {
    server = expiryServer(saveUninitialized, cookie);
    baseUrl = await listen(server);
    return new CookieClient(baseUrl);
  }

  it("express-session's 'should forward errors setting cookie': cookie option expires = new Date(NaN) gives one error, express-session's, and the store's lifetime", async () => {
    const failures = trackProcessFailures();
    try {
      const client = await start(true, { expires: new Date(Number.NaN) });
      const { response, seen: entry } = await run(client, 'option-expires', '/invalid/none');
      expect(response.status).toBe(200);
      expect(entry.handled).toBe(1);
      expect(entry.finished).toBe(1);
      expect(entry.errors).toEqual([expect.stringMatching(/^option expires is invalid/)]);
      expectStoreLifetime(await storedExpiresIn(entry.sessionId!));
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
    }
  });

  for (const how of ['expires', 'maxAge'] as const) {
    it(`req.session.cookie.${how} made invalid in the handler: one error, express-session's; the session is written with the store's lifetime`, async () => {
      const failures = trackProcessFailures();
      try {
        const client = await start(false, { maxAge: COOKIE_MAX_AGE_MS });
        const { response, seen: entry } = await run(client, `handler-${how}`, `/invalid/${how}?modify=grace`);
        expect(response.status).toBe(200);
        expect(response.json()).toEqual({ id: entry.sessionId });
        expect(entry.handled).toBe(1);
        expect(entry.finished).toBe(1);
        expect(entry.errors).toEqual([expect.stringMatching(/^option expires is invalid/)]);
        expectStoreLifetime(await storedExpiresIn(entry.sessionId!));
        expect(await store.get(entry.sessionId!)).toMatchObject({ user: 'grace' });
        expect(failures.unhandledRejections).toEqual([]);
        expect(failures.uncaughtExceptions).toEqual([]);
      } finally {
        failures.stop();
      }
    });

    it(`cookie.${how} made invalid after the cookie went out: no error at all, one response, the store's lifetime`, async () => {
      const failures = trackProcessFailures();
      try {
        const client = await start(false, { maxAge: COOKIE_MAX_AGE_MS });
        const { response, seen: entry } = await run(client, `after-headers-${how}`, `/invalid-after-headers/${how}`);
        expect(response.status).toBe(200);
        expect(response.json()).toEqual({ id: entry.sessionId });
        expect(await client.cookie('connect.sid')).toBeDefined();
        expect(entry.handled).toBe(1);
        expect(entry.finished).toBe(1);
        expect(entry.errors).toEqual([]);
        expectStoreLifetime(await storedExpiresIn(entry.sessionId!));
        expect(await store.get(entry.sessionId!)).toMatchObject({ user: 'ada' });
        expect(failures.unhandledRejections).toEqual([]);
        expect(failures.uncaughtExceptions).toEqual([]);
      } finally {
        failures.stop();
      }
    });

    it(`an unmodified session whose cookie.${how} turns invalid is touched to the store's lifetime, with no error`, async () => {
      const failures = trackProcessFailures();
      try {
        const client = await start(false, { maxAge: COOKIE_MAX_AGE_MS });
        const login = await run(client, `touch-login-${how}`, '/login');
        expect(login.response.status).toBe(200);
        const id = login.seen.sessionId!;
        // Written with the cookie's lifetime first.
        const before = await storedExpiresIn(id);
        expect(before).toBeLessThanOrEqual(COOKIE_MAX_AGE_MS);
        const { response, seen: entry } = await run(client, `touch-${how}`, `/invalid/${how}`);
        expect(response.status).toBe(200);
        expect(entry.sessionId).toBe(id);
        expect(entry.handled).toBe(1);
        expect(entry.finished).toBe(1);
        expect(entry.errors).toEqual([]);
        expectStoreLifetime(await storedExpiresIn(id));
        expect(failures.unhandledRejections).toEqual([]);
        expect(failures.uncaughtExceptions).toEqual([]);
      } finally {
        failures.stop();
      }
    });
  }
});

describe('store calls with an invalid cookie expiry (connect, @fastify/session and direct callers)', () => {
  const bodies: [string, Record<string, unknown>][] = [
    ['expires: Invalid Date', { expires: new Date(Number.NaN) }],
    ['expires: unparsable string', { expires: 'not a date' }],
    ['maxAge: NaN', { maxAge: Number.NaN }],
    ['maxAge: Infinity', { maxAge: Number.POSITIVE_INFINITY }],
    ['maxAge: -Infinity', { maxAge: Number.NEGATIVE_INFINITY }],
    ['expires: Invalid Date, maxAge: NaN', { expires: new Date(Number.NaN), maxAge: Number.NaN }],
  ];
  for (const [label, cookie] of bodies) {
    it(`${label}: set and touch call back once, with no error, and write the store's lifetime`, async () => {
      const failures = trackProcessFailures();
      try {
        const id = `direct-${label.replace(/\W+/g, '-')}`;
        const setCalls: unknown[] = [];
        store.set(id, { cookie, n: 1 } as never, (error) => setCalls.push(error));
        await sleep(500);
        expect(setCalls).toEqual([null]);
        expectStoreLifetime(await storedExpiresIn(id));
        expect(await store.get(id)).toMatchObject({ n: 1 });

        await raw
          .db()
          .collection<{ _id: string }>(COLLECTION)
          .updateOne({ _id: id }, { $set: { expires: new Date(Date.now() + 60_000) } });
        const touchCalls: unknown[] = [];
        store.touch(id, { cookie, n: 1 } as never, (error) => touchCalls.push(error));
        await sleep(500);
        expect(touchCalls).toEqual([null]);
        expectStoreLifetime(await storedExpiresIn(id));
        await expect(store.set(id, { cookie, n: 2 } as never)).resolves.toBeUndefined();
        expect(failures.unhandledRejections).toEqual([]);
        expect(failures.uncaughtExceptions).toEqual([]);
      } finally {
        failures.stop();
      }
    });
  }
});
