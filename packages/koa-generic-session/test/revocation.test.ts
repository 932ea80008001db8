/**
 * "Log out everywhere" with koa-generic-session when the app assigns a new session
 * object (`ctx.session = {...}`): the write of a slow request that read the session
 * before the revocation is still relative to that read, so it never revives the
 * session, even landing after the session would have expired.
 */
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import session from 'koa-generic-session';
import { MongoClient } from 'mongodb';
import MongoDBStore from '@mongo-session/koa-generic-session';
import { closeServer, CookieClient, listen, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import { slowRequest, withClockAhead } from '@mongo-session/test-utils/clock';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Koa2 = require('koa2') as typeof Koa;

const database = uniqueDatabaseName('koa_generic_session_revocation');
const raw = new MongoClient(testUri(database));
const HOUR = 3_600_000;

afterAll(async () => {
  await raw.db().dropDatabase();
  await raw.close();
});

describe.each([
  ['Koa 3', Koa],
  ['Koa 2', Koa2],
])('koa-generic-session on %s', (label, KoaImpl) => {
  it('a replaced session object written after destroyByOwner stays revoked, however late', async () => {
    const failures = trackProcessFailures();
    const store = new MongoDBStore({
      uri: testUri(database),
      collection: `revocation_${label.replace(' ', '')}`,
      owner: (s) => s['user'] as string | undefined,
    });
    store.on('warning', () => undefined);
    const { park, parked, release } = slowRequest();
    const app = new KoaImpl();
    app.keys = ['revocation secret'];
    app.on('error', () => undefined);
    app.use(session({ store, cookie: { maxAge: HOUR } } as unknown as Parameters<typeof session>[0]) as Koa.Middleware);
    app.use(async (ctx) => {
      if (ctx.path === '/login') (ctx.session as Record<string, any>)['user'] = 'ann';
      if (ctx.path === '/slow') {
        await park();
        // A new object in place of the one read: koa-generic-session hands this one to set().
        const read = ctx.session as Record<string, any>;
        ctx.session = { cookie: read['cookie'], user: read['user'], uploads: 1 } as never;
      }
      ctx.body = { user: (ctx.session as Record<string, any> | null)?.['user'] ?? null };
    });
    const server: Server = createServer(app.callback());
    const base = await listen(server);
    try {
      const browser = new CookieClient(base);
      expect((await browser.get('/login')).json()).toEqual({ user: 'ann' });
      const thief = new CookieClient(base);
      for (const name of ['koa.sid', 'koa.sid.sig']) await thief.setCookie(name, (await browser.cookie(name))!);
      expect((await thief.get('/')).json()).toEqual({ user: 'ann' });

      const slow = thief.get('/slow');
      await parked;
      expect(await store.destroyByOwner('ann')).toBe(1);
      // The request ends two hours later: past the session's own one-hour lifetime.
      await withClockAhead(2 * HOUR, async () => {
        release();
        expect((await slow).status).toBe(200);
      });
      expect((await thief.get('/')).json()).toEqual({ user: null });
      expect((await browser.get('/')).json()).toEqual({ user: null });
      expect(await store.countByOwner('ann')).toBe(0);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
      release();
      await closeServer(server);
      await store.close();
    }
  });
});
