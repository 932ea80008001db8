/**
 * express-session in front of a hung server (connections accepted, nothing answered):
 * every request answers within the store's deadline plus 1 s, the app never crashes,
 * and the same cookie's session is back within 3 s of the server answering again.
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
  MongoProxy,
  testUri,
  trackProcessFailures,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';
import { sleep, SECRET } from './apps';

declare module 'express-session' {
  interface SessionData {
    user: string;
  }
}

const database = uniqueDatabaseName('express_hung');
const DEADLINE_MS = 1500;
let proxy: MongoProxy;
let store: MongoStore;
let server: Server;
let base: string;

beforeAll(async () => {
  proxy = await MongoProxy.fromUri(testUri(database));
  store = new MongoStore({
    uri: proxy.uri(database),
    collection: 'hung',
    autoRemove: 'interval',
    operationTimeoutMs: DEADLINE_MS,
  });
  store.on('warning', () => undefined);
  const app = express();
  app.use(session({ secret: SECRET, store, resave: false, saveUninitialized: false }));
  app.get('/login', (req, res) => {
    req.session.user = 'ada';
    res.json({ ok: true });
  });
  app.get('/whoami', (req, res) => {
    // The README's guard: no req.session while the store is unavailable.
    if (!req.session) {
      res.status(503).json({ unavailable: true });
      return;
    }
    res.json({ user: req.session.user ?? null });
  });
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: true });
  });
  server = createServer(app);
  base = await listen(server);
});

afterAll(async () => {
  proxy.forward();
  await closeServer(server);
  await store.close();
  await proxy.close();
  const raw = new MongoClient(testUri(database));
  await raw.db().dropDatabase();
  await raw.close();
});

/** A request, or `undefined` when no answer came within `limitMs` (so a hang fails fast instead of timing the test out). */
async function within(client: CookieClient, path: string, limitMs: number): Promise<{ status: number; ms: number } | undefined> {
  const started = Date.now();
  const answer = client.get(path).then((r) => ({ status: r.status, ms: Date.now() - started }));
  answer.catch(() => undefined);
  return Promise.race([answer, sleep(limitMs).then(() => undefined)]);
}

it('answers every request within the deadline + 1 s while the server hangs, then serves the same sessions within 3 s', async () => {
  const failures = trackProcessFailures();
  const clients = Array.from({ length: 6 }, () => new CookieClient(base));
  try {
    for (const client of clients) expect((await client.get('/login')).status).toBe(200);

    proxy.blackHole();
    const hungUntil = Date.now() + 6000;
    const answers: ({ status: number; ms: number } | undefined)[] = [];
    await Promise.all(
      clients.map(async (client) => {
        while (Date.now() < hungUntil) answers.push(await within(client, '/whoami', DEADLINE_MS + 1000 + 500));
      }),
    );
    const slowest = Math.max(...answers.map((a) => a?.ms ?? Infinity));
    expect(answers.length).toBeGreaterThan(6);
    expect(answers.every((a) => a !== undefined && a.ms <= DEADLINE_MS + 1000)).toBe(true);
    expect(answers.every((a) => a!.status === 503 || a!.status === 500)).toBe(true);

    const healed = Date.now();
    proxy.forward();
    let recoveredMs = -1;
    while (Date.now() - healed < 10_000) {
      const response = await clients[0]!.get('/whoami');
      if (response.status === 200) {
        expect(response.json()).toEqual({ user: 'ada' });
        recoveredMs = Date.now() - healed;
        break;
      }
      await sleep(100);
    }
    for (const client of clients) expect((await client.get('/whoami')).json()).toEqual({ user: 'ada' });
    console.log(
      `hung server behind express: ${answers.length} requests, slowest ${slowest} ms; sessions back ${recoveredMs} ms after the server answered`,
    );
    expect(recoveredMs).toBeGreaterThanOrEqual(0);
    expect(recoveredMs).toBeLessThan(3000);
    expect(failures.unhandledRejections).toEqual([]);
    expect(failures.uncaughtExceptions).toEqual([]);
  } finally {
    failures.stop();
    proxy.forward();
  }
});
