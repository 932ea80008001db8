import { MongoClient } from 'mongodb';
import { SessionStore, type StoreWarning } from '@mongo-session/core';
import { MongoProxy, testServer, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const database = uniqueDatabaseName('core_expiry');
const uri = testUri(database);
const raw = new MongoClient(uri);
const indexesOf = (collection: string) => raw.db().collection(collection).listIndexes().toArray();
const supportsTtl = testServer().description.startsWith('MongoDB');

afterAll(async () => {
  await raw.db().dropDatabase();
  await raw.close();
});

function collectWarnings(store: SessionStore): StoreWarning[] {
  const warnings: StoreWarning[] = [];
  store.on('warning', (w) => warnings.push(w));
  return warnings;
}

describe('autoRemove: native', () => {
  it('creates a TTL index on expires (or falls back with a warning where the server has none)', async () => {
    const store = new SessionStore({ uri, collection: 'native' });
    const warnings = collectWarnings(store);
    await store.ready();
    const index = (await indexesOf('native')).find((i) => i['key']?.expires === 1);
    expect(index).toBeDefined();
    if (supportsTtl) {
      expect(index!['expireAfterSeconds']).toBe(0);
      expect(warnings).toEqual([]);
    } else {
      // FerretDB: code 238, so a plain index and the sweep.
      expect(index!['expireAfterSeconds']).toBeUndefined();
      expect(warnings.map((w) => w.code)).toEqual(['TTL_INDEX_UNAVAILABLE']);
    }
    await store.close();
  });

  it('is idempotent and safe when several stores start at once', async () => {
    const stores = Array.from({ length: 5 }, () => new SessionStore({ uri, collection: 'concurrent' }));
    await Promise.all(stores.map((s) => s.ready()));
    const expiresIndexes = (await indexesOf('concurrent')).filter((i) => i['key']?.expires === 1);
    expect(expiresIndexes).toHaveLength(1);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('falls back to the sweep when the server refuses TTL indexes (code 238 injected)', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    proxy.failCommand('createIndexes', { code: 238, codeName: 'NotImplemented', errmsg: 'no TTL here' }, { times: 1 });
    const store = new SessionStore({ uri: proxy.uri(database), collection: 'fallback', cleanupIntervalMs: 200 });
    const warnings = collectWarnings(store);
    try {
      await store.ready();
      expect(warnings.map((w) => w.code)).toContain('TTL_INDEX_UNAVAILABLE');
      const index = (await indexesOf('fallback')).find((i) => i['key']?.expires === 1);
      expect(index).toBeDefined();
      expect(index!['expireAfterSeconds']).toBeUndefined();
      await store.set('soon', { a: 1 }, { ttlMs: 50 });
      await store.set('later', { a: 1 }, { ttlMs: 60_000 });
      await new Promise((r) => setTimeout(r, 700));
      const ids = (await raw.db().collection('fallback').find().toArray()).map((d) => d['_id']);
      expect(ids).toEqual(['later']);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('warns with the operator command on an existing conflicting index (code 85), never dropping it', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    proxy.failCommand('createIndexes', { code: 85, codeName: 'IndexOptionsConflict', errmsg: 'conflict' }, { times: 1 });
    const store = new SessionStore({ uri: proxy.uri(database), collection: 'conflict' });
    const warnings = collectWarnings(store);
    try {
      await store.ready();
      const warning = warnings.find((w) => w.code === 'TTL_INDEX_CONFLICT');
      expect(warning?.message).toContain('collMod');
      expect(warning?.message).toContain('"conflict"');
      expect(proxy.count('dropIndexes')).toBe(0);
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describe('autoRemove: interval and disabled', () => {
  it('interval sweeps expired documents and stops on close', async () => {
    const store = new SessionStore({ uri, collection: 'interval', autoRemove: 'interval', cleanupIntervalMs: 150 });
    await store.ready();
    await store.set('x', { a: 1 }, { ttlMs: 30 });
    await new Promise((r) => setTimeout(r, 500));
    expect(await raw.db().collection('interval').countDocuments()).toBe(0);
    await store.close();
    await raw
      .db()
      .collection('interval')
      .insertOne({ _id: 'y' as never, expires: new Date(0), session: {}, v: 1 });
    await new Promise((r) => setTimeout(r, 400));
    expect(await raw.db().collection('interval').countDocuments()).toBe(1);
  });

  it('disabled creates no index and deletes nothing, but reads still hide expired sessions', async () => {
    const store = new SessionStore({ uri, collection: 'disabled', autoRemove: 'disabled' });
    await store.ready();
    await store.set('x', { a: 1 }, { ttlMs: 30 });
    await new Promise((r) => setTimeout(r, 100));
    expect(await store.get('x')).toBeNull();
    expect(await raw.db().collection('disabled').countDocuments()).toBe(1);
    expect((await indexesOf('disabled')).filter((i) => i['key']?.expires === 1)).toHaveLength(0);
    await store.close();
  });
});
