/**
 * Issue 10 through Koa 3 + koa-generic-session: "log out everywhere" with a write in
 * flight, and hashed ids plus encryption end to end (checked through the raw driver).
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import session from 'koa-generic-session';
import { MongoClient } from 'mongodb';
import { hashSessionId, InvalidOptionError } from '@mongo-session/core';
import MongoDBStore, { type MongoDBStoreOptions } from '@mongo-session/koa-generic-session';
import { type CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  HASH_SECRET,
  SECURE_OPTIONS,
  type Gate,
  hostOwnerApp,
  objectSession,
  logOutEverywhere,
  ownerRoute,
  sealedAtRest,
  type StartOwnerApp,
} from '@mongo-session/test-utils/conformance/owners';

const database = uniqueDatabaseName('koa_generic_session_security');
const uri = testUri(database);
// owner reads `user` from koa-generic-session's body: the app's keys plus `cookie`.

afterAll(async () => {
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

const startApp =
  (collection: string, warnings: string[] = []): StartOwnerApp =>
  async (gate: Gate) => {
    const store = new MongoDBStore({ uri, collection, autoRemove: 'interval', ...SECURE_OPTIONS });
    store.on('warning', (w: { code: string }) => warnings.push(w.code));
    const app = new Koa();
    app.keys = ['a koa signing key'];
    app.on('error', () => undefined);
    // koa-generic-session types its store narrowly (its own Session type); http.test.ts casts the same way.
    app.use(session({ store } as unknown as Parameters<typeof session>[0]) as Koa.Middleware);
    app.use(async (ctx) => {
      const s = ctx.session as unknown as Record<string, unknown>;
      const body = await ownerRoute(new URL(ctx.url, 'http://app'), objectSession(s), gate);
      if (body !== undefined) ctx.body = body;
    });
    const server = createServer(app.callback());
    return hostOwnerApp(server, store, () => store.close());
  };

describe('security through Koa 3 + koa-generic-session', () => {
  it('logs a user out of every jar with one destroyByOwner, and a write in flight does not bring the session back', async () => {
    const warnings: string[] = [];
    await logOutEverywhere(startApp('everywhere', warnings));
    expect(warnings).toContain('WRITE_AFTER_DESTROY');
  });

  it('stores a keyed hash of the prefixed session id and no session value in clear', async () => {
    await sealedAtRest(startApp('sealed'), {
      uri,
      collection: 'sealed',
      sessionIdOf: async (client: CookieClient) => (await client.cookie('koa.sid'))!,
      // koa-generic-session calls the store with `koa:sess:<sid>`.
      expectedDocumentId: (sid) => hashSessionId(`koa:sess:${sid}`, HASH_SECRET),
    });
  });

  it('exposes the owner methods with callbacks too', async () => {
    const store = new MongoDBStore({ uri, collection: 'callbacks', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      await store.set('koa:sess:cb', { user: 'dan' }, 60_000);
      const count = await new Promise<number | undefined>((resolve, reject) =>
        store.countByOwner('dan', (e, n) => (e ? reject(e) : resolve(n))),
      );
      expect(count).toBe(1);
      const revoked = await new Promise<number | undefined>((resolve, reject) =>
        store.destroyByOwner('dan', (e, n) => (e ? reject(e) : resolve(n))),
      );
      expect(revoked).toBe(1);
      expect(await store.listByOwner('dan')).toEqual([]);
      expect(await store.get('koa:sess:cb')).toBeNull();
    } finally {
      await store.close();
    }
  });
});

describe('security options of MongoDBStore', () => {
  it('accepts crypto, hashSessionIds and owner', async () => {
    const store = new MongoDBStore({ uri, collection: 'accepted', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      await store.set('koa:sess:accepted', { user: 'erin', secret: 'value' }, 60_000);
      expect(await store.get('koa:sess:accepted')).toEqual({ user: 'erin', secret: 'value' });
      expect((await store.listByOwner('erin')).map((s) => s.id)).toEqual([hashSessionId('koa:sess:accepted', HASH_SECRET)]);
    } finally {
      await store.close();
    }
  });

  it.each([
    ['crypto', { crypto: { secret: 'too short' } }],
    ['hashSessionIds', { hashSessionIds: { secret: 'too short' } }],
    ['owner', { owner: 'user' }],
  ])('refuses a bad %s with an InvalidOptionError naming it', (name, bad) => {
    const attempt = () => new MongoDBStore({ uri, ...(bad as Partial<MongoDBStoreOptions>) });
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option: name }));
  });
});
