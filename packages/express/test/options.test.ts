/** Constructor forms and option mapping: connect-mongodb-session's and connect-mongo 6's names onto the core's. */
import session from 'express-session';
import connectMongoDBSession, { ErrorCode, MongoStore } from '@mongo-session/express';
import { testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';

const database = uniqueDatabaseName('express_options');
const uri = testUri(database);
const stores: MongoStore[] = [];
const keep = <S extends MongoStore>(store: S) => {
  stores.push(store);
  return store;
};
afterAll(() => Promise.all(stores.map((s) => s.close())));

const invalidOption = (fn: () => unknown): { code?: string; option?: string; message: string } => {
  try {
    fn();
  } catch (error) {
    return error as { code?: string; option?: string; message: string };
  }
  throw new Error('expected an InvalidOptionError');
};

describe('connect-mongodb-session form', () => {
  it('the factory returns one class per Store, callable with or without new', async () => {
    const MongoDBStore = connectMongoDBSession(session);
    expect(connectMongoDBSession(session)).toBe(MongoDBStore);
    expect(connectMongoDBSession.MongoStore).toBe(MongoStore);
    expect(connectMongoDBSession.default).toBe(connectMongoDBSession);
    const withNew = keep(new MongoDBStore({ uri, collection: 'forms' }));
    const withoutNew = keep(MongoDBStore({ uri, collection: 'forms' }));
    for (const store of [withNew, withoutNew]) {
      expect(store).toBeInstanceOf(MongoDBStore);
      expect(store).toBeInstanceOf(session.Store);
    }
    await withNew.set('forms-1', { cookie: { maxAge: 60_000 }, a: 1 });
    expect(await withoutNew.get('forms-1')).toMatchObject({ a: 1 });
  });

  it('maps expires (ms) to the lifetime and accepts only the defaults of idField, expiresKey, expiresAfterSeconds', async () => {
    const store = keep(
      new MongoStore({ uri, collection: 'seed', expires: 1234, idField: '_id', expiresKey: 'expires', expiresAfterSeconds: 0 }),
    );
    expect(store.core.options.ttlMs).toBe(1234);
    expect(store.core.options.collection).toBe('seed');
    expect(store.core.options.databaseName).toBe(database);
    for (const [option, value] of [
      ['idField', 'sid'],
      ['expiresKey', 'expiresAt'],
      ['expiresAfterSeconds', 60],
    ] as const) {
      const error = invalidOption(() => new MongoStore({ uri, [option]: value }));
      expect(error).toMatchObject({ code: ErrorCode.InvalidOption, option });
      expect(error.message).toContain(option);
    }
    expect(invalidOption(() => new MongoStore({ uri, expires: 1, ttlMs: 2 }))).toMatchObject({ option: 'expires' });
  });

  it('the constructor callback fires once with null when connected', async () => {
    const calls: unknown[] = [];
    const store = keep(new MongoStore({ uri, collection: 'cb' }, (error) => calls.push(error)));
    await store.core.ready();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toEqual([null]);
  });

  it('a bad host reaches the callback and the error listener promptly; with neither nothing crashes', async () => {
    const failures = trackProcessFailures();
    try {
      const bad = 'mongodb://bad.host.invalid:27000/x?connectTimeoutMS=10&serverSelectionTimeoutMS=1000';
      const started = Date.now();
      const seen: string[] = [];
      const store = keep(
        new MongoStore({ uri: bad }, (error) => seen.push(`callback ${(error as { code?: string } | null)?.code}`)),
      );
      store.on('error', (error) => seen.push(`listener ${error.code}`));
      const silent = keep(new MongoStore({ uri: bad }));
      await expect(silent.get('x')).rejects.toMatchObject({ code: ErrorCode.Connection });
      for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      expect(seen.sort()).toEqual([`callback ${ErrorCode.Connection}`, `listener ${ErrorCode.Connection}`]);
      expect(Date.now() - started).toBeLessThan(8000);
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
    }
  });

  it('new MongoStore takes the core option names', () => {
    const store = keep(new MongoStore({ uri, collection: 'core_names', ttlMs: 5000, touchAfterMs: 0, serializer: 'json' }));
    expect(store.core.options).toMatchObject({ ttlMs: 5000, touchAfterMs: 0, serializer: 'json', collection: 'core_names' });
    expect(invalidOption(() => new MongoStore({ uri, bogus: 1 } as never))).toMatchObject({ option: 'bogus' });
  });
});

describe('MongoStore.create with connect-mongo 6 option names', () => {
  it('maps each supported option', () => {
    const serialize = (s: object) => JSON.stringify(s);
    const unserialize = (s: unknown) => JSON.parse(s as string) as Record<string, unknown>;
    const store = keep(
      MongoStore.create({
        mongoUrl: uri,
        dbName: `${database}_other`,
        collectionName: 'cm',
        mongoOptions: { maxPoolSize: 3 },
        ttl: 60,
        autoRemove: 'interval',
        autoRemoveInterval: 2,
        touchAfter: 10,
        timestamps: true,
        serialize,
        unserialize,
      }),
    );
    expect(store).toBeInstanceOf(MongoStore);
    expect(store.core.options).toMatchObject({
      databaseName: `${database}_other`,
      collection: 'cm',
      ttlMs: 60_000,
      autoRemove: 'interval',
      cleanupIntervalMs: 120_000,
      touchAfterMs: 10_000,
      serializer: { serialize, deserialize: unserialize },
    });
    // New sessions keep connect-mongo's shape (so switching back keeps them) until adoptPeerDocuments.
    expect(keep(MongoStore.create({ mongoUrl: uri, stringify: true })).core.options.peerFormat).toBe('connect-mongo');
    expect(keep(MongoStore.create({ mongoUrl: uri, stringify: false })).core.options.peerFormat).toBe(
      'connect-mongo-unstringified',
    );
    const defaults = keep(MongoStore.create({ mongoUrl: uri })).core.options;
    expect(defaults).toMatchObject({
      peerFormat: 'connect-mongo',
      adoptPeerDocuments: false,
      serializer: 'lossless',
      ttlMs: 14 * 86_400_000,
      touchAfterMs: 3_600_000,
    });
    expect(keep(MongoStore.create({ mongoUrl: uri, adoptPeerDocuments: true })).core.options.adoptPeerDocuments).toBe(true);
  });

  it('rejects unsupported options, naming the option and the way to migrate', () => {
    const cases: [string, unknown, RegExp][] = [
      ['transformId', (id: string) => id, /genid/],
      ['writeOperationOptions', { writeConcern: { w: 1 } }, /writeConcern/],
      ['crypto', { secret: 42 }, /crypto\.secret" must be a non-empty string/],
      ['cryptoAdapter', {}, /crypto: \{ secret \}/],
      ['timestamps', false, /createdAt/],
      ['unserialize', undefined, /together/],
    ];
    for (const [option, value, how] of cases) {
      const options = option === 'unserialize' ? { mongoUrl: uri, serialize: () => '' } : { mongoUrl: uri, [option]: value };
      const error = invalidOption(() => MongoStore.create(options));
      expect(error).toMatchObject({ code: ErrorCode.InvalidOption, option });
      expect(error.message).toMatch(how);
    }
    expect(invalidOption(() => MongoStore.create({ mongoUrl: uri, ttl: -1 }))).toMatchObject({ option: 'ttl' });
  });

  it("keeps connect-mongo's crypto (kruptein, any secret length) for its sessions; adopting needs a 32+ character secret", () => {
    // connect-mongo's README secret.
    const store = keep(MongoStore.create({ mongoUrl: uri, crypto: { secret: 'squirrel' } }));
    expect(store.core.options.peerCrypto).toEqual({ secret: 'squirrel' });
    expect(store.core.options.crypto).toBeUndefined();
    expect(
      keep(MongoStore.create({ mongoUrl: uri, crypto: { secret: 'squirrel', hashing: 'sha384' } })).core.options.peerCrypto,
    ).toEqual({ secret: 'squirrel', hashing: 'sha384' });
    expect(keep(MongoStore.create({ mongoUrl: uri, crypto: { secret: false } })).core.options.peerCrypto).toBeUndefined();
    const short = invalidOption(() =>
      MongoStore.create({ mongoUrl: uri, crypto: { secret: 'squirrel' }, adoptPeerDocuments: true }),
    );
    expect(short).toMatchObject({ option: 'adoptPeerDocuments' });
    expect(short.message).toMatch(/at least 32 characters; crypto\.secret is 8/);
    expect(short.message).not.toContain('squirrel');
    const long = 'a-connect-mongo-secret-of-32-characters!';
    const adopting = keep(MongoStore.create({ mongoUrl: uri, crypto: { secret: long }, adoptPeerDocuments: true })).core.options;
    expect(adopting.crypto).toEqual({ secrets: [long], acceptUnencrypted: true });
    expect(adopting.peerCrypto).toEqual({ secret: long });
  });
});
