/**
 * Lifetime policies, device records and rotation in the core, against the real server. The
 * clock of this process is moved ahead (withClockAhead) to stand for hours passing; the
 * documents keep the times they were written with. The same features over HTTP through the
 * adapters are tested in each adapter's policies test.
 */
import { MongoClient } from 'mongodb';
import { ErrorCode, type PolicyEnd, SessionStore, type SessionStoreOptions, type StoreWarning } from '@mongo-session/core';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { withClockAhead } from '@mongo-session/test-utils/clock';

const database = uniqueDatabaseName('core_policies');
const uri = testUri(database);
const raw = new MongoClient(uri);
const stores: SessionStore[] = [];
let collections = 0;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await raw.db().dropDatabase();
  await raw.close();
});

type Options = Partial<SessionStoreOptions<Record<string, unknown>>>;

function open(options: Options = {}) {
  const collection = `policies_${++collections}`;
  const store = new SessionStore<Record<string, unknown>>({ uri, collection, ttlMs: DAY, ...options });
  stores.push(store as SessionStore);
  const ended: [string, PolicyEnd][] = [];
  const warnings: StoreWarning[] = [];
  store.on('expired', (id, reason) => ended.push([id, reason]));
  store.on('warning', (warning) => warnings.push(warning));
  // biome-ignore lint/suspicious/noExplicitAny: raw documents of any shape
  const docs = raw.db().collection<{ _id: string } & Record<string, any>>(collection);
  return { store, docs, ended, warnings };
}

const owned = { owner: (session: Record<string, unknown>) => session['user'] as string | undefined };

describe('idleTimeoutMs', () => {
  it('ends a session after that long without a request; each request (touch) keeps it alive; lazily', async () => {
    const { store, docs, ended } = open({ idleTimeoutMs: 30 * MINUTE });
    await store.set('idle', { user: 'ada' });
    const first = await docs.findOne({ _id: 'idle' });
    // The stored expiry is brought forward to the idle limit (the TTL index removes it on time).
    expect(first!['expires'].getTime()).toBeLessThanOrEqual(Date.now() + 30 * MINUTE);
    expect(first!['lastSeenAt']).toBeInstanceOf(Date);

    // A request a minute later: within a tenth of the idle timeout, the touch is not written.
    await withClockAhead(MINUTE, async () => {
      const loaded = await store.load('idle');
      await store.touch('idle', { snapshot: loaded!.snapshot });
    });
    expect((await docs.findOne({ _id: 'idle' }))!['lastSeenAt']).toEqual(first!['lastSeenAt']);

    // 20 minutes in: written; 45 minutes in (25 after that), still live.
    await withClockAhead(20 * MINUTE, async () => {
      const loaded = await store.load('idle');
      await store.touch('idle', { snapshot: loaded!.snapshot });
    });
    expect(await withClockAhead(45 * MINUTE, () => store.get('idle'))).toEqual({ user: 'ada' });
    expect(ended).toEqual([]);
    // 51 minutes in: 31 idle minutes. No session, and an event saying why.
    expect(await withClockAhead(51 * MINUTE, () => store.get('idle'))).toBeNull();
    expect(ended).toEqual([['idle', 'idle']]);
  });

  it('applies to sessions stored before it was set (read checks lastSeenAt)', async () => {
    const { store, docs } = open();
    await store.set('before', { a: 1 });
    const strict = new SessionStore({ uri, collection: docs.collectionName, idleTimeoutMs: 10 * MINUTE });
    stores.push(strict);
    const ended: string[] = [];
    strict.on('expired', (_id, reason) => ended.push(reason));
    expect(await withClockAhead(5 * MINUTE, () => strict.get('before'))).toEqual({ a: 1 });
    expect(await withClockAhead(11 * MINUTE, () => strict.get('before'))).toBeNull();
    expect(await withClockAhead(11 * MINUTE, () => strict.length())).toBe(0);
    expect(ended).toEqual(['idle']);
  });
});

describe('absoluteTimeoutMs', () => {
  it('ends a session that long after its creation, however active: no touch or write extends it', async () => {
    const { store, docs, ended } = open({ absoluteTimeoutMs: 2 * HOUR, idleTimeoutMs: HOUR });
    await store.set('abs', { user: 'bo' }, { isNew: true });
    const createdAt: Date = (await docs.findOne({ _id: 'abs' }))!['createdAt'];
    for (const minutes of [50, 100]) {
      await withClockAhead(minutes * MINUTE, async () => {
        const loaded = await store.load('abs');
        expect(loaded?.session['user']).toBe('bo');
        await store.set('abs', { user: 'bo', n: minutes }, { snapshot: loaded!.snapshot, ttlMs: DAY });
      });
    }
    const doc = await docs.findOne({ _id: 'abs' });
    expect(doc!['expires']).toEqual(new Date(createdAt.getTime() + 2 * HOUR));
    expect(await withClockAhead(119 * MINUTE, () => store.get('abs'))).toEqual({ user: 'bo', n: 100 });
    expect(await withClockAhead(121 * MINUTE, () => store.get('abs'))).toBeNull();
    expect(ended).toEqual([['abs', 'absolute']]);
  });
});

describe('anonymousTtlMs', () => {
  it('gives sessions without an owner the shorter lifetime, and an owned one the full one', async () => {
    const { store, docs } = open({ ...owned, anonymousTtlMs: 15 * MINUTE });
    await store.set('anon', { cart: 1 });
    expect((await docs.findOne({ _id: 'anon' }))!['expires'].getTime()).toBeLessThanOrEqual(Date.now() + 15 * MINUTE);
    const loaded = await store.load('anon');
    await store.set('anon', { cart: 1, user: 'cy' }, { snapshot: loaded!.snapshot });
    expect((await docs.findOne({ _id: 'anon' }))!['expires'].getTime()).toBeGreaterThan(Date.now() + DAY - MINUTE);
  });

  it('needs `owner`: a typed error naming both options', () => {
    expect(() => new SessionStore({ uri, anonymousTtlMs: MINUTE })).toThrow(
      expect.objectContaining({ code: ErrorCode.InvalidOption, message: expect.stringContaining('"owner"') }),
    );
    expect(() => new SessionStore({ uri, maxSessionsPerOwner: 2 })).toThrow(/maxSessionsPerOwner/);
  });
});

describe('device records and "log out my other devices"', () => {
  it('keeps the device a session was created with, lastSeenAt, and lists them by owner', async () => {
    const { store } = open(owned);
    await store.set('laptop', { user: 'dee' }, { isNew: true, device: { userAgent: 'Firefox', ip: '192.0.2.1' } });
    await store.set('phone', { user: 'dee' }, { isNew: true, device: { userAgent: 'Safari', mobile: true } });
    // A later write never replaces the device.
    const loaded = await store.load('laptop');
    await store.set('laptop', { user: 'dee', n: 1 }, { snapshot: loaded!.snapshot, device: { userAgent: 'changed' } });
    const listed = (await store.listByOwner('dee')).sort((a, b) => a.id.localeCompare(b.id));
    expect(listed).toEqual([
      expect.objectContaining({
        id: 'laptop',
        device: { userAgent: 'Firefox', ip: '192.0.2.1' },
        createdAt: expect.any(Date),
        lastSeenAt: expect.any(Date),
      }),
      expect.objectContaining({ id: 'phone', device: { userAgent: 'Safari', mobile: true } }),
    ]);
    expect(await store.destroyByOwner('dee', { except: 'phone' })).toBe(1);
    expect((await store.listByOwner('dee')).map((entry) => entry.id)).toEqual(['phone']);
    expect(await store.get('laptop')).toBeNull();
  });

  it('refuses a bad device record with a typed error naming `device`, without its contents; nothing is written', async () => {
    const { store, docs } = open(owned);
    for (const device of [
      ['x'],
      { ua: 'x'.repeat(600) },
      { 'a.b': 1 },
      { nested: { a: 1 } },
      Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i])),
    ]) {
      const error = await store
        .set('bad', { user: 'eve', secret: 'hunter2' }, { isNew: true, device: device as never })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: ErrorCode.InvalidArgument, message: expect.stringContaining('device') });
      expect(String((error as Error).message)).not.toContain('hunter2');
    }
    expect(await docs.countDocuments()).toBe(0);
  });
});

describe('maxSessionsPerOwner', () => {
  it("revokes the owner's oldest sessions beyond the limit when one more logs in", async () => {
    const { store, ended } = open({ ...owned, maxSessionsPerOwner: 2 });
    for (const [i, id] of ['s1', 's2', 's3'].entries()) {
      await withClockAhead(i * MINUTE, () => store.set(id, { user: 'fay' }, { isNew: true }));
    }
    expect((await store.listByOwner('fay')).map((entry) => entry.id).sort()).toEqual(['s2', 's3']);
    expect(await store.get('s1')).toBeNull();
    expect(ended).toEqual([['s1', 'evicted']]);
    // A write of an already owned session is no log-in: nothing more goes.
    const loaded = await store.load('s2');
    await store.set('s2', { user: 'fay', n: 1 }, { snapshot: loaded!.snapshot });
    expect(await store.countByOwner('fay')).toBe(2);
  });
});

describe('regenerate(oldId, newId)', () => {
  it('moves the body, creation time and device to the new id; the old one is dead at once', async () => {
    const { store, docs, warnings } = open(owned);
    await store.set('old', { user: 'gus', cart: [1, 2] }, { isNew: true, device: { userAgent: 'Edge' } });
    const before = await docs.findOne({ _id: 'old' });
    const inFlight = await store.load('old'); // a request that read the old id before the rotation
    expect(await store.regenerate('old', 'new')).toBe(true);
    expect(await store.get('old')).toBeNull();
    expect(await store.get('new')).toEqual({ user: 'gus', cart: [1, 2] });
    const moved = await docs.findOne({ _id: 'new' });
    expect(moved!['createdAt']).toEqual(before!['createdAt']);
    expect(moved!['device']).toEqual({ userAgent: 'Edge' });
    // The write of that request lands after the rotation: dropped, the old id stays dead.
    await store.set('old', { user: 'gus', cart: [1, 2, 3] }, { snapshot: inFlight!.snapshot });
    expect(await store.get('old')).toBeNull();
    expect(warnings.map((warning) => warning.code)).toContain('WRITE_AFTER_DESTROY');
    // A blind write on the old id cannot either (the tombstone is in force).
    await store.set('old', { user: 'gus' });
    expect(await store.get('old')).toBeNull();
    expect(await store.countByOwner('gus')).toBe(1);
  });

  it('resolves false when the old id has no session, and refuses the same id twice', async () => {
    const { store } = open();
    expect(await store.regenerate('missing', 'other')).toBe(false);
    expect(await store.get('other')).toBeNull();
    await expect(store.regenerate('same', 'same')).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
  });
});
