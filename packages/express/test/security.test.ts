/**
 * Issue 10 through express 5 + express-session: "log out everywhere" with a write in
 * flight, and hashed ids plus encryption end to end (checked through the raw driver).
 */
import { createServer } from 'node:http';
import express from 'express';
import session from 'express-session';
import { MongoClient } from 'mongodb';
import { hashSessionId, InvalidOptionError, MongoStore, type MongoStoreOptions } from '@mongo-session/express';
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
import { SECRET } from './apps';

const database = uniqueDatabaseName('express_security');
const uri = testUri(database);
// owner reads `user` from express-session's body: the app's keys plus `cookie`.

afterAll(async () => {
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

/** express 5 + express-session over a store with all three options; warnings collected. */
const startApp =
  (collection: string, warnings: string[] = []): StartOwnerApp =>
  async (gate: Gate) => {
    const store = new MongoStore({ uri, collection, autoRemove: 'interval', ...SECURE_OPTIONS });
    store.on('warning', (w: { code: string }) => warnings.push(w.code));
    const app = express();
    app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false }));
    app.use(async (req, res, next) => {
      const s = req.session as unknown as Record<string, unknown>;
      const body = await ownerRoute(new URL(req.url, 'http://app'), objectSession(s), gate);
      if (body === undefined) return next();
      res.type('text/plain').send(body);
    });
    const server = createServer(app);
    return hostOwnerApp(server, store, () => store.close());
  };

/** `connect.sid` is `s:<id>.<signature>`. */
const sessionIdOf = async (client: CookieClient) => {
  const value = decodeURIComponent((await client.cookie('connect.sid'))!);
  return value.slice(2, value.lastIndexOf('.'));
};

describe('security through express 5 + express-session', () => {
  it('logs a user out of every jar with one destroyByOwner, and a write in flight does not bring the session back', async () => {
    const warnings: string[] = [];
    await logOutEverywhere(startApp('everywhere', warnings));
    // The in-flight write was attempted and dropped, not silently lost elsewhere.
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

  it('exposes the owner methods with callbacks too', async () => {
    const store = new MongoStore({ uri, collection: 'callbacks', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      await store.set('cb-session', { user: 'dan', cookie: { maxAge: 60_000 } } as never);
      const count = await new Promise<number | undefined>((resolve, reject) =>
        store.countByOwner('dan', (e, n) => (e ? reject(e) : resolve(n))),
      );
      expect(count).toBe(1);
      const listed = await new Promise<unknown[] | undefined>((resolve, reject) =>
        store.listByOwner('dan', (e, l) => (e ? reject(e) : resolve(l))),
      );
      expect(listed).toHaveLength(1);
      const revoked = await new Promise<number | undefined>((resolve, reject) =>
        store.destroyByOwner('dan', (e, n) => (e ? reject(e) : resolve(n))),
      );
      expect(revoked).toBe(1);
      expect(await store.get('cb-session')).toBeNull();
      await expect(store.countByOwner('')).rejects.toMatchObject({ code: 'MONGO_SESSION_INVALID_ARGUMENT', argument: 'owner' });
    } finally {
      await store.close();
    }
  });
});

describe('security options of MongoStore', () => {
  it('accepts crypto, hashSessionIds and owner, from new MongoStore and MongoStore.create', async () => {
    const direct = new MongoStore({ uri, collection: 'accepted', autoRemove: 'interval', ...SECURE_OPTIONS });
    const seeded = MongoStore.create({ mongoUrl: uri, collectionName: 'accepted', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      for (const store of [direct, seeded]) {
        expect(store.core.options.hashSessionIds?.secret).toBe(HASH_SECRET);
        expect(store.core.options.owner).toBe(SECURE_OPTIONS.owner);
      }
      expect(direct.core.options.crypto?.secrets).toEqual([CRYPTO_SECRET]);
      // In connect-mongo's option names, `crypto` is connect-mongo's own (kruptein), kept for its sessions.
      expect(seeded.core.options.peerCrypto).toEqual({ secret: CRYPTO_SECRET });
    } finally {
      await Promise.all([direct.close(), seeded.close()]);
    }
  });

  it.each([
    ['crypto', { crypto: { secret: 'too short' } }],
    ['hashSessionIds', { hashSessionIds: { secret: 'too short' } }],
    ['owner', { owner: 'user' }],
  ])('refuses a bad %s with an InvalidOptionError naming it', (name, bad) => {
    const attempt = () => new MongoStore({ uri, ...(bad as Partial<MongoStoreOptions>) });
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option: name }));
  });
});
