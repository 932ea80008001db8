/**
 * Issue 10 through Koa 3 + koa-session 7: "log out everywhere" with a write in flight,
 * and hashed ids plus encryption end to end (checked through the raw driver).
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import { createSession } from 'koa-session';
import { MongoClient } from 'mongodb';
import { hashSessionId, InvalidOptionError } from '@mongo-session/core';
import { createStore, type KoaStoreOptions } from '@mongo-session/koa';
import { type CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  CRYPTO_SECRET,
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

const database = uniqueDatabaseName('koa_security');
const uri = testUri(database);
// owner reads `user` from koa-session's body: the app's keys plus `_expire` and `_maxAge`.

afterAll(async () => {
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

const startApp =
  (collection: string, warnings: string[] = []): StartOwnerApp =>
  async (gate: Gate) => {
    const store = createStore({ uri, collection, autoRemove: 'interval', ...SECURE_OPTIONS });
    store.on('warning', (w) => warnings.push(w.code));
    const app = new Koa();
    app.keys = ['a koa signing key'];
    app.silent = true;
    app.use(createSession({ store }, app));
    app.use(async (ctx) => {
      const s = ctx.session as unknown as Record<string, unknown>;
      const body = await ownerRoute(new URL(ctx.url, 'http://app'), objectSession(s), gate);
      if (body !== undefined) ctx.body = body;
    });
    const server = createServer(app.callback());
    return hostOwnerApp(server, store, () => store.close());
  };

describe('security through Koa 3 + koa-session 7', () => {
  it('logs a user out of every jar with one destroyByOwner, and a write in flight does not bring the session back', async () => {
    const warnings: string[] = [];
    await logOutEverywhere(startApp('everywhere', warnings));
    expect(warnings).toContain('WRITE_AFTER_DESTROY');
  });

  it('stores a keyed hash of the external key and no session value in clear', async () => {
    await sealedAtRest(startApp('sealed'), {
      uri,
      collection: 'sealed',
      sessionIdOf: async (client: CookieClient) => (await client.cookie('koa.sess'))!,
      expectedDocumentId: (key) => hashSessionId(key, HASH_SECRET),
    });
  });
});

describe('security options of createStore', () => {
  it('accepts crypto, hashSessionIds and owner', async () => {
    const store = createStore({ uri, collection: 'accepted', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      expect(store.core.options.crypto?.secrets).toEqual([CRYPTO_SECRET]);
      expect(store.core.options.hashSessionIds?.secret).toBe(HASH_SECRET);
      expect(store.core.options.owner).toBe(SECURE_OPTIONS.owner);
      expect(await store.countByOwner('nobody')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it.each([
    ['crypto', { crypto: { secret: 'too short' } }],
    ['hashSessionIds', { hashSessionIds: { secret: 'too short' } }],
    ['owner', { owner: 'user' }],
  ])('refuses a bad %s with an InvalidOptionError naming it', (name, bad) => {
    const attempt = () => createStore({ uri, ...(bad as Partial<KoaStoreOptions>) });
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option: name }));
  });
});
