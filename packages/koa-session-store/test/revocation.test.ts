/**
 * "Log out everywhere" with koa-session-store, which keeps the session id in its cookie
 * for good: a slow request with a stolen cookie that read the session before the
 * revocation never brings it back, however late it lands, while the browser that keeps
 * the id can log in again.
 */
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import convert from 'koa-convert';
import { MongoClient } from 'mongodb';
import { create, type KoaSessionStoreLayer } from '@mongo-session/koa-session-store';
import { closeServer, CookieClient, listen, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import { slowRequest, withClockAhead } from '@mongo-session/test-utils/clock';

/* eslint-disable @typescript-eslint/no-require-imports */
const Koa2 = require('koa2') as typeof Koa;
const sessionMiddleware = require('koa-session-store') as (options?: { store?: unknown }) => any;
/* eslint-enable @typescript-eslint/no-require-imports */

const database = uniqueDatabaseName('koa_session_store_revocation');
const raw = new MongoClient(testUri(database));

afterAll(async () => {
  await raw.db().dropDatabase();
  await raw.close();
});

interface App {
  store: KoaSessionStoreLayer;
  base: string;
  /** Lets the request parked on /slow finish. */
  release(): void;
  /** Resolves once a request is parked on /slow, after its session was loaded. */
  parked: Promise<void>;
  close(): Promise<void>;
}

async function start(KoaImpl: typeof Koa): Promise<App> {
  const store = create({
    uri: testUri(database),
    collection: `revocation_${KoaImpl === Koa ? 3 : 2}`,
    owner: (s) => s['user'] as string | undefined,
  });
  store.on('warning', () => undefined);
  const { park, parked, release } = slowRequest();
  const app = new KoaImpl();
  app.keys = ['revocation secret'];
  app.on('error', () => undefined);
  app.use(convert(sessionMiddleware({ store })));
  app.use(async (ctx) => {
    const session = (ctx as any).session as Record<string, any>;
    if (ctx.path === '/login') session['user'] = 'ann';
    if (ctx.path === '/slow') {
      // An upload or a long poll: the session was read before the revocation.
      await park();
      session['uploads'] = (session['uploads'] ?? 0) + 1;
    }
    ctx.body = { user: session['user'] ?? null, uploads: session['uploads'] ?? 0 };
  });
  const server: Server = createServer(app.callback());
  const base = await listen(server);
  return {
    store,
    base,
    release,
    parked,
    async close() {
      await closeServer(server);
      await store.close();
    },
  };
}

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('koa-session-store on %s', (_label, KoaImpl) => {
  it('a write prepared before destroyByOwner never revives the session; the same browser logs in again', async () => {
    const failures = trackProcessFailures();
    const app = await start(KoaImpl);
    try {
      const browser = new CookieClient(app.base);
      expect((await browser.get('/login')).json()).toEqual({ user: 'ann', uploads: 0 });
      // The thief has the same cookies.
      const thief = new CookieClient(app.base);
      for (const name of ['koa:sess', 'koa:sess.sig']) await thief.setCookie(name, (await browser.cookie(name))!);
      expect((await thief.get('/')).json()).toEqual({ user: 'ann', uploads: 0 });

      const slow = thief.get('/slow');
      await app.parked;
      expect(await app.store.destroyByOwner('ann')).toBe(1);
      // The slow request ends an hour later, long after any fixed revocation window.
      await withClockAhead(3_600_000, async () => {
        app.release();
        expect((await slow).status).toBe(200);
      });

      expect((await thief.get('/')).json()).toEqual({ user: null, uploads: 0 });
      expect((await browser.get('/')).json()).toEqual({ user: null, uploads: 0 });
      expect(await app.store.countByOwner('ann')).toBe(0);

      // The same browser, same id in its cookie, logs in again and stays logged in.
      expect((await browser.get('/login')).json()).toEqual({ user: 'ann', uploads: 0 });
      expect((await browser.get('/')).json()).toEqual({ user: 'ann', uploads: 0 });
      expect(await app.store.countByOwner('ann')).toBe(1);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
      app.release();
      await app.close();
    }
  });
});
