import { Binary, MongoClient } from 'mongodb';
import {
  ErrorCode,
  hashSessionId,
  type InvalidOptionError,
  SessionStore,
  type SessionStoreOptions,
  type StoreWarning,
} from '@mongo-session/core';
import { MongoProxy, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { losslessCorpus } from '@mongo-session/test-utils/lossless-corpus';
import { withClockAhead } from '@mongo-session/test-utils/clock';

const database = uniqueDatabaseName('core_security');
const uri = testUri(database);
const SECRET_A = 'secret-A-0123456789abcdefghijklmnopqrstuv';
const SECRET_B = 'secret-B-0123456789abcdefghijklmnopqrstuv';
const SECRET_C = 'secret-C-0123456789abcdefghijklmnopqrstuv';
const HASH_SECRET = 'hash-secret-0123456789abcdefghijklmnopqr';
const CANARY = 'canary-7f3a9c-do-not-leak';

const stores: SessionStore[] = [];
let collectionCounter = 0;
/** Each test gets its own collection so raw reads see only its documents. */
const freshCollection = () => `sec_${++collectionCounter}`;
const open = (options: Partial<SessionStoreOptions>) => {
  const store = new SessionStore({ uri, autoRemove: 'interval', ...options });
  stores.push(store);
  return store;
};
const warningsOf = (store: SessionStore) => {
  const warnings: StoreWarning[] = [];
  store.on('warning', (w) => warnings.push(w));
  return warnings;
};
const raw = new MongoClient(uri);
const rawCollection = (name: string) => raw.db().collection<{ _id: string } & Record<string, any>>(name);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await raw.db().dropDatabase();
  await raw.close();
});

describe('encryption at rest', () => {
  it.each(Object.entries(losslessCorpus))('%s round-trips encrypted', async (name, body) => {
    const collection = freshCollection();
    const store = open({ collection, crypto: { secret: SECRET_A } });
    await store.set('corpus', body);
    expect(await store.get('corpus')).toEqual(body);
    const doc = await rawCollection(collection).findOne({ _id: 'corpus' });
    for (const value of Object.values(doc!['session'] as Record<string, unknown>)) {
      expect(value).toBeInstanceOf(Binary);
      expect((value as Binary).sub_type).toBe(0x80);
    }
    expect(name).toBeTruthy();
  });

  it('stores nothing of the body in clear: storage fields stay readable, values do not', async () => {
    const collection = freshCollection();
    const store = open({ collection, crypto: { secret: SECRET_A } });
    await store.set('clear-check', { user: CANARY, nested: { deep: CANARY } }, { ttlMs: 60_000 });
    const doc = await rawCollection(collection).findOne({ _id: 'clear-check' });
    expect(doc).toMatchObject({ _id: 'clear-check', v: 1 });
    expect(doc!['expires']).toBeInstanceOf(Date);
    expect(doc!['createdAt']).toBeInstanceOf(Date);
    expect(Object.keys(doc!['session'] as object).sort()).toEqual(['nested', 'user']);
    expect(JSON.stringify(doc)).not.toContain(CANARY);
    const bytes = Buffer.concat(Object.values(doc!['session'] as Record<string, Binary>).map((b) => Buffer.from(b.buffer)));
    expect(bytes.includes(Buffer.from(CANARY))).toBe(false);
  });

  it('keeps per-key writes: 50 overlapping relative writes to one session keep all 50 keys', async () => {
    const collection = freshCollection();
    const store = open({ collection, crypto: { secret: SECRET_A } });
    await store.set('many', { base: true });
    const loads = await Promise.all(Array.from({ length: 50 }, () => store.load('many')));
    await Promise.all(
      loads.map((loaded, i) => store.set('many', { ...loaded!.session, [`k${i}`]: i }, { snapshot: loaded!.snapshot })),
    );
    const final = await store.get('many');
    expect(Object.keys(final!).length).toBe(51);
    // A key deleted in one request and untouched by others stays deleted.
    const [first, second] = await Promise.all([store.load('many'), store.load('many')]);
    const { k0: _dropped, ...rest } = first!.session;
    await store.set('many', rest, { snapshot: first!.snapshot });
    await store.set('many', { ...second!.session, extra: 1 }, { snapshot: second!.snapshot });
    expect(await store.get('many')).not.toHaveProperty('k0');
    expect(await store.get('many')).toHaveProperty('extra', 1);
  });

  it('encrypts whole bodies with the json serializer', async () => {
    const collection = freshCollection();
    const store = open({ collection, serializer: 'json', crypto: { secret: SECRET_A } });
    await store.set('json', { a: CANARY, n: 1 });
    expect(await store.get('json')).toEqual({ a: CANARY, n: 1 });
    const doc = await rawCollection(collection).findOne({ _id: 'json' });
    expect(doc!['session']).toBeInstanceOf(Binary);
    expect(JSON.stringify(doc)).not.toContain(CANARY);
  });

  it('rotates keys: old documents stay readable and are re-encrypted with the first key on their next write', async () => {
    const collection = freshCollection();
    const old = open({ collection, crypto: { secret: SECRET_A } });
    await old.set('rotate', { a: 1, b: 2 });
    const keyIdOf = async () => {
      const doc = await rawCollection(collection).findOne({ _id: 'rotate' });
      return Object.values(doc!['session'] as Record<string, Binary>).map((b) =>
        Buffer.from(b.buffer).subarray(1, 9).toString('hex'),
      );
    };
    const [oldKeyId] = await keyIdOf();

    const rotated = open({ collection, crypto: { secret: [SECRET_B, SECRET_A] } });
    const loaded = await rotated.load('rotate');
    expect(loaded!.session).toEqual({ a: 1, b: 2 });
    // Change one key only: every value is re-encrypted with B in that same write.
    await rotated.set('rotate', { ...loaded!.session, a: 10 }, { snapshot: loaded!.snapshot });
    const keyIds = await keyIdOf();
    expect(new Set(keyIds).size).toBe(1);
    expect(keyIds[0]).not.toBe(oldKeyId);

    const onlyB = open({ collection, crypto: { secret: SECRET_B } });
    expect(await onlyB.get('rotate')).toEqual({ a: 10, b: 2 });
    const onlyA = open({ collection, crypto: { secret: SECRET_A } });
    const warnings = warningsOf(onlyA);
    expect(await onlyA.get('rotate')).toBeNull();
    expect(warnings.map((w) => w.code)).toEqual(['DECRYPTION_FAILED']);
    expect(warnings[0]!.message).toMatch(/key not in "crypto.secret"/);
  });

  it('treats tampered, truncated, moved and swapped values as no session, with an event and without leaking', async () => {
    const collection = freshCollection();
    const store = open({ collection, crypto: { secret: SECRET_A } });
    const warnings = warningsOf(store);
    const col = rawCollection(collection);
    const body = { a: CANARY, b: 'second value' };
    const reset = async (id: string) => {
      await store.set(id, body);
      return (await col.findOne({ _id: id }))!;
    };
    const withSession = async (id: string, session: Record<string, unknown>) => {
      await col.updateOne({ _id: id }, { $set: { session } });
      return store.get(id);
    };

    let doc = await reset('tamper');
    const flipped = Buffer.from((doc['session'].a as Binary).buffer);
    flipped[flipped.length - 20]! ^= 0x01;
    expect(await withSession('tamper', { ...doc['session'], a: new Binary(flipped, 0x80) })).toBeNull();

    doc = await reset('truncate');
    const cut = Buffer.from((doc['session'].a as Binary).buffer).subarray(0, 15);
    expect(await withSession('truncate', { ...doc['session'], a: new Binary(cut, 0x80) })).toBeNull();

    doc = await reset('swap');
    expect(await withSession('swap', { a: doc['session'].b, b: doc['session'].a })).toBeNull();

    doc = await reset('source');
    await col.insertOne({ ...doc, _id: 'copied' });
    expect(await store.get('copied')).toBeNull();

    doc = await reset('in-clear');
    expect(await withSession('in-clear', { a: 'plain', b: 'text' })).toBeNull();

    expect(warnings.map((w) => w.code)).toEqual(Array(5).fill('DECRYPTION_FAILED'));
    expect(JSON.stringify(warnings)).not.toContain(CANARY);
    // The untouched original is still fine.
    expect(await store.get('source')).toEqual(body);
  });

  it('reads documents written in clear with acceptUnencrypted, and encrypts them on their next write', async () => {
    const collection = freshCollection();
    const plain = open({ collection });
    await plain.set('migrate', { a: 1, b: 2 });
    const strict = open({ collection, crypto: { secret: SECRET_A } });
    expect(await strict.get('migrate')).toBeNull();
    const migrating = open({ collection, crypto: { secret: SECRET_A, acceptUnencrypted: true } });
    const loaded = await migrating.load('migrate');
    expect(loaded!.session).toEqual({ a: 1, b: 2 });
    await migrating.set('migrate', { ...loaded!.session, a: 3 }, { snapshot: loaded!.snapshot });
    const doc = await rawCollection(collection).findOne({ _id: 'migrate' });
    expect(Object.values(doc!['session'] as object).every((v) => v instanceof Binary)).toBe(true);
    expect(await strict.get('migrate')).toEqual({ a: 3, b: 2 });
  });

  it('refuses every body in clear without acceptUnencrypted, the empty one included, and counts only what it reads', async () => {
    const collection = freshCollection();
    const plain = open({ collection, owner: (s) => s['user'] as string | undefined });
    const strict = open({ collection, crypto: { secret: SECRET_A }, owner: (s) => s['user'] as string | undefined });
    const warnings = warningsOf(strict);
    await plain.set('clear-empty', {});
    await plain.set('clear-owned', { user: 'ann' });
    await rawCollection(collection).insertOne({
      _id: 'forged-empty',
      session: {},
      v: 1,
      expires: new Date(Date.now() + 60_000),
      owner: 'ann',
    });
    // Our own empty encrypted body stays readable, and so does an owned encrypted one.
    await strict.set('sealed-empty', {});
    await strict.set('sealed-owned', { user: 'ann' });
    expect(await strict.get('clear-empty')).toBeNull();
    expect(await strict.get('forged-empty')).toBeNull();
    expect(await strict.get('clear-owned')).toBeNull();
    expect(await strict.get('sealed-empty')).toEqual({});
    expect((await strict.all()).map((s) => s.id).sort()).toEqual(['sealed-empty', 'sealed-owned']);
    expect(await strict.length()).toBe(2);
    expect((await strict.listByOwner('ann')).map((s) => s.id)).toEqual(['sealed-owned']);
    expect(await strict.countByOwner('ann')).toBe(1);
    expect(warnings.every((w) => w.code === 'DECRYPTION_FAILED')).toBe(true);
    // An encrypted body whose keys are all removed stays a readable (empty) session.
    const loaded = await strict.load('sealed-owned');
    await strict.set('sealed-owned', {}, { snapshot: loaded!.snapshot });
    expect(await strict.get('sealed-owned')).toEqual({});
  });

  it('checks the 16 MiB limit on the encrypted size, before any write', async () => {
    const collection = freshCollection();
    // In clear this body fits with room to spare for the storage fields; each envelope adds ~50 bytes.
    const keys = 2000;
    const chunk = 'x'.repeat(Math.floor((16 * 1024 * 1024 - 4096 - keys * 24) / keys));
    const body = Object.fromEntries(Array.from({ length: keys }, (_, i) => [`k${String(i).padStart(4, '0')}`, chunk]));
    const plain = open({ collection: freshCollection() });
    await expect(plain.set('fits-in-clear', body)).resolves.toBeUndefined();
    const store = open({ collection, crypto: { secret: SECRET_A } });
    const error = await store.set('too-big-sealed', body).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: ErrorCode.Serialization });
    expect((error as Error).message).toMatch(/16 MiB document limit once encrypted/);
    expect(await rawCollection(collection).countDocuments({ _id: 'too-big-sealed' })).toBe(0);
    // The store keeps serving.
    await store.set('small', { a: 1 });
    expect(await store.get('small')).toEqual({ a: 1 });
  });

  it('costs no extra round trips: one command per read, one per changed write', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    try {
      const store = open({
        uri: proxy.uri(database),
        collection: freshCollection(),
        crypto: { secret: SECRET_A },
        hashSessionIds: { secret: HASH_SECRET },
        owner: (s) => s['user'] as string | undefined,
      });
      await store.set('rt', { user: 'ann', n: 0 });
      proxy.resetCounts();
      const loaded = await store.load('rt');
      expect(proxy.count('find')).toBe(1);
      await store.set('rt', { ...loaded!.session, n: 1 }, { snapshot: loaded!.snapshot });
      expect(proxy.count('update')).toBe(1);
      expect(proxy.count('find', 'update', 'insert', 'delete', 'aggregate')).toBe(2);
    } finally {
      await proxy.close();
    }
  });
});

describe('snapshots', () => {
  it("a write may only be relative to a snapshot this store handed out: a copied or another store's is refused", async () => {
    const collection = freshCollection();
    const store = open({ collection, hashSessionIds: { secret: HASH_SECRET } });
    const other = open({ collection: freshCollection() });
    await store.set('victim', { user: 'ann' });
    await other.set('mine', { user: 'eve' });
    const mine = await other.load('mine');
    const loaded = await store.load('victim');
    // A hand-made snapshot could name any document (bypassing the id hash): refused before any query.
    const forged = { ...loaded!.snapshot, id: 'attacker', documentId: loaded!.snapshot.documentId } as typeof loaded extends {
      snapshot: infer S;
    } | null
      ? S
      : never;
    for (const snapshot of [forged, mine!.snapshot]) {
      const error = await store.set('attacker', { user: 'eve' }, { snapshot }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: ErrorCode.InvalidArgument, argument: 'snapshot' });
      const touched = await store.touch('attacker', { snapshot }).catch((e: unknown) => e);
      expect(touched).toMatchObject({ code: ErrorCode.InvalidArgument, argument: 'snapshot' });
    }
    expect(await store.get('victim')).toEqual({ user: 'ann' });
    // Its own snapshot still works.
    await store.set('victim', { ...loaded!.session, n: 1 }, { snapshot: loaded!.snapshot });
    expect(await store.get('victim')).toEqual({ user: 'ann', n: 1 });
  });
});

describe('hashed session ids', () => {
  it('stores HMAC-SHA-256 ids, finds sessions by the real id with one indexed query, lists hashed ids', async () => {
    const collection = freshCollection();
    const store = open({ collection, hashSessionIds: { secret: HASH_SECRET } });
    await store.set('live-session-id', { a: 1 });
    const docs = await rawCollection(collection).find().toArray();
    expect(docs.map((d) => d._id)).toEqual([hashSessionId('live-session-id', HASH_SECRET)]);
    expect(docs[0]!._id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(docs)).not.toContain('live-session-id');
    expect(await store.get('live-session-id')).toEqual({ a: 1 });
    expect((await store.all()).map((s) => s.id)).toEqual([hashSessionId('live-session-id', HASH_SECRET)]);
    // The leaked _id is not a usable session id.
    expect(await store.get(docs[0]!._id)).toBeNull();
    await store.touch('live-session-id', { ttlMs: 60_000 });
    await store.destroy('live-session-id');
    expect(await rawCollection(collection).countDocuments()).toBe(0);
  });

  it('does not find sessions stored before the option was enabled (documented migration)', async () => {
    const collection = freshCollection();
    await open({ collection }).set('before', { a: 1 });
    const hashed = open({ collection, hashSessionIds: { secret: HASH_SECRET } });
    expect(await hashed.get('before')).toBeNull();
    // The README's migration: re-insert under the hashed id.
    const col = rawCollection(collection);
    for (const doc of await col.find().toArray()) {
      await col.insertOne({ ...doc, _id: hashSessionId(doc._id, HASH_SECRET) });
      await col.deleteOne({ _id: doc._id });
    }
    expect(await hashed.get('before')).toEqual({ a: 1 });
  });
});

describe('owners ("log out everywhere")', () => {
  const ownerOf = (s: Record<string, unknown>) => (typeof s['user'] === 'string' ? s['user'] : undefined);

  it('keeps an indexed owner field up to date on every write', async () => {
    const collection = freshCollection();
    const store = open({ collection, owner: ownerOf });
    await store.ready();
    const indexes = await rawCollection(collection).indexes();
    expect(indexes.some((i) => JSON.stringify(i.key) === '{"owner":1}')).toBe(true);

    await store.set('o1', { visits: 1 });
    expect(await rawCollection(collection).findOne({ _id: 'o1' })).not.toHaveProperty('owner');
    let loaded = await store.load('o1');
    await store.set('o1', { ...loaded!.session, user: 'ann' }, { snapshot: loaded!.snapshot });
    expect(await rawCollection(collection).findOne({ _id: 'o1' })).toHaveProperty('owner', 'ann');
    loaded = await store.load('o1');
    await store.set('o1', { ...loaded!.session, user: 'bob' }, { snapshot: loaded!.snapshot });
    expect(await store.countByOwner('ann')).toBe(0);
    expect(await store.countByOwner('bob')).toBe(1);
    loaded = await store.load('o1');
    const { user: _user, ...loggedOut } = loaded!.session;
    await store.set('o1', loggedOut, { snapshot: loaded!.snapshot });
    expect(await rawCollection(collection).findOne({ _id: 'o1' })).not.toHaveProperty('owner');
    await store.set('o1', { user: 'cy' });
    expect(await store.listByOwner('cy')).toEqual([
      { id: 'o1', session: { user: 'cy' }, expires: expect.any(Date), createdAt: expect.any(Date), lastSeenAt: expect.any(Date) },
    ]);
  });

  // JSON bodies take the whole-rewrite path for the in-flight write; lossless ones the per-key path.
  it.each(['lossless', 'json'] as const)(
    'destroyByOwner revokes every session of one owner; writes in flight do not bring them back (%s)',
    async (serializer) => {
      const collection = freshCollection();
      const store = open({ collection, owner: ownerOf, serializer });
      const warnings = warningsOf(store);
      await store.set('ann-laptop', { user: 'ann', n: 1 });
      await store.set('ann-phone', { user: 'ann', n: 1 });
      await store.set('bob-laptop', { user: 'bob', n: 1 });
      const inFlight = await store.load('ann-laptop');

      expect(await store.destroyByOwner('ann')).toBe(2);
      expect(await store.get('ann-laptop')).toBeNull();
      expect(await store.get('ann-phone')).toBeNull();
      expect(await store.get('bob-laptop')).toEqual({ user: 'bob', n: 1 });
      expect(await store.countByOwner('ann')).toBe(0);
      expect(await store.length()).toBe(1);
      expect((await store.all()).map((s) => s.id)).toEqual(['bob-laptop']);

      // A relative write from a request that read before the revocation.
      await store.set('ann-laptop', { ...inFlight!.session, n: 2 }, { snapshot: inFlight!.snapshot });
      // A whole-document write (no snapshot), as koa-session-store or @fastify/session make.
      await store.set('ann-phone', { user: 'ann', n: 2 });
      // A touch neither revives it nor stretches the tombstone.
      const expiresAtRevocation = (await rawCollection(collection).findOne({ _id: 'ann-phone' }))!['expires'].getTime();
      await store.touch('ann-phone', { ttlMs: 30 * 86_400_000 });
      expect(await store.get('ann-laptop')).toBeNull();
      expect(await store.get('ann-phone')).toBeNull();
      expect(warnings.filter((w) => w.code === 'WRITE_AFTER_DESTROY')).toHaveLength(2);
      const tombstone = await rawCollection(collection).findOne({ _id: 'ann-phone' });
      expect(tombstone).toMatchObject({ revoked: true, revokedAt: expect.any(Date), session: null });
      expect(tombstone).not.toHaveProperty('owner');
      // The tombstone lives exactly as long as the revoked session could have: no touch moved it.
      expect(tombstone!['expires'].getTime()).toBe(expiresAtRevocation);
      expect(expiresAtRevocation - Date.now()).toBeGreaterThan(13 * 86_400_000);
      // A browser that keeps its id (koa-session-store) logs in again: its request read the tombstone.
      const relogin = await store.read('ann-laptop');
      expect(relogin.session).toBeNull();
      await store.set('ann-laptop', { user: 'ann', fresh: true }, { snapshot: relogin.snapshot });
      expect(await store.get('ann-laptop')).toEqual({ user: 'ann', fresh: true });
      const fresh = await rawCollection(collection).findOne({ _id: 'ann-laptop' });
      expect(fresh).not.toHaveProperty('revoked');
      expect(fresh).not.toHaveProperty('revokedAt');
      await store.destroy('ann-laptop');
      // A second call finds nothing left to revoke; destroy removes a tombstone.
      expect(await store.destroyByOwner('ann')).toBe(0);
      await store.destroy('ann-phone');
      expect(await rawCollection(collection).findOne({ _id: 'ann-phone' })).toBeNull();
    },
  );

  // The field report: a slow request (an upload, a long poll) with a stolen cookie lands after any fixed window.
  it.each(['lossless', 'json'] as const)(
    'revocation is final however late a write prepared before it lands (%s)',
    async (serializer) => {
      const collection = freshCollection();
      const store = open({ collection, owner: ownerOf, serializer });
      const warnings = warningsOf(store);
      await store.set('slow', { user: 'eve', n: 1 });
      const before = await store.load('slow');
      const beforeRead = await store.read('slow');
      expect(await store.destroyByOwner('eve')).toBe(1);
      // The write lands long after the revocation: the store's clock says an hour later.
      await withClockAhead(3_600_000, async () => {
        await store.set('slow', { ...before!.session, n: 2 }, { snapshot: before!.snapshot });
        await store.set('slow', { ...beforeRead.session!, n: 3 }, { snapshot: beforeRead.snapshot });
        await store.set('slow', { user: 'eve', n: 4 }); // no snapshot at all
        await store.touch('slow', { snapshot: before!.snapshot });
      });
      expect(await store.get('slow')).toBeNull();
      expect(await rawCollection(collection).findOne({ _id: 'slow' })).toMatchObject({ revoked: true, session: null });
      expect(warnings.filter((w) => w.code === 'WRITE_AFTER_DESTROY').length).toBeGreaterThanOrEqual(3);
      // Only a read that saw the tombstone may replace it, once.
      const seen = await store.read('slow');
      await store.set('slow', { user: 'eve', relogin: 1 }, { snapshot: seen.snapshot });
      expect(await store.get('slow')).toEqual({ user: 'eve', relogin: 1 });
    },
  );

  it('revokes sessions with concurrent writes in flight in this process', async () => {
    const collection = freshCollection();
    const store = open({ collection, owner: ownerOf });
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.set(`busy-${i}`, { user: 'dee', n: 0 })));
    const loads = await Promise.all(Array.from({ length: 10 }, (_, i) => store.load(`busy-${i}`)));
    const writes = loads.map((loaded, i) => store.set(`busy-${i}`, { ...loaded!.session, n: 1 }, { snapshot: loaded!.snapshot }));
    const revoked = store.destroyByOwner('dee');
    await Promise.all(writes);
    expect(await revoked).toBeGreaterThanOrEqual(10);
    const left = await Promise.all(Array.from({ length: 10 }, (_, i) => store.get(`busy-${i}`)));
    expect(left.filter((s) => s !== null)).toEqual([]);
  });

  it('rejects bad owners with typed errors that name the argument or option', async () => {
    const store = open({ collection: freshCollection(), owner: () => 42 as unknown as string });
    await expect(store.set('bad-owner', { a: 1 })).rejects.toMatchObject({ code: ErrorCode.InvalidOption, option: 'owner' });
    const throwing = open({
      collection: freshCollection(),
      owner: () => {
        throw new Error(CANARY);
      },
    });
    const error = await throwing.set('x', { a: 1 }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: ErrorCode.InvalidOption, option: 'owner' });
    expect(JSON.stringify({ m: (error as Error).message, c: String((error as Error).cause) })).not.toContain(CANARY);
    for (const bad of ['', 7, null, 'x'.repeat(1025)]) {
      await expect(store.listByOwner(bad as string)).rejects.toMatchObject({
        code: ErrorCode.InvalidArgument,
        argument: 'owner',
      });
      await expect(store.countByOwner(bad as string)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
      await expect(store.destroyByOwner(bad as string)).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
    }
    // Callback form.
    const viaCallback = await new Promise((resolve) => store.countByOwner('nobody', (e, n) => resolve([e, n])));
    expect(viaCallback).toEqual([null, 0]);
  });
});

describe('all three together', () => {
  it('encrypts, hashes ids and revokes by owner in one store', async () => {
    const collection = freshCollection();
    const store = open({
      collection,
      crypto: { secret: [SECRET_C, SECRET_A] },
      hashSessionIds: { secret: HASH_SECRET },
      owner: (s) => s['user'] as string | undefined,
    });
    await store.set('sid-1', { user: 'eve', secret: CANARY, when: new Date(5) });
    await store.set('sid-2', { user: 'eve' });
    const docs = await rawCollection(collection).find().toArray();
    expect(JSON.stringify(docs)).not.toContain(CANARY);
    expect(JSON.stringify(docs)).not.toContain('sid-1');
    expect(docs.every((d) => d['owner'] === 'eve')).toBe(true);
    expect(await store.get('sid-1')).toEqual({ user: 'eve', secret: CANARY, when: new Date(5) });
    const listed = await store.listByOwner('eve');
    expect(listed.map((s) => s.id).sort()).toEqual(
      [hashSessionId('sid-1', HASH_SECRET), hashSessionId('sid-2', HASH_SECRET)].sort(),
    );
    expect(listed.find((s) => s.id === hashSessionId('sid-1', HASH_SECRET))!.session['secret']).toBe(CANARY);
    expect(await store.destroyByOwner('eve')).toBe(2);
    expect(await store.get('sid-1')).toBeNull();
  });
});

describe('options', () => {
  const invalid = (options: Partial<SessionStoreOptions>) => {
    try {
      new SessionStore({ uri, ...options } as SessionStoreOptions);
    } catch (error) {
      return error as InvalidOptionError;
    }
    throw new Error('expected an InvalidOptionError');
  };

  it.each([
    ['crypto', { crypto: { secret: 'too-short' } }, /at least 32 characters/],
    ['crypto', { crypto: { secret: [] } }, /non-empty list/],
    ['crypto', { crypto: { secret: [SECRET_A, 42] } }, /item 1/],
    ['crypto', { crypto: { secret: SECRET_A, algorithm: 'aes' } }, /unknown field "algorithm"/],
    ['crypto', { crypto: {} }, /missing "secret"/],
    ['crypto', { crypto: 'x' }, /secret/],
    ['hashSessionIds', { hashSessionIds: { secret: 'short' } }, /at least 32/],
    ['hashSessionIds', { hashSessionIds: true }, /\{ secret: string \}/],
    ['owner', { owner: 'user' }, /function/],
    // Too short: says how long it is and how to make one, not "received an object".
    ['crypto', { crypto: { secret: 'too-short' } }, /"crypto\.secret" is 9 characters long.*randomBytes\(32\)/],
    ['crypto', { crypto: { secret: [SECRET_A, 'short'] } }, /"crypto\.secret\[1\]" is 5 characters long/],
    ['hashSessionIds', { hashSessionIds: { secret: 'short' } }, /"hashSessionIds\.secret" is 5 characters long/],
  ])('%s: %j is refused, naming the option, without echoing secrets', (option, options, pattern) => {
    const error = invalid(options as Partial<SessionStoreOptions>);
    expect(error).toMatchObject({ code: ErrorCode.InvalidOption, option });
    expect(error.message).toMatch(pattern);
    expect(error.message).not.toContain('too-short');
    expect(error.message).not.toContain(SECRET_A);
    if (/characters long/.test(pattern.source)) expect(error.message).not.toMatch(/received/);
  });
});
