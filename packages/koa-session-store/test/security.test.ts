/**
 * Issue 10 through Koa 3 + koa-session-store (under koa-convert): "log out everywhere"
 * with a write in flight, and hashed ids plus encryption end to end (checked through
 * the raw driver).
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import convert from 'koa-convert';
import { MongoClient } from 'mongodb';
import { hashSessionId, InvalidOptionError } from '@mongo-session/core';
import { create, type CreateOptions } from '@mongo-session/koa-session-store';
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

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sessionMiddleware = require('koa-session-store') as (options?: { store?: unknown }) => any;

const database = uniqueDatabaseName('koa_session_store_security');
const uri = testUri(database);
// owner reads `user` from koa-session-store's body: the app's keys, as JSON (no cookie, no id).

afterAll(async () => {
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

const startApp =
  (collection: string, warnings: string[] = []): StartOwnerApp =>
  async (gate: Gate) => {
    const store = create({ uri, collection, autoRemove: 'interval', ...SECURE_OPTIONS });
    store.on('warning', (w: { code: string }) => warnings.push(w.code));
    const app = new Koa();
    app.keys = ['a koa signing key'];
    app.on('error', () => undefined);
    // koa-session-store is generator middleware: Koa 3 needs it converted.
    app.use(convert(sessionMiddleware({ store })));
    app.use(async (ctx) => {
      const s = (ctx as unknown as { session: Record<string, unknown> }).session;
      const body = await ownerRoute(new URL(ctx.url, 'http://app'), objectSession(s), gate);
      if (body !== undefined) ctx.body = body;
    });
    const server = createServer(app.callback());
    return hostOwnerApp(server, store, () => store.close());
  };

/** The cookie holds `{"_sid": ...}` as JSON. */
const sessionIdOf = async (client: CookieClient) =>
  (JSON.parse(decodeURIComponent((await client.cookie('koa:sess'))!)) as { _sid: string })._sid;

describe('security through Koa 3 + koa-session-store', () => {
  it('logs a user out of every jar with one destroyByOwner, and a write in flight does not bring the session back', async () => {
    const warnings: string[] = [];
    await logOutEverywhere(startApp('everywhere', warnings));
    expect(warnings).toContain('WRITE_AFTER_DESTROY');
  });

  it('stores a keyed hash of the session id and no session value in clear', async () => {
    await sealedAtRest(startApp('sealed'), {
      uri,
      collection: 'sealed',
      sessionIdOf,
      expectedDocumentId: (sid) => hashSessionId(sid, HASH_SECRET),
    });
  });
});

describe('security options of create()', () => {
  it('accepts crypto, hashSessionIds and owner, with callbacks on the owner methods', async () => {
    const store = create({ uri, collection: 'accepted', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      await store.save('accepted-sid', JSON.stringify({ user: 'erin', secret: 'value' }));
      expect(JSON.parse((await store.load('accepted-sid'))!)).toEqual({ user: 'erin', secret: 'value' });
      const listed = await new Promise<{ id: string }[] | undefined>((resolve, reject) =>
        store.listByOwner('erin', (e, l) => (e ? reject(e) : resolve(l))),
      );
      expect(listed!.map((s) => s.id)).toEqual([hashSessionId('accepted-sid', HASH_SECRET)]);
      expect(await store.destroyByOwner('erin')).toBe(1);
      expect(await store.countByOwner('erin')).toBe(0);
      expect(await store.load('accepted-sid')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it.each([
    ['crypto', { crypto: { secret: 'too short' } }],
    ['hashSessionIds', { hashSessionIds: { secret: 'too short' } }],
    ['owner', { owner: 'user' }],
  ])('refuses a bad %s with an InvalidOptionError naming it', (name, bad) => {
    const attempt = () => create({ uri, ...(bad as Partial<CreateOptions>) });
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option: name }));
  });
});
