import { MongoClient } from 'mongodb';
import {
  ErrorCode,
  InvalidOptionError,
  InvalidSessionIdError,
  SerializationError,
  SessionStore,
  StoreClosedError,
  type StoreWarning,
} from '@mongo-session/core';
import { MongoProxy, testServer, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const database = uniqueDatabaseName('core_store');
const uri = testUri(database);
const stores: SessionStore[] = [];
const open = (options: Partial<ConstructorParameters<typeof SessionStore>[0]> = {}) => {
  const store = new SessionStore({ uri, ...options });
  stores.push(store);
  return store;
};
const raw = new MongoClient(uri);
const rawSessions = () => raw.db().collection<{ _id: string } & Record<string, unknown>>('sessions');

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await raw.db().dropDatabase();
  await raw.close();
});

describe('operations', () => {
  it('prints the server it runs against', () => {
    const server = testServer();
    console.log(`core store tests against ${server.description}`);
    expect(server.description).toMatch(/MongoDB|FerretDB/);
  });

  it('promise and callback forms agree; callbacks run once, later, outside the promise chain', async () => {
    const store = open();
    await store.set('cb-1', { a: 1 });
    let syncReturn = true;
    const viaCallback = await new Promise((resolve, reject) => {
      store.get('cb-1', (error, value) => (error ? reject(error) : resolve({ value, syncReturn })));
      syncReturn = false;
    });
    expect(viaCallback).toEqual({ value: { a: 1 }, syncReturn: false });
    let calls = 0;
    await new Promise<void>((resolve) =>
      store.set('cb-2', { b: 2 }, () => {
        calls++;
        setTimeout(resolve, 20);
      }),
    );
    expect(calls).toBe(1);
  });

  it('set keeps createdAt and moves updatedAt; get never returns storage fields', async () => {
    const store = open();
    await store.set('times', { a: 1 });
    const first = await rawSessions().findOne({ _id: 'times' });
    await new Promise((r) => setTimeout(r, 15));
    await store.set('times', { a: 2 });
    const second = await rawSessions().findOne({ _id: 'times' });
    expect(second!['createdAt']).toEqual(first!['createdAt']);
    expect((second!['updatedAt'] as Date).getTime()).toBeGreaterThan((first!['updatedAt'] as Date).getTime());
    expect(await store.get('times')).toEqual({ a: 2 });
  });

  it('user keys named like storage fields never collide with them', async () => {
    const store = open();
    const body = { _id: 'evil', expires: 'never', v: 99, session: 'inner', createdAt: 1 };
    await store.set('collide', body);
    expect(await store.get('collide')).toEqual(body);
    const doc = await rawSessions().findOne({ _id: 'collide' });
    expect(doc!['v']).toBe(1);
    expect(doc!['expires']).toBeInstanceOf(Date);
  });

  it('load returns a snapshot with the stored expiry and creation time', async () => {
    const store = open();
    const expires = new Date(Date.now() + 3_600_000);
    await store.set('snap', { a: 1 }, { expires });
    const loaded = await store.load('snap');
    expect(loaded!.session).toEqual({ a: 1 });
    expect(loaded!.snapshot.expires.getTime()).toBe(expires.getTime());
    expect(loaded!.snapshot.createdAt).toBeInstanceOf(Date);
  });
});

describe('writes relative to what was read', () => {
  it('two requests changing different keys both keep their change', async () => {
    const store = open();
    await store.set('rel-1', { a: 1, b: 1, keep: true });
    const [r1, r2] = await Promise.all([store.load('rel-1'), store.load('rel-1')]);
    await Promise.all([
      store.set('rel-1', { ...r1!.session, a: 2 }, { snapshot: r1!.snapshot }),
      store.set('rel-1', { ...r2!.session, b: 2 }, { snapshot: r2!.snapshot }),
    ]);
    expect(await store.get('rel-1')).toEqual({ a: 2, b: 2, keep: true });
  });

  it('a key deleted in one request and untouched by another stays deleted', async () => {
    const store = open();
    await store.set('rel-2', { gone: 1, other: 1 });
    const [r1, r2] = await Promise.all([store.load('rel-2'), store.load('rel-2')]);
    const { gone: _gone, ...without } = r1!.session as Record<string, unknown>;
    await store.set('rel-2', without, { snapshot: r1!.snapshot });
    await store.set('rel-2', { ...r2!.session, other: 2 }, { snapshot: r2!.snapshot });
    expect(await store.get('rel-2')).toEqual({ other: 2 });
  });

  it('a write landing after a destroy is dropped with a warning, not resurrected', async () => {
    const store = open();
    const warnings: StoreWarning[] = [];
    store.on('warning', (w) => warnings.push(w));
    await store.set('rel-3', { a: 1 });
    const loaded = await store.load('rel-3');
    await store.destroy('rel-3');
    await store.set('rel-3', { a: 2 }, { snapshot: loaded!.snapshot });
    expect(await store.get('rel-3')).toBeNull();
    expect(await rawSessions().countDocuments({ _id: 'rel-3' })).toBe(0);
    expect(warnings.map((w) => w.code)).toContain('WRITE_AFTER_DESTROY');
  });

  it('writes only the keys that changed ($set / $unset on session.<key>)', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    const store = new SessionStore({ uri: proxy.uri(database) });
    try {
      await store.set('rel-4', { a: 1, big: 'x'.repeat(10_000) });
      const loaded = await store.load('rel-4');
      // Change the document behind the store's back: an unchanged key must not be rewritten.
      await rawSessions().updateOne({ _id: 'rel-4' }, { $set: { 'session.big': 'changed elsewhere' } });
      await store.set('rel-4', { ...loaded!.session, a: 2 }, { snapshot: loaded!.snapshot });
      expect(await store.get('rel-4')).toEqual({ a: 2, big: 'changed elsewhere' });
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('a set that changes only lazy keys is a lazy touch', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    const store = new SessionStore({ uri: proxy.uri(database), touchAfterMs: 60_000 });
    try {
      await store.set('rel-5', { data: 1, cookie: { n: 1 } }, { ttlMs: 3_600_000 });
      const loaded = await store.load('rel-5');
      proxy.resetCounts();
      await store.set(
        'rel-5',
        { data: 1, cookie: { n: 2 } },
        { snapshot: loaded!.snapshot, lazyKeys: ['cookie'], ttlMs: 3_600_000 },
      );
      expect(proxy.count('update')).toBe(0);
      await store.set(
        'rel-5',
        { data: 2, cookie: { n: 3 } },
        { snapshot: loaded!.snapshot, lazyKeys: ['cookie'], ttlMs: 3_600_000 },
      );
      expect(proxy.count('update')).toBe(1);
      expect(await store.get('rel-5')).toEqual({ data: 2, cookie: { n: 3 } });
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});

describe('lazy touch', () => {
  it('skips writes while the stored expiry is within touchAfterMs, and keeps the invariant', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    const touchAfterMs = 300;
    const store = new SessionStore({ uri: proxy.uri(database), touchAfterMs });
    try {
      await store.set('lazy', { a: 1 }, { ttlMs: 10_000 });
      proxy.resetCounts();
      let writes = 0;
      for (let i = 0; i < 12; i++) {
        const loaded = await store.load('lazy');
        const requested = new Date(Date.now() + 10_000);
        const before = proxy.count('update');
        await store.touch('lazy', { expires: requested, snapshot: loaded!.snapshot });
        writes += proxy.count('update') - before;
        const stored = (await rawSessions().findOne({ _id: 'lazy' }))!['expires'] as Date;
        expect(stored.getTime()).toBeGreaterThanOrEqual(requested.getTime() - touchAfterMs);
        await new Promise((r) => setTimeout(r, 60));
      }
      expect(writes).toBeGreaterThan(0);
      expect(writes).toBeLessThan(12);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('touchAfterMs: 0 always writes; default is min(1 hour, ttlMs / 10)', async () => {
    expect(open({ ttlMs: 60_000 }).options.touchAfterMs).toBe(6_000);
    expect(open().options.touchAfterMs).toBe(3_600_000);
    const proxy = await MongoProxy.fromUri(uri);
    const store = new SessionStore({ uri: proxy.uri(database), touchAfterMs: 0 });
    try {
      await store.set('eager', { a: 1 }, { ttlMs: 1000 });
      const loaded = await store.load('eager');
      proxy.resetCounts();
      await store.touch('eager', { ttlMs: 3_600_000, snapshot: loaded!.snapshot });
      await store.touch('eager', { ttlMs: 3_600_001, snapshot: loaded!.snapshot });
      expect(proxy.count('update')).toBe(2);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('a per-call touchAfterMs narrows the window for that call only', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    const store = new SessionStore({ uri: proxy.uri(database), touchAfterMs: 3_600_000 });
    try {
      await store.set('window', { a: 1 }, { ttlMs: 10_000 });
      const loaded = await store.load('window');
      proxy.resetCounts();
      await new Promise((r) => setTimeout(r, 50));
      await store.touch('window', { ttlMs: 10_000, snapshot: loaded!.snapshot });
      expect(proxy.count('update')).toBe(0);
      await store.touch('window', { ttlMs: 10_000, snapshot: loaded!.snapshot, touchAfterMs: 10 });
      expect(proxy.count('update')).toBe(1);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('touch never creates a document', async () => {
    const store = open();
    await store.touch('never-created', { ttlMs: 60_000 });
    expect(await rawSessions().countDocuments({ _id: 'never-created' })).toBe(0);
  });
});

describe('session ids', () => {
  const bad: [string, unknown][] = [
    ['a number', 42],
    ['an operator object', { $ne: null }],
    ['null', null],
    ['an empty string', ''],
    ['over 1024 characters', 'x'.repeat(1025)],
    ['a NUL byte', 'a\u0000b'],
  ];
  it.each(bad)('%s is rejected through the promise, before any query', async (_name, id) => {
    const store = open();
    await store.set('victim', { a: 1 });
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = store.get(id as string);
    }).not.toThrow();
    await expect(pending).rejects.toBeInstanceOf(InvalidSessionIdError);
    await expect(store.destroy(id as string)).rejects.toMatchObject({ code: ErrorCode.InvalidSessionId });
    expect(await store.get('victim')).toEqual({ a: 1 });
  });

  it('through a callback too', async () => {
    const store = open();
    const error = await new Promise((resolve) => store.get({ $gt: '' } as never, (e) => resolve(e)));
    expect(error).toBeInstanceOf(InvalidSessionIdError);
  });

  it('1024 characters and odd unicode are fine', async () => {
    const store = open();
    for (const id of ['x'.repeat(1024), '🙂💥 ∑ 日本', '$where', 'a.b.c']) {
      await store.set(id, { ok: true });
      expect(await store.get(id)).toEqual({ ok: true });
    }
  });
});

describe('errors and lifecycle', () => {
  it('invalid options throw InvalidOptionError synchronously, naming the option', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ uri, ttlMs: 0 }, 'ttlMs'],
      [{ uri, ttlMs: -5 }, 'ttlMs'],
      [{ uri, ttlMs: NaN }, 'ttlMs'],
      [{ uri, touchAfterMs: -1 }, 'touchAfterMs'],
      [{ uri, autoRemove: 'sometimes' }, 'autoRemove'],
      [{ uri, collection: '' }, 'collection'],
      [{ uri, serializer: 'xml' }, 'serializer'],
      [{ uri, ttl: 10 }, 'ttl'],
      [{ uri: 42 }, 'uri'],
      [{}, 'uri'],
    ];
    for (const [options, option] of cases) {
      let thrown: unknown;
      try {
        new SessionStore(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidOptionError);
      expect((thrown as InvalidOptionError).option).toBe(option);
      expect((thrown as Error).message).toContain(option);
    }
  });

  it('an oversized body fails with SerializationError before any query', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    const store = new SessionStore({ uri: proxy.uri(database) });
    try {
      await store.ready();
      proxy.resetCounts();
      await expect(store.set('huge', { s: 'x'.repeat(17 * 1024 * 1024) })).rejects.toBeInstanceOf(SerializationError);
      await expect(store.set('bigint', { n: 1n })).rejects.toBeInstanceOf(SerializationError);
      expect(proxy.count('update', 'insert')).toBe(0);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('operations on a closed store reject with StoreClosedError', async () => {
    const store = new SessionStore({ uri });
    await store.close();
    for (const op of [() => store.get('x'), () => store.set('x', {}), () => store.destroy('x'), () => store.length()]) {
      await expect(op()).rejects.toBeInstanceOf(StoreClosedError);
    }
    await store.close(); // idempotent
  });

  it('emits create, update, touch and destroy', async () => {
    const store = open({ touchAfterMs: 0 });
    const seen: string[] = [];
    for (const name of ['create', 'update', 'touch', 'destroy'] as const) store.on(name, (id) => seen.push(`${name}:${id}`));
    await store.set('ev', { a: 1 });
    await store.set('ev', { a: 2 });
    await store.touch('ev', { ttlMs: 99_999 });
    await store.destroy('ev');
    expect(seen).toEqual(['create:ev', 'update:ev', 'touch:ev', 'destroy:ev']);
  });

  it('a corrupt document is "no session" plus a warning that does not contain session data', async () => {
    const store = open();
    const warnings: StoreWarning[] = [];
    store.on('warning', (w) => warnings.push(w));
    const canary = 'CANARY-c0rrupt';
    const future = new Date(Date.now() + 60_000);
    await rawSessions().insertMany([
      { _id: 'bad-expires', session: { canary }, expires: 'tomorrow' },
      { _id: 'bad-version', session: { canary }, expires: future, v: 99 },
      { _id: 'bad-body', session: 12, expires: future, v: 1 },
      { _id: 'bad-json', session: `{${canary}`, expires: future, v: 1 },
      { _id: 'bad-tag', session: { a: { '%q': canary } }, expires: future, v: 1 },
    ]);
    for (const id of ['bad-expires', 'bad-version', 'bad-body', 'bad-json', 'bad-tag']) {
      expect(await store.get(id)).toBeNull();
    }
    // Each store also tells its own listeners how expiry works here (a TTL warning on FerretDB).
    const corrupt = warnings.filter((w) => w.code !== 'TTL_INDEX_UNAVAILABLE');
    expect(corrupt).toHaveLength(5);
    for (const w of corrupt) {
      expect(w.code).toBe('CORRUPT_DOCUMENT');
      expect(JSON.stringify(w)).not.toContain(canary);
    }
  });
});

describe('new sessions and short lifetimes', () => {
  it('isNew writes with one insert, and falls back to the update when the id exists after all', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    try {
      const store = open({ uri: proxy.uri(database), collection: 'fresh' });
      await store.ready();
      proxy.resetCounts();
      await store.set('fresh-1', { a: 1 }, { isNew: true });
      expect(proxy.counts()).toMatchObject({ insert: 1 });
      expect(proxy.count('update')).toBe(0);
      expect(await store.get('fresh-1')).toEqual({ a: 1 });
      await store.set('fresh-1', { b: 2 }, { isNew: true });
      expect(await store.get('fresh-1')).toEqual({ b: 2 });
      const doc = await raw.db().collection<{ _id: string }>('fresh').findOne({ _id: 'fresh-1' });
      expect(doc).toMatchObject({ v: 1, createdAt: expect.any(Date), updatedAt: expect.any(Date) });
    } finally {
      await proxy.close();
    }
  });

  it('a lazy touch never lets a session lapse when its lifetime is shorter than touchAfterMs', async () => {
    // touchAfterMs is 1 hour by default; this session lives 6 s and is used every 3.5 s.
    const store = open({ collection: 'short' });
    expect(store.options.touchAfterMs).toBe(3_600_000);
    await store.set('short-1', { a: 1 }, { ttlMs: 6000 });
    await new Promise((r) => setTimeout(r, 3500));
    const loaded = await store.load('short-1');
    expect(loaded).not.toBeNull();
    await store.set('short-1', loaded!.session, { ttlMs: 6000, snapshot: loaded!.snapshot });
    await new Promise((r) => setTimeout(r, 3500));
    // Past the first expiry (6 s): alive only because the touch was written.
    expect(await store.get('short-1')).toEqual({ a: 1 });
  });
});
