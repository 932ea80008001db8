/**
 * The owner methods of MongoSess (callbacks, and before connect()) and the security options as
 * MongoSess.connect() takes them. The shared security scenarios ("log out everywhere", sealed at
 * rest, bad options refused) run in shared-suites.test.ts.
 */
import { MongoClient } from 'mongodb';
import MongoSess from '@mongo-session/standalone';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { CRYPTO_SECRET, HASH_SECRET, SECURE_OPTIONS } from '@mongo-session/test-utils/conformance/owners';

const uri = testUri(uniqueDatabaseName('standalone_security'));

afterAll(async () => {
  await MongoSess.close();
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

describe('owner methods of MongoSess', () => {
  it('answers the owner methods with callbacks, and rejects them before connect()', async () => {
    await expect(MongoSess.countByOwner('ann')).rejects.toMatchObject({ code: 'MONGO_SESSION_NOT_CONNECTED' });
    await MongoSess.connect({ uri, collection: 'callbacks', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      await MongoSess.store!.set('callback-session-id-0001', { user: 'dan' });
      const count = await new Promise<number | undefined>((resolve, reject) =>
        MongoSess.countByOwner('dan', (e, n) => (e ? reject(e) : resolve(n))),
      );
      expect(count).toBe(1);
      const revoked = await new Promise<number | undefined>((resolve, reject) =>
        MongoSess.destroyByOwner('dan', (e, n) => (e ? reject(e) : resolve(n))),
      );
      expect(revoked).toBe(1);
      const listed = await new Promise<unknown[] | undefined>((resolve, reject) =>
        MongoSess.listByOwner('dan', (e, l) => (e ? reject(e) : resolve(l))),
      );
      expect(listed).toEqual([]);
    } finally {
      await MongoSess.close();
    }
  });
});

describe('security options of MongoSess.connect()', () => {
  it('accepts crypto, hashSessionIds and owner', async () => {
    const store = await MongoSess.connect({ uri, collection: 'accepted', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      expect(store.options.crypto?.secrets).toEqual([CRYPTO_SECRET]);
      expect(store.options.hashSessionIds?.secret).toBe(HASH_SECRET);
      expect(store.options.owner).toBe(SECURE_OPTIONS.owner);
    } finally {
      await MongoSess.close();
    }
  });
});
