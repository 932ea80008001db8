/**
 * Device records through koa-session-store over real HTTP (Koa 3): `device(ctx)` sees the
 * request through `store.deviceContext()`, the record is listed by owner and kept by later
 * writes; without the middleware the session is still saved, with a DEVICE_FAILED warning.
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import convert from 'koa-convert';
import { MongoClient } from 'mongodb';
import { closeConnections, create } from '@mongo-session/koa-session-store';
import { closeServer, CookieClient, listen, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sessionMiddleware = require('koa-session-store') as (options?: { store?: unknown }) => any;
const database = uniqueDatabaseName('kss_devices');
const uri = testUri(database);
let collections = 0;

afterAll(async () => {
  await closeConnections();
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

async function start(withContext: boolean) {
  const store = create({
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
  app.use(convert(sessionMiddleware({ store })));
  app.use(async (ctx) => {
    const s = (ctx as any).session as Record<string, unknown>;
    if (ctx.path === '/login') s['user'] = 'jo';
    else if (ctx.path === '/count') s['n'] = ((s['n'] as number) ?? 0) + 1;
    ctx.body = { user: s['user'] ?? null, n: s['n'] ?? 0 };
  });
  const server = createServer(app.callback());
  const baseUrl = await listen(server);
  return {
    store,
    warnings,
    browser: (userAgent: string) => {
      const client = new CookieClient(baseUrl);
      return (path: string) => client.get(path, { 'user-agent': userAgent });
    },
    close: () => closeServer(server),
  };
}

it('keeps the user agent of the request that created the session; later requests do not change it', async () => {
  const app = await start(true);
  try {
    const laptop = app.browser('Firefox on a laptop');
    expect((await laptop('/login')).json()).toEqual({ user: 'jo', n: 0 });
    const other = app.browser('Curl');
    await other('/login');
    await laptop('/count');
    const listed = await app.store.listByOwner('jo');
    expect(listed.map((entry) => entry.device?.['userAgent']).sort()).toEqual(['Curl', 'Firefox on a laptop']);
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
    expect((await laptop('/count')).json()).toEqual({ user: 'jo', n: 1 });
    expect((await app.store.listByOwner('jo')).map((entry) => entry.device)).toEqual([undefined]);
    expect(app.warnings).toContain('DEVICE_FAILED');
  } finally {
    await app.close();
  }
});
