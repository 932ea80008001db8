import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import {
  closeAll,
  ConnectionError,
  InvalidOptionError,
  SessionStore,
  StoreClosedError,
  type SessionStoreOptions,
  type StoreWarning,
} from '@mongo-session/core';
import {
  buildFerretDBLauncher,
  MongoProxy,
  startFerretDB,
  testServer,
  testUri,
  trackProcessFailures,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';

const database = uniqueDatabaseName('core_connection');
const uri = testUri(database);
const server = new URL(testServer().uri);
const raw = new MongoClient(uri);

afterAll(async () => {
  await raw.db().dropDatabase();
  await raw.close();
});

async function roundTrip(store: SessionStore, id = `rt-${Math.random().toString(36).slice(2)}`): Promise<void> {
  await store.set(id, { hello: 'world' });
  expect(await store.get(id)).toEqual({ hello: 'world' });
}

function waitFor(store: SessionStore, event: 'connect' | 'disconnect', timeoutMs: number): Promise<number> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    store.once(event, () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

describe('every connection input', () => {
  const inputs: [string, () => SessionStoreOptions][] = [
    ['uri', () => ({ uri })],
    ['uri + databaseName', () => ({ uri: testServer().uri, databaseName: database })],
    ['discrete host and port', () => ({ host: server.hostname, port: Number(server.port), databaseName: database })],
    ['servers (one)', () => ({ servers: { host: server.hostname, port: Number(server.port) }, db: database })],
    ['servers (array)', () => ({ servers: [{ host: server.hostname, port: Number(server.port) }], db: database })],
  ];
  it.each(inputs)('%s connects and works', async (_name, options) => {
    const store = new SessionStore({ ...options(), collection: 'inputs' });
    await store.ready();
    await roundTrip(store);
    await store.close();
  });

  it('legacy url: the last path segment names the collection', async () => {
    const url = `${testServer().uri.replace(/\/$/, '')}/${database}/from_url`;
    const store = new SessionStore({ url });
    await store.set('u', { a: 1 });
    expect(
      await raw
        .db()
        .collection('from_url')
        .countDocuments({ _id: 'u' as never }),
    ).toBe(1);
    await store.close();
  });

  it('a MongoClient the user owns is used and stays open after close()', async () => {
    const client = new MongoClient(testServer().uri);
    const store = new SessionStore({ client, databaseName: database, collection: 'inputs' });
    await roundTrip(store);
    await store.close();
    expect(await client.db(database).command({ ping: 1 })).toMatchObject({ ok: 1 });
    await client.close();
  });

  it('clientPromise as a promise and as a function', async () => {
    const client = new MongoClient(testServer().uri);
    const asPromise = new SessionStore({ clientPromise: client.connect(), databaseName: database, collection: 'inputs' });
    let calls = 0;
    const asFunction = new SessionStore({
      clientPromise: async () => {
        calls++;
        return client;
      },
      databaseName: database,
      collection: 'inputs',
    });
    await roundTrip(asPromise);
    await roundTrip(asFunction);
    expect(calls).toBe(1);
    await asPromise.close();
    await asFunction.close();
    expect(await client.db(database).command({ ping: 1 })).toMatchObject({ ok: 1 });
    await client.close();
  });

  it('a Db the user owns, and db as a database name', async () => {
    const client = new MongoClient(testServer().uri);
    const store = new SessionStore({ db: client.db(database), collection: 'inputs' });
    await roundTrip(store);
    await store.close();
    expect(await client.db(database).command({ ping: 1 })).toMatchObject({ ok: 1 });
    await client.close();
    const byName = new SessionStore({ uri: testServer().uri, db: database, collection: 'by_name' });
    await byName.set('n', { a: 1 });
    expect(await raw.db().collection('by_name').countDocuments()).toBe(1);
    await byName.close();
  });

  it('a mongoose connection, open or still opening, uses its client and is never closed', async () => {
    const opening = mongoose.createConnection(uri);
    expect(opening.readyState).not.toBe(1);
    const store = new SessionStore({ mongoose: opening, collection: 'mongoose' });
    await roundTrip(store);
    await store.close();
    expect(opening.readyState).toBe(1);
    const open = await mongoose.createConnection(uri).asPromise();
    const second = new SessionStore({ mongoose: open, collection: 'mongoose' });
    await roundTrip(second);
    await second.close();
    expect(open.readyState).toBe(1);
    await opening.close();
    await open.close();
  });

  it('refuses several connection inputs, naming them', () => {
    const client = new MongoClient(testServer().uri);
    expect(() => new SessionStore({ uri, client })).toThrow(InvalidOptionError);
    expect(() => new SessionStore({ uri, host: 'x' })).toThrow(/uri, host/);
    expect(() => new SessionStore({ databaseName: 'x' })).toThrow(/No connection given/);
  });

  it('maps or ignores legacy driver options with one warning each, never crashing', async () => {
    const store = new SessionStore({
      uri,
      collection: 'inputs',
      connectionOptions: { poolSize: 3, autoReconnect: true, auto_reconnect: true } as never,
    });
    const warnings: StoreWarning[] = [];
    store.on('warning', (w) => warnings.push(w));
    await roundTrip(store);
    expect(
      warnings
        .map((w) => w.code)
        .filter((c) => c.startsWith('LEGACY_'))
        .sort(),
    ).toEqual(['LEGACY_OPTION_IGNORED', 'LEGACY_OPTION_IGNORED', 'LEGACY_OPTION_MAPPED']);
    await store.close();
  });

  it('a driver option named like an Object.prototype member is not taken for a legacy one', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty']) {
      let error: unknown;
      try {
        new SessionStore({ uri, connectionOptions: { [name]: 1 } as never });
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ option: 'connectionOptions' });
      expect((error as Error).message).toMatch(new RegExp(`option ${name.toLowerCase()} is not supported`));
    }
  });

  it('defaults serverSelectionTimeoutMS to 5000 unless the URI or options set it', () => {
    const stores = [
      new SessionStore({ uri }),
      new SessionStore({ uri: `${uri}?serverSelectionTimeoutMS=1234` }),
      new SessionStore({ uri, connectionOptions: { serverSelectionTimeoutMS: 4321 } }),
    ];
    expect(stores.map((s) => s.options.selectionTimeoutMs)).toEqual([5000, 1234, 4321]);
    const { connection } = stores[1]!.options;
    expect(connection.kind === 'uri' && connection.clientOptions.serverSelectionTimeoutMS).toBeUndefined();
    return Promise.all(stores.map((s) => s.close()));
  });
});

describe('shared clients', () => {
  it('stores with the same connection share one client; closing one leaves the other working', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const stores = Array.from({ length: 25 }, () => new SessionStore({ uri, collection: 'shared' }));
      await Promise.all(stores.map((s) => s.ready()));
      const first = stores[0]!;
      await first.close();
      await roundTrip(stores[1]!);
      await Promise.all(stores.slice(1).map((s) => s.close()));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it("closeAll() closes every store and client the library opened, not the user's", async () => {
    const client = new MongoClient(testServer().uri);
    const mine = new SessionStore({ client, databaseName: database, collection: 'closeall' });
    const ours = new SessionStore({ uri, collection: 'closeall' });
    await Promise.all([mine.ready(), ours.ready()]);
    await closeAll();
    await expect(ours.get('x')).rejects.toBeInstanceOf(StoreClosedError);
    await expect(mine.get('x')).rejects.toBeInstanceOf(StoreClosedError);
    expect(await client.db(database).command({ ping: 1 })).toMatchObject({ ok: 1 });
    await client.close();
  });

  it('close() waits for writes in flight', async () => {
    const store = new SessionStore({ uri, collection: 'drain' });
    await store.ready();
    const writes = Array.from({ length: 20 }, (_, i) => store.set(`drain-${i}`, { i }));
    await store.close();
    await Promise.all(writes);
    expect(await raw.db().collection('drain').countDocuments()).toBe(20);
  });
});

describe('outages and recovery (through the proxy)', () => {
  const selection = 1000;

  it('server unreachable at start: typed errors in time, no unhandled rejection, recovery without recreating the store', async () => {
    const failures = trackProcessFailures();
    const proxy = await MongoProxy.fromUri(uri);
    proxy.refuse();
    const store = new SessionStore({
      uri: proxy.uri(database),
      collection: 'outage',
      connectionOptions: { serverSelectionTimeoutMS: selection },
    });
    const events: string[] = [];
    store.on('connect', () => events.push('connect'));
    store.on('disconnect', () => events.push('disconnect'));
    try {
      await expect(store.ready()).rejects.toBeInstanceOf(ConnectionError);
      const started = Date.now();
      await expect(store.get('x')).rejects.toBeInstanceOf(ConnectionError);
      const failedIn = Date.now() - started;
      expect(failedIn).toBeLessThan(selection + 1000);
      proxy.accept();
      const back = Date.now();
      await waitFor(store, 'connect', 3000);
      await roundTrip(store);
      const recoveredIn = Date.now() - back;
      console.log(
        `unreachable at start: operation failed in ${failedIn} ms; recovered ${recoveredIn} ms after the server accepted`,
      );
      expect(recoveredIn).toBeLessThan(3000);
      expect(events).toEqual(['disconnect', 'connect']);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
      await store.close();
      await proxy.close();
    }
  });

  it('server lost mid-use: disconnect, fast failures, then connect and recovery', async () => {
    const failures = trackProcessFailures();
    const proxy = await MongoProxy.fromUri(uri);
    const store = new SessionStore({
      uri: proxy.uri(database),
      collection: 'outage',
      connectionOptions: { serverSelectionTimeoutMS: selection },
    });
    const events: string[] = [];
    store.on('connect', () => events.push('connect'));
    store.on('disconnect', () => events.push('disconnect'));
    try {
      await store.ready();
      await roundTrip(store);
      proxy.refuse();
      proxy.dropAll();
      // The failed operation itself reports the outage: no waiting for the driver's 10 s heartbeat.
      const disconnected = waitFor(store, 'disconnect', selection + 3000);
      const started = Date.now();
      await expect(store.get('y')).rejects.toBeInstanceOf(ConnectionError);
      const failedIn = Date.now() - started;
      expect(failedIn).toBeLessThan(selection + 1000);
      await disconnected;
      const disconnectedIn = Date.now() - started;
      proxy.accept();
      const back = Date.now();
      await waitFor(store, 'connect', 3000);
      await roundTrip(store);
      const recoveredIn = Date.now() - back;
      console.log(
        `lost mid-use: operation failed in ${failedIn} ms; disconnect after ${disconnectedIn} ms; recovered ${recoveredIn} ms after the server accepted`,
      );
      expect(recoveredIn).toBeLessThan(3000);
      expect(events).toEqual(['connect', 'disconnect', 'connect']);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
      await store.close();
      await proxy.close();
    }
  });

  it('no error listener and no callback: a failed connection does not crash the process', async () => {
    const failures = trackProcessFailures();
    const store = new SessionStore({ uri: 'mongodb://127.0.0.1:1/x', connectionOptions: { serverSelectionTimeoutMS: 300 } });
    await expect(store.get('x')).rejects.toBeInstanceOf(ConnectionError);
    await new Promise((r) => setTimeout(r, 500));
    expect(failures.unhandledRejections).toEqual([]);
    expect(failures.uncaughtExceptions).toEqual([]);
    failures.stop();
    await store.close();
  });
});

describe('server process killed and restarted (a private FerretDB)', () => {
  it('SIGKILL mid-use, restart on the same port and data: the same store recovers', async () => {
    // A server this test may kill: a private FerretDB, whatever the shared test server is.
    const launcher = testServer().launcher ?? (await buildFerretDBLauncher());
    const failures = trackProcessFailures();
    const first = await startFerretDB({ launcher });
    const store = new SessionStore({
      uri: `${first.uri}killtest`,
      connectionOptions: { serverSelectionTimeoutMS: selectionMs() },
    });
    try {
      await store.ready();
      await store.set('acknowledged', { kept: true });
      const disconnected = waitFor(store, 'disconnect', 15_000);
      await first.kill();
      const started = Date.now();
      const outageError = await store.get('acknowledged').catch((e: Error) => e);
      console.log('error during SIGKILL outage:', (outageError as Error).message);
      expect(outageError).toBeInstanceOf(ConnectionError);
      const failedIn = Date.now() - started;
      await disconnected;
      const second = await startFerretDB({ launcher, port: first.port, dataDir: first.dataDir });
      const back = Date.now();
      try {
        await waitFor(store, 'connect', 3000);
        expect(await store.get('acknowledged')).toEqual({ kept: true });
        const recoveredIn = Date.now() - back;
        console.log(`SIGKILL: operation failed in ${failedIn} ms; recovered ${recoveredIn} ms after restart`);
        expect(failedIn).toBeLessThan(selectionMs() + 1000);
        expect(recoveredIn).toBeLessThan(3000);
        expect(failures.unhandledRejections).toEqual([]);
      } finally {
        await store.close();
        await second.stop();
      }
    } finally {
      failures.stop();
      await first.stop();
    }
  });
});

function selectionMs(): number {
  return 1000;
}
