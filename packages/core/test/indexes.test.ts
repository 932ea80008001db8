/**
 * Indexes in the field: recreated when found missing, refusals reported (not swallowed),
 * and another store's unique index never mistaken for a revocation.
 */
import { MongoClient } from 'mongodb';
import { ErrorCode, SessionStore, type SessionStoreOptions, type StoreWarning } from '@mongo-session/core';
import { MongoProxy, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import { foreignTtlIndexes } from '../src/indexes';

const database = uniqueDatabaseName('core_indexes');
const uri = testUri(database);
const raw = new MongoClient(uri);
const stores: SessionStore[] = [];
let counter = 0;
const fresh = () => `idx_${++counter}`;

function open(options: Partial<SessionStoreOptions>): { store: SessionStore; warnings: StoreWarning[]; errors: Error[] } {
  const store = new SessionStore({ uri, ...options });
  stores.push(store);
  const warnings: StoreWarning[] = [];
  const errors: Error[] = [];
  store.on('warning', (w) => warnings.push(w));
  store.on('error', (e) => errors.push(e));
  return { store, warnings, errors };
}

/** The single-field keys of a collection's indexes, e.g. ['_id', 'expires', 'owner']. */
async function indexedFields(collection: string): Promise<string[]> {
  const indexes = await raw
    .db()
    .collection(collection)
    .listIndexes()
    .toArray()
    .catch(() => []);
  return indexes.map((index) => Object.keys(index['key'] as object).join(',')).sort();
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) return -1;
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - started;
}

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await raw.db().dropDatabase();
  await raw.close();
});

describe('indexes found missing are created again', () => {
  it('on the periodic check: a dropped collection gets its expires and owner indexes back, and the sweep goes on', async () => {
    const collection = fresh();
    const { store, warnings } = open({ collection, owner: (s) => s['user'] as string | undefined, cleanupIntervalMs: 300 });
    await store.ready();
    expect(await indexedFields(collection)).toEqual(['_id', 'expires', 'owner']);
    await raw.db().collection(collection).drop();
    const recreated = async () =>
      (await indexedFields(collection)).join() === '_id,expires,owner' && warnings.some((w) => w.code === 'INDEXES_RECREATED');
    const ms = await eventually(recreated, 5000);
    expect(ms).toBeGreaterThanOrEqual(0);
    // Idempotent: further checks find nothing missing and create nothing.
    const before = warnings.filter((w) => w.code === 'INDEXES_RECREATED').length;
    await new Promise((r) => setTimeout(r, 800));
    expect(warnings.filter((w) => w.code === 'INDEXES_RECREATED').length).toBe(before);
    // The sweep still runs on the recreated collection.
    await raw
      .db()
      .collection(collection)
      .insertOne({ _id: 'old' as never, session: {}, v: 1, expires: new Date(Date.now() - 1000) });
    expect(
      await eventually(
        async () =>
          (await raw
            .db()
            .collection(collection)
            .countDocuments({ _id: 'old' as never })) === 0,
        3000,
      ),
    ).toBeGreaterThanOrEqual(0);
  });

  it('after a reconnect: a server that comes back without the indexes gets them again', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    try {
      const collection = fresh();
      const { store } = open({
        uri: proxy.uri(database),
        collection,
        owner: (s) => s['user'] as string | undefined,
        connectionOptions: { serverSelectionTimeoutMS: 1000 },
      });
      await store.ready();
      await store.set('a', { user: 'ann' });
      const down = new Promise<void>((resolve) => store.once('disconnect', () => resolve()));
      proxy.refuse();
      proxy.dropAll();
      await store.get('a').catch(() => undefined);
      await down;
      await raw.db().collection(collection).drop();
      const up = new Promise<void>((resolve) => store.once('connect', () => resolve()));
      const healed = Date.now();
      proxy.accept();
      await up;
      const ms = await eventually(async () => (await indexedFields(collection)).join() === '_id,expires,owner', 5000);
      console.log(`indexes back ${Date.now() - healed} ms after the server accepted again`);
      expect(ms).toBeGreaterThanOrEqual(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('index refusals reach the app', () => {
  it('a refusal other than "no TTL here" reaches ready(), the callback and error listeners, and the sweep takes over', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    const failures = trackProcessFailures();
    try {
      proxy.failCommand('createIndexes', {
        code: 13,
        codeName: 'Unauthorized',
        errmsg: 'not authorized on db to execute command',
      });
      const collection = fresh();
      const { store, warnings, errors } = open({ uri: proxy.uri(database), collection, cleanupIntervalMs: 300 });
      const viaCallback = await new Promise<Error | null | undefined>((resolve) => store.ready((error) => resolve(error)));
      expect(viaCallback).toMatchObject({ code: ErrorCode.Operation, serverCode: 13 });
      expect(viaCallback!.message).toMatch(
        /^Error creating index \{ expires: 1 \} on collection "idx_\d+": the server refused it \(code 13 Unauthorized\)/,
      );
      await expect(store.ready()).rejects.toBe(viaCallback);
      expect(errors).toEqual([viaCallback]);
      expect(warnings.map((w) => w.code)).toContain('INDEX_FAILED');
      // The store works, and expired sessions are swept without the index.
      await store.set('live', { a: 1 });
      expect(await store.get('live')).toEqual({ a: 1 });
      await raw
        .db()
        .collection(collection)
        .insertOne({ _id: 'old' as never, session: {}, v: 1, expires: new Date(Date.now() - 1000) });
      expect(
        await eventually(
          async () =>
            (await raw
              .db()
              .collection(collection)
              .countDocuments({ _id: 'old' as never })) === 0,
          3000,
        ),
      ).toBeGreaterThanOrEqual(0);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
      await proxy.close();
    }
  });
});

describe('a unique index that is not ours', () => {
  it('fails the write with a typed error naming the index, instead of dropping it as a revocation', async () => {
    const collection = fresh();
    // One session per user, enforced by an index someone else made.
    await raw.db().collection(collection).createIndex({ owner: 1 }, { unique: true });
    const { store, warnings } = open({ collection, owner: (s) => s['user'] as string | undefined, autoRemove: 'interval' });
    await store.set('first', { user: 'ann' });
    for (const options of [{}, { isNew: true }]) {
      const error = await store.set(`second-${JSON.stringify(options)}`, { user: 'ann' }, options).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: ErrorCode.Operation, serverCode: 11000 });
      expect((error as Error).message).toMatch(/unique index "owner_1" on collection "idx_\d+".*dropIndex\("owner_1"\)/);
      expect((error as Error).message).not.toContain('ann');
    }
    expect(warnings.map((w) => w.code)).not.toContain('WRITE_AFTER_DESTROY');
    expect(await store.get('first')).toEqual({ user: 'ann' });
  });

  it("names the index from the server's keyPattern (MongoDB 4.4+), never its value", async () => {
    const proxy = await MongoProxy.fromUri(uri);
    try {
      const { store } = open({ uri: proxy.uri(database), collection: fresh(), autoRemove: 'interval' });
      await store.ready();
      const duplicate = {
        code: 11000,
        codeName: 'DuplicateKey',
        errmsg: 'E11000 duplicate key error collection: db.sessions index: sid_1 dup key: { sid: "secret-sid" }',
        fields: { keyPattern: { sid: 1 }, keyValue: { sid: 'secret-sid' } },
      };
      proxy.failCommand('insert', duplicate, { times: 1 });
      const error = await store.set('x', { a: 1 }, { isNew: true }).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/unique index "sid_1"/);
      expect((error as Error).message).not.toContain('secret-sid');
      proxy.failCommand('update', duplicate, { times: 1 });
      const viaUpsert = await store.set('y', { a: 1 }).catch((e: unknown) => e);
      expect((viaUpsert as Error).message).toMatch(/unique index "sid_1"/);
      // The next write goes through.
      await store.set('z', { a: 1 });
      expect(await store.get('z')).toEqual({ a: 1 });
    } finally {
      await proxy.close();
    }
  });
});

describe("another store's TTL index", () => {
  // FerretDB refuses TTL indexes, so this is checked on listIndexes answers as mongod gives them.
  it('is found on any field but our expires (MongoSess: createdAt, koa-session-mongo: updatedAt)', () => {
    const indexes = [
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { expires: 1 }, name: 'expires_1', expireAfterSeconds: 0 },
      { v: 2, key: { createdAt: 1 }, name: 'createdAt_1', expireAfterSeconds: 1209600 },
      { v: 2, key: { updatedAt: 1 }, name: 'updatedAt_1', expireAfterSeconds: 3600 },
      { v: 2, key: { owner: 1 }, name: 'owner_1' },
    ];
    expect(foreignTtlIndexes(indexes)).toEqual([
      { name: 'createdAt_1', field: 'createdAt', seconds: 1209600 },
      { name: 'updatedAt_1', field: 'updatedAt', seconds: 3600 },
    ]);
    expect(foreignTtlIndexes(indexes.slice(0, 2))).toEqual([]);
  });
});
