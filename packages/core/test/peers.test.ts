/**
 * The two flat peer shapes, through the core against the real server: koa-generic-session-mongo's
 * `{ _id: ObjectId, sid, ...keys, ttl }` and MongoSess's `{ _id, createdAt, ...keys }`. The
 * round trips with the real peer packages are in the adapters' migration tests; here, the
 * edges: lookups, lifetimes, keys that cannot stay flat, owners, revocation, counting, the sweep.
 */
import { type Document, MongoClient, ObjectId } from 'mongodb';
import { SessionStore, type StoreWarning } from '@mongo-session/core';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const database = uniqueDatabaseName('core_peers');
const uri = testUri(database);
const raw = new MongoClient(uri);
const stores: SessionStore[] = [];
let collections = 0;

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await raw.db().dropDatabase();
  await raw.close();
});

const HOUR = 3_600_000;

/** A store on a fresh collection already holding `seed`, and maybe `sid`'s unique index. */
async function storeOver(
  seed: Document[],
  options: Partial<ConstructorParameters<typeof SessionStore>[0]> & { sidIndex?: boolean } = {},
) {
  const { sidIndex, ...storeOptions } = options;
  const collection = `peers_${++collections}`;
  const docs = raw.db().collection<{ _id: string | ObjectId } & Document>(collection);
  if (sidIndex) await docs.createIndex({ sid: 1 }, { unique: true });
  if (seed.length > 0) await docs.insertMany(seed.map((doc) => ({ ...doc })) as never);
  const warnings: StoreWarning[] = [];
  const store = new SessionStore({ uri, collection, ttlMs: HOUR, ...storeOptions });
  store.on('warning', (warning) => warnings.push(warning));
  stores.push(store);
  await store.ready().catch(() => undefined); // FerretDB refuses the TTL index: the sweep takes over
  return { store, docs, warnings };
}

const inAnHour = () => new Date(Date.now() + HOUR);

describe("koa-generic-session-mongo's documents", () => {
  const kgsm = (sid: string, body: Document, ttl = inAnHour()) => ({ _id: new ObjectId(), sid, ...body, ttl });

  it('are found by `sid` under their ObjectId, and written back there in their shape', async () => {
    const { store, docs } = await storeOver([kgsm('koa:sess:a', { user: 'ada', n: 1, gone: true })], { sidIndex: true });
    const loaded = await store.load('koa:sess:a');
    expect(loaded?.session).toEqual({ user: 'ada', n: 1, gone: true });
    const { gone: _gone, ...rest } = loaded!.session as Record<string, unknown>;
    const expires = new Date(Date.now() + 2 * HOUR);
    await store.set('koa:sess:a', { ...rest, n: 2 }, { snapshot: loaded!.snapshot, expires });
    const [doc, ...others] = await docs.find().toArray();
    expect(others).toEqual([]);
    expect(doc!['_id']).toBeInstanceOf(ObjectId);
    expect(doc).toMatchObject({ sid: 'koa:sess:a', user: 'ada', n: 2, ttl: expires });
    expect(Object.keys(doc!).sort()).toEqual(['_id', 'n', 'sid', 'ttl', 'user']); // `gone` unset, nothing of ours added
  });

  it('are not looked up by `sid` when nothing says the collection holds them (one read per miss)', async () => {
    const { store, docs } = await storeOver([]);
    await docs.insertOne(kgsm('koa:sess:late', { user: 'x' })); // after start-up, with no `sid` index
    expect(await store.get('koa:sess:late')).toBeNull();
  });

  it('expire at `ttl`; a touch moves `ttl`; a destroy removes them; the sweep removes expired ones', async () => {
    const { store, docs } = await storeOver(
      [
        kgsm('koa:sess:t', { user: 't' }),
        kgsm('koa:sess:d', { user: 'd' }),
        kgsm('koa:sess:old', { user: 'o' }, new Date(Date.now() - 1000)),
      ],
      { sidIndex: true },
    );
    expect(await store.get('koa:sess:old')).toBeNull();
    const loaded = await store.load('koa:sess:t');
    const later = new Date(Date.now() + 5 * HOUR);
    await store.touch('koa:sess:t', { snapshot: loaded!.snapshot, expires: later, touchAfterMs: 0 });
    expect((await docs.findOne({ sid: 'koa:sess:t' }))!['ttl']).toEqual(later);
    await store.destroy('koa:sess:d');
    expect(await docs.countDocuments({ sid: 'koa:sess:d' })).toBe(0);
    expect(await store.sweepExpired()).toBe(1);
    expect(await docs.countDocuments({ sid: 'koa:sess:old' })).toBe(0);
  });

  it('new sessions take the shape (no createdAt, which it would read as a key); adopting moves every one to ours', async () => {
    const { store, docs } = await storeOver([kgsm('koa:sess:o', { user: 'o' })], { sidIndex: true });
    await store.set('koa:sess:new', { user: 'n' }, { isNew: true });
    const fresh = await docs.findOne({ _id: 'koa:sess:new' });
    expect(fresh).toMatchObject({ sid: 'koa:sess:new', user: 'n', ttl: expect.any(Date) });
    expect(fresh!['createdAt']).toBeUndefined();
    expect(fresh!['v']).toBeUndefined();

    await docs.dropIndex('sid_1');
    const adopting = new SessionStore({ uri, collection: docs.collectionName, ttlMs: HOUR, adoptPeerDocuments: true });
    stores.push(adopting);
    adopting.on('warning', () => undefined);
    for (const id of ['koa:sess:o', 'koa:sess:new']) {
      const loaded = await adopting.load(id);
      await adopting.set(id, { ...loaded!.session, seen: 1 }, { snapshot: loaded!.snapshot });
    }
    const all = await docs.find().sort({ _id: 1 }).toArray();
    expect(all.map((doc) => [doc['_id'], doc['v'], doc['session'], doc['sid'], doc['user']])).toEqual([
      ['koa:sess:new', 1, { user: 'n', seen: 1 }, undefined, undefined],
      ['koa:sess:o', 1, { user: 'o', seen: 1 }, undefined, undefined],
    ]);
    expect(await adopting.get('koa:sess:o')).toEqual({ user: 'o', seen: 1 });
  });
});

describe("MongoSess's documents", () => {
  const mongosess = (id: string, body: Document, createdAt = new Date()) => ({ _id: id, createdAt, ...body });

  it('are read, live until createdAt + the lifetime, and a touch never moves that', async () => {
    const created = new Date(Date.now() - HOUR / 2);
    const { store, docs } = await storeOver([
      mongosess('0123456789abcdef01234567', { user: 'ada', since: new Date(0) }, created),
      mongosess('0123456789abcdef0123456f', { user: 'old' }, new Date(Date.now() - 2 * HOUR)),
    ]);
    const loaded = await store.load('0123456789abcdef01234567');
    expect(loaded?.session).toEqual({ user: 'ada', since: new Date(0) });
    expect(loaded!.snapshot.expires).toEqual(new Date(created.getTime() + HOUR));
    expect(await store.get('0123456789abcdef0123456f')).toBeNull();
    await store.touch('0123456789abcdef01234567', { snapshot: loaded!.snapshot, touchAfterMs: 0 });
    expect((await docs.findOne({ _id: '0123456789abcdef01234567' }))!['createdAt']).toEqual(created);
    // Written back flat, `createdAt` kept, removed keys unset.
    await store.set('0123456789abcdef01234567', { user: 'ada', n: 1 }, { snapshot: loaded!.snapshot });
    const doc = await docs.findOne({ _id: '0123456789abcdef01234567' });
    expect(doc).toEqual({ _id: '0123456789abcdef01234567', createdAt: created, user: 'ada', n: 1 });
    expect(await store.sweepExpired()).toBe(1); // the old one, by createdAt
    expect(await docs.countDocuments()).toBe(1);
  });

  it('a body whose keys cannot stay flat is written in our format (its store could not read it back)', async () => {
    const { store, docs } = await storeOver([mongosess('aaaaaaaaaaaaaaaaaaaaaaaa', { user: 'u' })]);
    const loaded = await store.load('aaaaaaaaaaaaaaaaaaaaaaaa');
    for (const body of [
      { user: 'u', expires: 'x' },
      { user: 'u', v: 2 },
    ]) {
      await store.set('aaaaaaaaaaaaaaaaaaaaaaaa', body, { snapshot: loaded!.snapshot });
      expect(await store.get('aaaaaaaaaaaaaaaaaaaaaaaa')).toEqual(body);
    }
    const doc = await docs.findOne({ _id: 'aaaaaaaaaaaaaaaaaaaaaaaa' });
    expect(doc).toMatchObject({ v: 1, session: expect.any(Object) });
    expect(doc!['user']).toBeUndefined();
    // New sessions in the shape: only those that fit it.
    await store.set('bbbbbbbbbbbbbbbbbbbbbbbb', { user: 'b' }, { isNew: true });
    await store.set('cccccccccccccccccccccccc', { session: 'mine' }, { isNew: true });
    expect(await docs.findOne({ _id: 'bbbbbbbbbbbbbbbbbbbbbbbb' })).toMatchObject({ user: 'b', createdAt: expect.any(Date) });
    expect(await docs.findOne({ _id: 'cccccccccccccccccccccccc' })).toMatchObject({ v: 1, session: expect.any(Object) });
    expect(await store.get('cccccccccccccccccccccccc')).toEqual({ session: 'mine' });
  });

  it('all() and length() count them; destroyByOwner deletes them (a tombstone would leave keys MongoSess reads)', async () => {
    const { store, docs } = await storeOver([mongosess('dddddddddddddddddddddddd', { user: 'dora' })], {
      owner: (session) => (session as { user?: string }).user,
    });
    await store.set('ours-1', { user: 'dora' }); // a new session: in MongoSess's shape too
    expect((await store.all()).map((entry) => entry.id).sort()).toEqual(['dddddddddddddddddddddddd', 'ours-1']);
    expect(await store.length()).toBe(2);
    const loaded = await store.load('dddddddddddddddddddddddd');
    await store.set('dddddddddddddddddddddddd', { user: 'dora', n: 1 }, { snapshot: loaded!.snapshot });
    expect(await docs.findOne({ _id: 'dddddddddddddddddddddddd' })).toMatchObject({ owner: 'dora', user: 'dora' });
    expect(await store.countByOwner('dora')).toBe(2);
    expect(await store.destroyByOwner('dora')).toBe(2);
    expect(await docs.findOne({ _id: 'dddddddddddddddddddddddd' })).toBeNull();
    expect(await store.get('dddddddddddddddddddddddd')).toBeNull();
    // A write prepared before the revocation does not bring it back.
    await store.set('dddddddddddddddddddddddd', { user: 'dora', n: 2 }, { snapshot: loaded!.snapshot });
    expect(await store.get('dddddddddddddddddddddddd')).toBeNull();
  });

  it('a document of no shape we know is ignored with a warning that holds no data', async () => {
    const { store, warnings } = await storeOver([{ _id: 'eeeeeeeeeeeeeeeeeeeeeeee', createdAt: 'soon', user: 'secret-value' }], {
      peerFormat: 'mongosess',
    });
    expect(await store.get('eeeeeeeeeeeeeeeeeeeeeeee')).toBeNull();
    expect(warnings.map((warning) => warning.code)).toContain('CORRUPT_DOCUMENT');
    expect(JSON.stringify(warnings)).not.toContain('secret-value');
  });
});
