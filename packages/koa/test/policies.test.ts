/**
 * The shared lifetime-policy scenarios (test-utils suites/policies.ts) over real HTTP through a
 * real Koa 3 + koa-session 7 app; rotation at log-in is `store.regenerate(ctx)`.
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import { createSession } from 'koa-session';
import { MongoClient } from 'mongodb';
import type { StoreWarning } from '@mongo-session/core';
import { createStore } from '@mongo-session/koa';
import {
  CookieClient,
  closeServer,
  listen,
  type PolicyAppOptions,
  policyScenarios,
  testUri,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';

const database = uniqueDatabaseName('koa_policies');
const uri = testUri(database);
const raw = new MongoClient(uri);
const DAY = 24 * 60 * 60_000;
const COOKIE = 'koa.sess';
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
  const store = createStore({
    uri,
    collection: `policies_${++collections}`,
    owner: (body) => body['user'] as string | undefined,
    device: (ctx) => {
      const agent: string = ctx.get('user-agent');
      if (failingDevice && agent.startsWith('throw')) throw new Error(`no device for ${agent}`);
      return { userAgent: failingDevice ? agent : agent || null };
    },
    ...policies,
  });
  const expired: [string, string][] = [];
  const warnings: StoreWarning[] = [];
  store.on('expired', (id, reason) => expired.push([id, reason]));
  store.on('warning', (warning) => warnings.push(warning));
  const app = new Koa();
  app.keys = ['a secret of at least thirty-two characters!'];
  app.silent = true;
  app.use(createSession({ store, maxAge: DAY }, app));
  app.use(async (ctx) => {
    const session = ctx.session as unknown as Record<string, unknown> & { externalKey: string };
    switch (ctx.path) {
      case '/visit':
        session['visits'] = ((session['visits'] as number | undefined) ?? 0) + 1;
        ctx.body = { visits: session['visits'] };
        return;
      case '/me':
        ctx.body = { user: session['user'] ?? null, visits: session['visits'] ?? 0 };
        return;
      case '/login':
        await store.regenerate(ctx);
        session['user'] = String(ctx.query['user']);
        ctx.body = { ok: true };
        return;
      case '/devices': {
        const sessions = await store.listByOwner(session['user'] as string);
        ctx.body = sessions.map((s) => ({
          current: s.id === session.externalKey,
          userAgent: s.device?.['userAgent'],
          createdAt: s.createdAt,
          lastSeenAt: s.lastSeenAt,
        }));
        return;
      }
      case '/logout-others':
        ctx.body = { revoked: await store.destroyByOwner(session['user'] as string, { except: session.externalKey }) };
        return;
      default:
        ctx.status = 404;
    }
  });
  const server = createServer(app.callback());
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
      get: async <T = Record<string, unknown>>(path: string) => {
        const response = await client.get(path, { 'user-agent': userAgent });
        expect(response.status).toBe(200);
        return response.json<T>();
      },
      sid: async () => (await client.cookie(COOKIE)) ?? '',
    };
  };
  const plantCookies = async (from: CookieClient, to: CookieClient) => {
    for (const name of [COOKIE, `${COOKIE}.sig`]) await to.setCookie(name, (await from.cookie(name))!);
  };
  return { docs, expired, warnings, browser, plantCookies };
}

policyScenarios(startApp);
