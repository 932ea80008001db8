/**
 * Device records through koa-generic-session over real HTTP (Koa 3): `device(ctx)` sees the
 * request through `store.deviceContext()`, the record is listed by owner, "log out my other
 * devices" keeps only this browser, and without the middleware the session is still saved.
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import session from 'koa-generic-session';
import { MongoClient } from 'mongodb';
import MongoDBStore from '@mongo-session/koa-generic-session';
import { closeServer, CookieClient, listen, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const uri = testUri(uniqueDatabaseName('kgs_devices'));
let collections = 0;

afterAll(async () => {
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

async function start(withContext: boolean) {
  const store = new MongoDBStore({
    uri,
    collection: `devices_${++collections}`,
    owner: (s) => s['user'] as string | undefined,
    device: (ctx: Koa.Context) => ({ userAgent: ctx.get('user-agent') || null }),
  });
  const warnings: string[] = [];
  store.on('warning', (w) => warnings.push(w.code));
  const app = new Koa();
  app.keys = ['a secret'];
  if (withContext) app.use(store.deviceContext() as Koa.Middleware);
  app.use(session({ store: store as never }) as Koa.Middleware);
  app.use(async (ctx) => {
    const s = ctx.session as unknown as Record<string, unknown>;
    if (ctx.path === '/login') s['user'] = 'ida';
    else if (ctx.path === '/devices') {
      const mine = await store.listByOwner('ida');
      ctx.body = mine.map((entry) => ({ userAgent: entry.device?.['userAgent'], lastSeenAt: entry.lastSeenAt }));
      return;
    } else if (ctx.path === '/logout-others') {
      ctx.body = { revoked: await store.destroyByOwner('ida', { except: `koa:sess:${ctx.sessionId}` }) };
      return;
    }
    ctx.body = { user: s['user'] ?? null };
  });
  const server = createServer(app.callback());
  const baseUrl = await listen(server);
  return {
    warnings,
    browser: (userAgent: string) => {
      const client = new CookieClient(baseUrl);
      return (path: string) => client.get(path, { 'user-agent': userAgent });
    },
    close: async () => {
      await closeServer(server);
      await store.close();
    },
  };
}

it('keeps each browser’s user agent; logging out the others leaves only this one', async () => {
  const app = await start(true);
  try {
    const laptop = app.browser('Firefox on a laptop');
    const phone = app.browser('Safari on a phone');
    expect((await laptop('/login')).json()).toEqual({ user: 'ida' });
    expect((await phone('/login')).json()).toEqual({ user: 'ida' });
    const devices = (await laptop('/devices')).json<{ userAgent: string; lastSeenAt: string }[]>();
    expect(devices.map((d) => d.userAgent).sort()).toEqual(['Firefox on a laptop', 'Safari on a phone']);
    for (const device of devices) expect(Number.isNaN(Date.parse(device.lastSeenAt))).toBe(false);
    expect((await laptop('/logout-others')).json()).toEqual({ revoked: 1 });
    expect((await phone('/')).json()).toEqual({ user: null });
    expect((await laptop('/')).json()).toEqual({ user: 'ida' });
    expect(app.warnings).not.toContain('DEVICE_FAILED');
  } finally {
    await app.close();
  }
});

it('without store.deviceContext() the session is saved without a record, with a DEVICE_FAILED warning', async () => {
  const app = await start(false);
  try {
    const laptop = app.browser('Firefox');
    await laptop('/login');
    expect((await laptop('/')).json()).toEqual({ user: 'ida' });
    expect((await laptop('/devices')).json()).toEqual([{ userAgent: undefined, lastSeenAt: expect.any(String) }]);
    expect(app.warnings).toContain('DEVICE_FAILED');
  } finally {
    await app.close();
  }
});
