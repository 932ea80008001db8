/**
 * The owner methods in callback form and the security options as MongoStore and
 * MongoStore.create map them. The shared security scenarios ("log out everywhere", sealed at
 * rest, bad options refused) run in shared-suites.test.ts.
 */
import { MongoClient } from 'mongodb';
import { MongoStore } from '@mongo-session/express';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { CRYPTO_SECRET, HASH_SECRET, SECURE_OPTIONS } from '@mongo-session/test-utils/conformance/owners';

const uri = testUri(uniqueDatabaseName('express_security'));

afterAll(async () => {
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

describe('owner methods of MongoStore', () => {
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
});
