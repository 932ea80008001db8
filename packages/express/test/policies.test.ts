/**
 * The shared lifetime-policy scenarios (test-utils suites/policies.ts) over real HTTP through a
 * real express 5 + express-session app; rotation at log-in is `store.regenerateKeepingData(req)`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import express from 'express';
import session from 'express-session';
import type { StoreWarning } from '@mongo-session/core';
import { MongoStore } from '@mongo-session/express';
import {
  CookieClient,
  closeServer,
  listen,
  type PolicyAppOptions,
  policyScenarios,
  testUri,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';
import { MongoClient } from 'mongodb';

const database = uniqueDatabaseName('express_policies');
const uri = testUri(database);
const raw = new MongoClient(uri);
const COOKIE = 'connect.sid';
let collections = 0;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await raw.db().dropDatabase();
  await raw.close();
});

/** The app of the shared scenarios (see PolicyApp). */
async function startApp(options: PolicyAppOptions = {}) {
  const { failingDevice, ...policies } = options;
  const store = new MongoStore({
    uri,
    collection: `policies_${++collections}`,
    owner: (body) => body['user'] as string | undefined,
    device: (req: IncomingMessage) => {
      const agent = req.headers['user-agent'];
      if (failingDevice && agent?.startsWith('throw')) throw new Error(`no device for ${agent}`);
      return { userAgent: failingDevice ? (agent ?? '') : (agent ?? null) };
    },
    ...policies,
  });
  const expired: [string, string][] = [];
  const warnings: StoreWarning[] = [];
  store.on('expired', (id, reason) => expired.push([id, reason]));
  store.on('warning', (warning) => warnings.push(warning));
  const app = express();
  app.use(session({ store, secret: 'a secret of at least thirty-two characters!', resave: false, saveUninitialized: false }));
  app.get('/visit', (req, res) => {
    const s = req.session as unknown as Record<string, number>;
    s['visits'] = (s['visits'] ?? 0) + 1;
    res.json({ visits: s['visits'] });
  });
  app.get('/me', (req, res) => {
    const s = req.session as unknown as Record<string, unknown>;
    res.json({ user: s['user'] ?? null, visits: s['visits'] ?? 0 });
  });
  app.get('/login', async (req, res) => {
    await store.regenerateKeepingData(req);
    (req.session as unknown as Record<string, unknown>)['user'] = String(req.query['user']);
    res.json({ id: req.sessionID });
  });
  app.get('/devices', async (req, res) => {
    const user = (req.session as unknown as Record<string, string>)['user']!;
    const sessions = await store.listByOwner(user);
    res.json(
      sessions.map((s) => ({
        current: s.id === req.sessionID,
        userAgent: s.device?.['userAgent'],
        createdAt: s.createdAt,
        lastSeenAt: s.lastSeenAt,
      })),
    );
  });
  app.get('/logout-others', async (req, res) => {
    const user = (req.session as unknown as Record<string, string>)['user']!;
    res.json({ revoked: await store.destroyByOwner(user, { except: req.sessionID }) });
  });
  const server = createServer(app);
  const base = await listen(server);
  cleanups.push(async () => {
    await closeServer(server);
    await store.close();
  });
  const docs = raw.db().collection<{ _id: string } & Record<string, unknown>>(store.core.options.collection);
  const browser = (userAgent: string) => {
    const client = new CookieClient(base);
    return {
      client,
      get: async <T = Record<string, unknown>>(path: string) => (await client.get(path, { 'user-agent': userAgent })).json<T>(),
      sid: async () =>
        decodeURIComponent((await client.cookie(COOKIE)) ?? '')
          .replace(/^s:/, '')
          .replace(/\..*$/, ''),
    };
  };
  const plantCookies = async (from: CookieClient, to: CookieClient) => to.setCookie(COOKIE, (await from.cookie(COOKIE))!);
  return { docs, expired, warnings, browser, plantCookies };
}

policyScenarios(startApp);
