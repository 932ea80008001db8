/**
 * `connect` / `disconnect` reach express-session: while the store is disconnected
 * express-session skips the session (its `storeReady` flag) instead of hanging
 * requests, and after `connect` the same cookie's session is back, with no restart.
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

const database = uniqueDatabaseName('express_events');
let proxy: MongoProxy;
let store: MongoStore;
let server: Server;
let client: CookieClient;
const events: { name: 'connect' | 'disconnect'; at: number }[] = [];

/** Polls `condition` until it holds or `timeoutMs` passes. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

async function timed(path: string) {
  const started = Date.now();
  const response = await client.get(path);
  return { response, ms: Date.now() - started };
}

beforeAll(async () => {
  proxy = await MongoProxy.fromUri(testUri(database));
  store = new MongoStore({
    uri: proxy.uri(database),
    collection: 'events',
    autoRemove: 'interval',
    connectionOptions: { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 },
  });
  store.on('warning', () => undefined);
  store.on('error', () => undefined);
  store.on('connect', () => events.push({ name: 'connect', at: Date.now() }));
  store.on('disconnect', () => events.push({ name: 'disconnect', at: Date.now() }));

  const app = express();
  app.use(session({ secret: SECRET, store, resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.get('/login', (req, res) => {
    req.session.user = 'ada';
    res.json({ ok: true });
  });
  // What the handler sees: with the store disconnected, express-session calls next() without req.session.
  app.get('/whoami', (req, res) => {
    res.json({ hasSession: req.session !== undefined, user: req.session?.user ?? null });
  });
  server = createServer(app);
  client = new CookieClient(await listen(server));
});

afterAll(async () => {
  proxy.accept();
  await closeServer(server);
  await store.close();
  await proxy.close();
  const raw = new MongoClient(testUri(database));
  await raw.db().dropDatabase();
  await raw.close();
});

describe('express-session hears connect / disconnect', () => {
  it('skips the session during an outage without hanging, and resumes it after reconnecting', async () => {
    const failures = trackProcessFailures();
    try {
      expect((await client.get('/login')).status).toBe(200);
      expect((await client.get('/whoami')).json()).toEqual({ hasSession: true, user: 'ada' });
      expect(store.connected).toBe(true);
      const cookieBefore = await client.cookie('connect.sid');

      const outageRequests: string[] = [];
      const outageStarted = Date.now();
      proxy.refuse();
      proxy.dropAll();
      // Until the store says `disconnect`, a request may wait for server selection (1 s) and fail; never longer.
      let sawDisconnect = false;
      while (!sawDisconnect && Date.now() - outageStarted < 30_000) {
        const { response, ms } = await timed('/whoami');
        outageRequests.push(`${response.status} in ${ms} ms`);
        expect(ms).toBeLessThan(5000);
        expect([200, 500]).toContain(response.status);
        expect(response.text).not.toContain('ada');
        sawDisconnect = events.some((e) => e.name === 'disconnect' && e.at >= outageStarted);
        if (!sawDisconnect) await sleep(250);
      }
      expect(sawDisconnect).toBe(true);
      expect(store.connected).toBe(false);

      // Disconnected: express-session does not call the store at all, so requests answer at once, without a session.
      for (let i = 0; i < 3; i++) {
        const { response, ms } = await timed('/whoami');
        expect(ms).toBeLessThan(1000);
        expect(response.status).toBe(200);
        expect(response.json()).toEqual({ hasSession: false, user: null });
      }

      const recoveryStarted = Date.now();
      proxy.accept();
      // Nothing calls the store meanwhile: the store notices the server on its own and says `connect`.
      expect(await waitFor(() => events.some((e) => e.name === 'connect' && e.at >= recoveryStarted), 30_000)).toBe(true);
      expect(store.connected).toBe(true);

      // Same app, same cookie: the session is readable again.
      expect(await client.cookie('connect.sid')).toBe(cookieBefore);
      expect((await client.get('/whoami')).json()).toEqual({ hasSession: true, user: 'ada' });
      const during = events.filter((e) => e.at >= outageStarted);
      expect(during.map((e) => e.name)).toEqual(['disconnect', 'connect']);
      console.log(
        `disconnect ${during[0]!.at - outageStarted} ms after the outage began (requests until then: ${outageRequests.join(', ')}); ` +
          `connect ${during[1]!.at - recoveryStarted} ms after it ended`,
      );
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
      proxy.accept();
    }
  });
});
