/**
 * The security options as create() maps them, with callbacks on the owner methods. The shared
 * security scenarios ("log out everywhere", sealed at rest, bad options refused) run in
 * shared-suites.test.ts.
 */
import { MongoClient } from 'mongodb';
import { hashSessionId } from '@mongo-session/core';
import { create } from '@mongo-session/koa-session-store';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { HASH_SECRET, SECURE_OPTIONS } from '@mongo-session/test-utils/conformance/owners';

const uri = testUri(uniqueDatabaseName('koa_session_store_security'));

afterAll(async () => {
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
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
});
