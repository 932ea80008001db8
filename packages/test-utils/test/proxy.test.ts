import { connect, type Socket } from 'node:net';
import { BSON, MongoClient, MongoServerError } from 'mongodb';
import { MongoProxy } from '../src/proxy';
import { testServer } from '../src/server';

const UPSTREAM = testServer().uri;
const DB = 'proxy_test';

jest.setTimeout(30_000);

/** Builds a raw OP_MSG with one kind-0 section. */
function opMsg(requestId: number, doc: BSON.Document, flags = 0): Buffer {
  const body = BSON.serialize(doc);
  const head = Buffer.alloc(21);
  head.writeInt32LE(21 + body.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(0, 8);
  head.writeInt32LE(2013, 12);
  head.writeUInt32LE(flags, 16);
  return Buffer.concat([head, body]);
}

/** Reads `n` whole OP_MSG replies from a raw socket. */
function readReplies(socket: Socket, n: number): Promise<Array<{ responseTo: number; doc: BSON.Document }>> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const out: Array<{ responseTo: number; doc: BSON.Document }> = [];
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= buf.readInt32LE(0)) {
        const len = buf.readInt32LE(0);
        out.push({ responseTo: buf.readInt32LE(8), doc: BSON.deserialize(buf.subarray(21, len)) });
        buf = buf.subarray(len);
      }
      if (out.length >= n) {
        socket.off('data', onData);
        resolve(out);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

async function rawSocket(proxy: MongoProxy): Promise<Socket> {
  const socket = connect({ host: proxy.host, port: proxy.port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

function withinMs<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms}ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('MongoProxy', () => {
  let proxy: MongoProxy;
  let client: MongoClient;
  const extraClients: MongoClient[] = [];
  const sockets: Socket[] = [];

  const newClient = (opts: ConstructorParameters<typeof MongoClient>[1] = {}): MongoClient => {
    const c = new MongoClient(proxy.uri(DB), opts);
    extraClients.push(c);
    return c;
  };

  beforeAll(async () => {
    proxy = await MongoProxy.fromUri(UPSTREAM);
    client = new MongoClient(proxy.uri(DB), { serverSelectionTimeoutMS: 5_000 });
    await client.connect();
    await client.db(DB).collection('items').deleteMany({});
    await client
      .db(DB)
      .collection('items')
      .insertOne({ _id: 'a' as never, n: 1 });
  });

  afterEach(() => {
    proxy.accept();
    proxy.delay(0);
    proxy.clearFailures();
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.allSettled([client?.close(), ...extraClients.map((c) => c.close())]);
    await proxy?.close();
  });

  it('builds a direct-connection URI and parses upstream URIs', () => {
    expect(proxy.host).toBe('127.0.0.1');
    expect(proxy.port).toBeGreaterThan(0);
    expect(proxy.uri('x')).toBe(`mongodb://127.0.0.1:${proxy.port}/x?directConnection=true`);
    expect(() => new URL(proxy.uri('x'))).not.toThrow();
  });

  it('keeps the original query string in uri()', async () => {
    const other = await MongoProxy.fromUri(UPSTREAM.replace(/\/?$/, '/orig?appName=x&directConnection=false'));
    try {
      expect(other.uri()).toBe(`mongodb://127.0.0.1:${other.port}/orig?appName=x&directConnection=true`);
      expect(other.uri('db2')).toBe(`mongodb://127.0.0.1:${other.port}/db2?appName=x&directConnection=true`);
    } finally {
      await other.close();
    }
  });

  it('counts commands by name', async () => {
    expect(proxy.connectionCount).toBeGreaterThan(0);
    proxy.resetCounts();
    await client
      .db(DB)
      .collection('items')
      .findOne({ _id: 'a' as never });
    expect(proxy.count('find')).toBe(1);

    await client
      .db(DB)
      .collection('items')
      .updateOne({ _id: 'a' as never }, { $inc: { n: 1 } });
    expect(proxy.count('update')).toBe(1);
    expect(proxy.count('find', 'update')).toBe(2);
    expect(proxy.counts()).toMatchObject({ find: 1, update: 1 });
    expect(proxy.commandLog().filter((n) => n === 'find' || n === 'update')).toEqual(['find', 'update']);

    proxy.resetCounts();
    expect(proxy.counts()).toEqual({});
    expect(proxy.commandLog()).toEqual([]);
  });

  it('frames messages split across chunks and several per chunk', async () => {
    const socket = await rawSocket(proxy);
    sockets.push(socket);
    proxy.resetCounts();

    // One message dribbled out a few bytes at a time...
    const first = opMsg(101, { ping: 1, $db: 'admin' });
    const replies1 = readReplies(socket, 1);
    for (let i = 0; i < first.length; i += 7) {
      socket.write(first.subarray(i, i + 7));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect((await replies1)[0]).toMatchObject({ responseTo: 101, doc: { ok: 1 } });

    // ...then two messages in one write.
    const replies2 = readReplies(socket, 2);
    socket.write(Buffer.concat([opMsg(102, { ping: 1, $db: 'admin' }), opMsg(103, { ping: 1, $db: 'admin' })]));
    expect((await replies2).map((r) => r.responseTo)).toEqual([102, 103]);
    expect(proxy.count('ping')).toBe(3);
  });

  it('answers failCommand with an OP_MSG error reply', async () => {
    const socket = await rawSocket(proxy);
    sockets.push(socket);
    proxy.failCommand('ping', { code: 11600, codeName: 'InterruptedAtShutdown', errmsg: 'boom' }, { times: 2 });

    // moreToCome: no reply expected, the message is silently dropped (still uses up one `times`).
    socket.write(opMsg(200, { ping: 1, $db: 'admin' }, 1 << 1));
    const replies = readReplies(socket, 2);
    socket.write(opMsg(201, { ping: 1, $db: 'admin' }));
    socket.write(opMsg(202, { ping: 1, $db: 'admin' })); // failure used up: reaches the server
    const [failed, passed] = await replies;
    expect(failed).toEqual({ responseTo: 201, doc: { ok: 0, errmsg: 'boom', code: 11600, codeName: 'InterruptedAtShutdown' } });
    expect(passed).toMatchObject({ responseTo: 202, doc: { ok: 1 } });
  });

  it('fails createIndexes once, then passes it through', async () => {
    proxy.resetCounts();
    proxy.failCommand('createIndexes', { code: 238, codeName: 'NotImplemented', errmsg: 'no indexes today' }, { times: 1 });
    const items = client.db(DB).collection('items');

    const error: unknown = await items.createIndex({ n: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error).toMatchObject({ code: 238, codeName: 'NotImplemented', message: 'no indexes today' });

    await expect(items.createIndex({ n: 1 })).resolves.toBe('n_1');
    expect(proxy.count('createIndexes')).toBe(2);
  });

  it('refuses new connections but keeps existing ones', async () => {
    await client.db(DB).command({ ping: 1 }); // make sure the pool has a live connection
    proxy.refuse();

    const refused = newClient({ serverSelectionTimeoutMS: 500 });
    await expect(refused.connect()).rejects.toThrow();
    await expect(client.db(DB).command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });

    proxy.accept();
    const accepted = newClient({ serverSelectionTimeoutMS: 5_000 });
    await accepted.connect();
    await expect(accepted.db(DB).command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
  });

  it('dropAll closes every connection without hanging the driver', async () => {
    const c = newClient({ serverSelectionTimeoutMS: 2_000 });
    await c.db(DB).command({ ping: 1 });
    expect(proxy.connectionCount).toBeGreaterThan(0);

    proxy.dropAll();
    expect(proxy.connectionCount).toBe(0);

    // The first op may fail with a network error or be retried; either way it must settle.
    await withinMs(
      c
        .db(DB)
        .collection('items')
        .findOne({})
        .catch(() => undefined),
      10_000,
    );
    // And the driver recovers afterwards.
    await expect(withinMs(c.db(DB).command({ ping: 1 }), 10_000)).resolves.toMatchObject({ ok: 1 });
  });

  it('delays client->server messages', async () => {
    await client.db(DB).command({ ping: 1 }); // warm connection, so only the op itself is timed
    proxy.delay(300);
    const started = Date.now();
    await client.db(DB).collection('items').findOne({});
    expect(Date.now() - started).toBeGreaterThanOrEqual(295);

    proxy.delay(0);
    const fast = Date.now();
    await client.db(DB).collection('items').findOne({});
    expect(Date.now() - fast).toBeLessThan(300);
  });
});
