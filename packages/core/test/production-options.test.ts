/**
 * The README's "Production" section, held to account: the connection strings and options
 * a user of each deployment would pass (Atlas, a replica set, a sharded cluster, Amazon
 * DocumentDB, Azure Cosmos DB for MongoDB, FerretDB) reach the driver whole, through the
 * core's one pure function and a real MongoClient built without connecting (SRV names are
 * never resolved here). The store changes two things, on its own Db only: reads go to the
 * primary, and `w: 0` becomes `w: 1`. The last block runs the store on the test server
 * with such settings.
 */
import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { ConnectionString } from 'mongodb-connection-string-url';
import { ErrorCode, SessionStore, type SessionStoreOptions, type StoreWarning } from '@mongo-session/core';
import { MongoProxy, testServer, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { forSessions, StoreConnection } from '../src/connection';
import { resolveConnection } from '../src/connection-options';
import { resolveOptions } from '../src/options';

const OUR_DEFAULTS = { serverSelectionTimeoutMS: 5000, connectTimeoutMS: 2000 };

/** What the core hands the driver for a uri-like input. */
function plumb(options: SessionStoreOptions): {
  uri: string;
  clientOptions: MongoClientOptions;
  databaseName: string | undefined;
  warnings: StoreWarning[];
} {
  const warnings: StoreWarning[] = [];
  const { connection, databaseName } = resolveConnection(options, warnings);
  if (connection.kind !== 'uri') throw new Error(`expected a connection string, got ${connection.kind}`);
  return { uri: connection.uri, clientOptions: connection.clientOptions, databaseName, warnings };
}

function params(uri: string): [string, string][] {
  return [...new ConnectionString(uri).searchParams];
}

const clients: MongoClient[] = [];
/** A real client, never connected: its parsed options are what every operation would use. */
function clientFor(resolved: { uri: string; clientOptions: MongoClientOptions }): MongoClient {
  const client = new MongoClient(resolved.uri, resolved.clientOptions);
  clients.push(client);
  return client;
}

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

/**
 * The invariants every deployment shares: the URI reaches the driver with every host,
 * credential, path and parameter as given; the options object with every key as given, plus
 * our two timeout defaults only where neither the options nor the URI set them.
 */
function expectPassedWhole(given: SessionStoreOptions, resolved: ReturnType<typeof plumb>): void {
  const raw = given.uri ?? given.url;
  if (raw !== undefined) {
    const before = new ConnectionString(raw);
    const after = new ConnectionString(resolved.uri);
    expect(after.protocol).toBe(before.protocol);
    expect(after.hosts).toEqual(before.hosts);
    expect(after.username).toBe(before.username);
    expect(after.password).toBe(before.password);
    expect(after.pathname).toBe(before.pathname);
    expect(params(resolved.uri)).toEqual(params(raw));
  }
  const givenOptions = (given.connectionOptions ?? {}) as Record<string, unknown>;
  const passed = resolved.clientOptions as Record<string, unknown>;
  for (const [key, value] of Object.entries(givenOptions)) expect(passed[key]).toEqual(value);
  const inUri = new Set(params(resolved.uri).map(([key]) => key.toLowerCase()));
  const added = Object.keys(passed).filter((key) => !Object.hasOwn(givenOptions, key));
  for (const key of added) {
    expect(Object.keys(OUR_DEFAULTS)).toContain(key);
    expect(inUri.has(key.toLowerCase())).toBe(false);
    expect(passed[key]).toBe(OUR_DEFAULTS[key as keyof typeof OUR_DEFAULTS]);
  }
  expect(resolved.warnings).toEqual([]);
}

/** The store's Db: primary reads; the user's write and read concerns and BSON options kept. */
function expectSessionDb(client: MongoClient, databaseName: string | undefined): Db {
  const userDb = client.db(databaseName);
  const db = forSessions(userDb);
  expect(db.databaseName).toBe(userDb.databaseName);
  expect(db.readPreference.mode).toBe('primary');
  expect(db.readPreference.tags).toBeUndefined();
  expect(db.readPreference.maxStalenessSeconds).toBeUndefined();
  if (userDb.writeConcern?.w !== 0) expect(db.writeConcern).toEqual(userDb.writeConcern);
  expect(db.readConcern).toEqual(userDb.readConcern);
  expect(db.bsonOptions).toEqual(userDb.bsonOptions);
  const collection = db.collection('sessions');
  expect(collection.readPreference?.mode).toBe('primary');
  expect(collection.writeConcern).toEqual(db.writeConcern);
  expect(collection.readConcern).toEqual(db.readConcern);
  return db;
}

describe('MongoDB Atlas', () => {
  const given: SessionStoreOptions = {
    uri: 'mongodb+srv://app:p%40ss%2Fw0rd@cluster0.ab1cd.mongodb.net/app?retryWrites=true&w=majority&appName=Cluster0',
  };

  it('an SRV connection string reaches the driver whole, with TLS on and no DNS lookup until connect', () => {
    const resolved = plumb(given);
    expectPassedWhole(given, resolved);
    expect(resolved.databaseName).toBe('app');
    const options = clientFor(resolved).options;
    expect(options.srvHost).toBe('cluster0.ab1cd.mongodb.net');
    expect(options.hosts).toEqual([]); // resolved from DNS at connect, not here
    expect(options.tls).toBe(true); // implied by mongodb+srv
    expect(options.credentials?.username).toBe('app');
    expect(options.credentials?.password).toBe('p@ss/w0rd');
    expect(options.dbName).toBe('app');
    expect(options.appName).toBe('Cluster0');
    expect(options.retryWrites).toBe(true);
    expect(options.writeConcern?.w).toBe('majority');
    expect(options.serverSelectionTimeoutMS).toBe(5000);
    expect(options.connectTimeoutMS).toBe(2000);
    expectSessionDb(clientFor(resolved), resolved.databaseName);
  });

  it('connectionOptions (Stable API, pool size) pass through unchanged', () => {
    const withOptions: SessionStoreOptions = {
      ...given,
      connectionOptions: { serverApi: { version: '1', strict: true, deprecationErrors: true }, maxPoolSize: 20, minPoolSize: 2 },
    };
    const resolved = plumb(withOptions);
    expectPassedWhole(withOptions, resolved);
    const options = clientFor(resolved).options;
    expect(options.serverApi).toEqual({ version: '1', strict: true, deprecationErrors: true });
    expect(options.maxPoolSize).toBe(20);
    expect(options.minPoolSize).toBe(2);
  });
});

describe('replica set', () => {
  const given: SessionStoreOptions = {
    uri:
      'mongodb://db1.example.net:27017,db2.example.net:27017,db3.example.net:27017/app' +
      '?replicaSet=rs0&w=majority&wtimeoutMS=5000&journal=true&readConcernLevel=majority' +
      '&readPreference=secondary&readPreferenceTags=dc:east&maxStalenessSeconds=120',
  };

  it('every host and the write/read concerns reach the driver; the client keeps its secondary reads', () => {
    const resolved = plumb(given);
    expectPassedWhole(given, resolved);
    const client = clientFor(resolved);
    const options = client.options;
    expect(options.hosts.map(String)).toEqual(['db1.example.net:27017', 'db2.example.net:27017', 'db3.example.net:27017']);
    expect(options.replicaSet).toBe('rs0');
    expect(options.writeConcern).toMatchObject({ w: 'majority', wtimeoutMS: 5000, journal: true });
    expect(options.readConcern?.level).toBe('majority');
    expect(client.readPreference.mode).toBe('secondary');
    expect(client.readPreference.tags).toEqual([{ dc: 'east' }]);
    expect(client.readPreference.maxStalenessSeconds).toBe(120);
  });

  it('session operations read from the primary; w: majority and readConcern majority stay', () => {
    const resolved = plumb(given);
    const client = clientFor(resolved);
    const db = expectSessionDb(client, resolved.databaseName);
    expect(db.writeConcern).toMatchObject({ w: 'majority', wtimeoutMS: 5000, journal: true });
    expect(db.readConcern?.level).toBe('majority');
    // Only the store's Db changed: the user's client still reads from secondaries.
    expect(client.readPreference.mode).toBe('secondary');
    expect(client.db('app').readPreference.mode).toBe('secondary');
  });

  it('the servers form with replica set options in connectionOptions', () => {
    const servers: SessionStoreOptions = {
      servers: [{ host: 'db1.example.net' }, { host: 'db2.example.net', port: 27018 }],
      db: 'app',
      connectionOptions: { replicaSet: 'rs0', writeConcern: { w: 'majority' }, readPreference: 'secondaryPreferred' },
    };
    const resolved = plumb(servers);
    expectPassedWhole(servers, resolved);
    expect(resolved.databaseName).toBe('app');
    const client = clientFor(resolved);
    expect(client.options.hosts.map(String)).toEqual(['db1.example.net:27017', 'db2.example.net:27018']);
    expect(client.options.replicaSet).toBe('rs0');
    expect(client.readPreference.mode).toBe('secondaryPreferred');
    expect(expectSessionDb(client, resolved.databaseName).writeConcern?.w).toBe('majority');
  });
});

describe('sharded cluster (through mongos)', () => {
  const given: SessionStoreOptions = {
    uri: 'mongodb://mongos1.example.net:27017,mongos2.example.net:27017/app?w=majority&retryWrites=true&readPreference=nearest&maxPoolSize=50',
  };

  it('the mongos list, pool size and write concern reach the driver; session reads are primary', () => {
    const resolved = plumb(given);
    expectPassedWhole(given, resolved);
    const client = clientFor(resolved);
    expect(client.options.hosts.map(String)).toEqual(['mongos1.example.net:27017', 'mongos2.example.net:27017']);
    expect(client.options.maxPoolSize).toBe(50);
    expect(client.options.retryWrites).toBe(true);
    expect(client.readPreference.mode).toBe('nearest');
    expect(expectSessionDb(client, resolved.databaseName).writeConcern?.w).toBe('majority');
  });
});

describe('Amazon DocumentDB', () => {
  const given: SessionStoreOptions = {
    uri:
      'mongodb://app:s3cret@sample-cluster.cluster-c1a2b3.us-east-1.docdb.amazonaws.com:27017/app' +
      '?tls=true&tlsCAFile=/etc/ssl/docdb/global-bundle.pem&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false',
  };

  it("AWS's connection string reaches the driver whole: TLS with the CA file, retryable writes off", () => {
    const resolved = plumb(given);
    expectPassedWhole(given, resolved);
    const client = clientFor(resolved);
    const options = client.options;
    expect(options.tls).toBe(true);
    expect(options.tlsCAFile).toBe('/etc/ssl/docdb/global-bundle.pem'); // read by the driver at connect
    expect(options.replicaSet).toBe('rs0');
    expect(options.retryWrites).toBe(false);
    expect(options.credentials?.username).toBe('app');
    expect(client.readPreference.mode).toBe('secondaryPreferred');
  });

  it('session operations read from the primary, not from the eventually consistent replicas', () => {
    const resolved = plumb(given);
    const client = clientFor(resolved);
    expectSessionDb(client, resolved.databaseName);
    expect(client.readPreference.mode).toBe('secondaryPreferred');
  });
});

describe('Azure Cosmos DB for MongoDB (RU)', () => {
  const given: SessionStoreOptions = {
    uri:
      'mongodb://acct:a1B2c3%3D%3D@acct.mongo.cosmos.azure.com:10255/' +
      '?ssl=true&replicaSet=globaldb&retrywrites=false&maxIdleTimeMS=120000&appName=@acct@',
    databaseName: 'app',
  };

  it("the portal's connection string reaches the driver whole (lower-case retrywrites included)", () => {
    const resolved = plumb(given);
    expectPassedWhole(given, resolved);
    expect(resolved.databaseName).toBe('app'); // the portal's string names no database
    const client = clientFor(resolved);
    const options = client.options;
    expect(options.hosts.map(String)).toEqual(['acct.mongo.cosmos.azure.com:10255']);
    expect(options.tls).toBe(true); // ssl=true
    expect(options.replicaSet).toBe('globaldb');
    expect(options.retryWrites).toBe(false);
    expect(options.maxIdleTimeMS).toBe(120000);
    expect(options.appName).toBe('@acct@');
    expect(options.credentials?.password).toBe('a1B2c3==');
    expect(expectSessionDb(client, resolved.databaseName).databaseName).toBe('app');
  });
});

describe('FerretDB', () => {
  it('the discrete host fields: TLS and credentials reach the driver', () => {
    const given: SessionStoreOptions = {
      host: 'ferretdb.internal',
      port: 27017,
      username: 'app',
      password: 's3cret',
      ssl: true,
      databaseName: 'app',
    };
    const resolved = plumb(given);
    expect(resolved.clientOptions).toEqual({ auth: { username: 'app', password: 's3cret' }, tls: true, ...OUR_DEFAULTS });
    const options = clientFor(resolved).options;
    expect(options.hosts.map(String)).toEqual(['ferretdb.internal:27017']);
    expect(options.tls).toBe(true);
    expect(options.credentials?.username).toBe('app');
  });
});

describe('operational settings', () => {
  it('timeouts set in the URI win over our defaults, and the operation deadline follows the selection timeout', () => {
    const given: SessionStoreOptions = {
      uri: 'mongodb://db1.example.net,db2.example.net/app?replicaSet=rs0&serverSelectionTimeoutMS=15000&connectTimeoutMS=10000',
    };
    const resolved = plumb(given);
    expectPassedWhole(given, resolved);
    expect(resolved.clientOptions).toEqual({});
    const options = clientFor(resolved).options;
    expect(options.serverSelectionTimeoutMS).toBe(15000);
    expect(options.connectTimeoutMS).toBe(10000);
    expect(resolveOptions(given).operationTimeoutMs).toBe(15000);
  });

  it('operationTimeoutMs, maxPendingOperations and cleanupIntervalMs are taken as given', () => {
    const resolved = resolveOptions({
      uri: 'mongodb://db1.example.net/app',
      operationTimeoutMs: 2500,
      maxPendingOperations: 200,
      cleanupIntervalMs: 60_000,
    });
    expect(resolved.operationTimeoutMs).toBe(2500);
    expect(resolved.maxPendingOperations).toBe(200);
    expect(resolved.cleanupIntervalMs).toBe(60_000);
  });

  it('w=0 stays on the client the user configured; the store writes with w: 1', () => {
    const given: SessionStoreOptions = { uri: 'mongodb://db1.example.net/app?w=0&journal=false' };
    const resolved = plumb(given);
    expectPassedWhole(given, resolved);
    const client = clientFor(resolved);
    expect(client.options.writeConcern?.w).toBe(0);
    const db = expectSessionDb(client, resolved.databaseName);
    expect(db.writeConcern?.w).toBe(1);
    expect(client.db('app').writeConcern?.w).toBe(0);
  });
});

describe('on the test server', () => {
  const database = uniqueDatabaseName('core_production');
  const uri = testUri(database);
  const raw = new MongoClient(uri);
  const stores: SessionStore[] = [];

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close()));
    await raw.db().dropDatabase();
    await raw.close();
  });

  function open(options: SessionStoreOptions): { store: SessionStore; warnings: StoreWarning[] } {
    const store = new SessionStore<{ user?: string; n?: number }>({ owner: (s) => s.user, ...options }) as SessionStore;
    stores.push(store);
    const warnings: StoreWarning[] = [];
    store.on('warning', (warning) => warnings.push(warning));
    return { store, warnings };
  }

  /** Every kind of operation the store sends: single-document, relative, multi-document, collection-wide. */
  async function exercise(store: SessionStore): Promise<void> {
    await store.ready();
    const id = `prod-${Math.random().toString(36).slice(2)}`;
    await store.set(id, { user: 'ada', n: 1 });
    const loaded = await store.load(id);
    expect(loaded?.session).toEqual({ user: 'ada', n: 1 });
    await store.set(id, { ...loaded!.session, n: 2 }, { snapshot: loaded!.snapshot });
    expect(await store.get(id)).toEqual({ user: 'ada', n: 2 });
    await store.touch(id, { ttlMs: 60_000 });
    expect((await store.all()).map((s) => s.id)).toContain(id);
    expect(await store.length()).toBeGreaterThanOrEqual(1);
    expect(await store.countByOwner('ada')).toBe(1);
    await store.set(`${id}-old`, { user: 'ada' }, { ttlMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await store.sweepExpired()).toBeGreaterThanOrEqual(1);
    expect(await store.destroyByOwner('ada')).toBe(1);
    expect(await store.get(id)).toBeNull();
    await store.set(`${id}-2`, { n: 3 });
    await store.destroy(`${id}-2`);
    expect(await store.get(`${id}-2`)).toBeNull();
  }

  it("works with w: 'majority' and readPreference: 'primary' in connectionOptions", async () => {
    const { store } = open({
      uri,
      collection: 'majority_options',
      connectionOptions: { writeConcern: { w: 'majority' }, readPreference: 'primary' },
    });
    await exercise(store);
  });

  it('works with w=majority, readPreference=primary and retryWrites=false in the URI', async () => {
    const { store } = open({ uri: `${uri}?w=majority&readPreference=primary&retryWrites=false`, collection: 'majority_uri' });
    await exercise(store);
  });

  it('works with a client of the user that reads from secondaries and writes w: majority', async () => {
    const client = new MongoClient(testServer().uri, { readPreference: 'secondaryPreferred', writeConcern: { w: 'majority' } });
    try {
      const { store } = open({ client, databaseName: database, collection: 'user_client' });
      await exercise(store);
      await store.close();
      // Not closed, not changed.
      expect(client.readPreference.mode).toBe('secondaryPreferred');
      await client.db(database).command({ ping: 1 });
    } finally {
      await client.close();
    }
  });

  it('works with w=0 in the URI: its writes are acknowledged all the same', async () => {
    const { store, warnings } = open({ uri: `${uri}?w=0`, collection: 'unacknowledged' });
    await exercise(store);
    expect(warnings.filter((w) => w.code !== 'TTL_INDEX_UNAVAILABLE')).toEqual([]);
  });

  it("Cosmos DB's refusal of a TTL index off _ts: TTL_INDEX_UNAVAILABLE, a plain index and the sweep; autoRemove: 'interval' asks for none", async () => {
    const proxy = await MongoProxy.fromUri(uri);
    try {
      // What Cosmos DB for MongoDB (RU) answers to { expires: 1 }, { expireAfterSeconds: 0 }.
      proxy.failCommand(
        'createIndexes',
        { code: 2, codeName: 'BadValue', errmsg: "The 'expireAfterSeconds' option is supported on '_ts' field only." },
        { times: 1 },
      );
      const native = open({ uri: proxy.uri(database), collection: 'cosmos_native', owner: undefined });
      native.store.on('error', () => undefined);
      await native.store.ready(); // as on FerretDB: no TTL here is no error
      expect(native.warnings.map((w) => w.code)).toEqual(['TTL_INDEX_UNAVAILABLE']);
      await native.store.set('c1', { n: 1 });
      expect(await native.store.get('c1')).toEqual({ n: 1 });
      const plainIndex = async (collection: string) =>
        (await raw.db().collection(collection).listIndexes().toArray()).find((index) => index['name'] === 'expires_1');
      expect((await plainIndex('cosmos_native'))?.['expireAfterSeconds']).toBeUndefined();
      expect((await plainIndex('cosmos_native'))?.['key']).toEqual({ expires: 1 });

      const interval = open({
        uri: proxy.uri(database),
        collection: 'cosmos_interval',
        autoRemove: 'interval',
        owner: undefined,
      });
      await interval.store.ready();
      // No TTL index was asked for (FerretDB would have refused it with TTL_INDEX_UNAVAILABLE): a plain one.
      expect(interval.warnings).toEqual([]);
      const indexes = await raw.db().collection('cosmos_interval').listIndexes().toArray();
      const expires = indexes.find((index) => index['name'] === 'expires_1');
      expect(expires?.['key']).toEqual({ expires: 1 });
      expect(expires?.['expireAfterSeconds']).toBeUndefined();
    } finally {
      await proxy.close();
    }
  });

  it.each([
    [
      'a connection string',
      () => ({ kind: 'uri' as const, ...plumb({ uri: `${uri}?readPreference=secondary&w=majority` }), from: 'uri' }),
    ],
    [
      'a client',
      () => ({
        kind: 'client' as const,
        client: new MongoClient(uri, { readPreference: 'nearest', writeConcern: { w: 'majority' } }),
      }),
    ],
    [
      'a Db',
      () => ({ kind: 'db' as const, db: raw.db(database, { readPreference: 'secondary', writeConcern: { w: 'majority' } }) }),
    ],
  ])('the collections the store uses read from the primary, given %s that says otherwise', async (_name, input) => {
    const given = input();
    const events = { onConnect: () => undefined, onDisconnect: () => undefined };
    const connection = new StoreConnection(given, database, 5000, events);
    try {
      expect(await connection.firstAttempt).toBeNull();
      const collection = await connection.collection('sessions');
      expect(collection.readPreference?.mode).toBe('primary');
      expect(collection.writeConcern?.w).toBe('majority');
      expect(connection.dbNow?.readPreference.mode).toBe('primary');
      expect(connection.dbNow?.databaseName).toBe(database);
      await collection.insertOne({ _id: `rp-${_name}`, expires: new Date(Date.now() + 60_000) } as never);
      expect(await collection.findOne({ _id: `rp-${_name}` } as never)).not.toBeNull();
    } finally {
      await connection.close();
      if (given.kind === 'client') await given.client.close();
    }
  });
});
