/**
 * The owner methods in callback form and the security options as MongoDBStore maps them. The
 * shared security scenarios ("log out everywhere", sealed at rest, bad options refused) run in
 * shared-suites.test.ts.
 */
import { MongoClient } from 'mongodb';
import { hashSessionId } from '@mongo-session/core';
import MongoDBStore from '@mongo-session/koa-generic-session';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { HASH_SECRET, SECURE_OPTIONS } from '@mongo-session/test-utils/conformance/owners';

const uri = testUri(uniqueDatabaseName('koa_generic_session_security'));

afterAll(async () => {
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

describe('owner methods of MongoDBStore', () => {
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
});
