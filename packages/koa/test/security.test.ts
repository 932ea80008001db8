/**
 * The security options as createStore maps them. The shared security scenarios ("log out
 * everywhere", sealed at rest, bad options refused) run in shared-suites.test.ts.
 */
import { MongoClient } from 'mongodb';
import { createStore } from '@mongo-session/koa';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { CRYPTO_SECRET, HASH_SECRET, SECURE_OPTIONS } from '@mongo-session/test-utils/conformance/owners';

const uri = testUri(uniqueDatabaseName('koa_security'));

afterAll(async () => {
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
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
});
