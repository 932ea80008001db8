/**
 * Issue 10 through MongoSess on node:http: "log out everywhere" with a write in flight,
 * and hashed ids plus encryption end to end (checked through the raw driver).
 */
import { createServer } from 'node:http';
import { MongoClient } from 'mongodb';
import { hashSessionId, InvalidOptionError } from '@mongo-session/core';
import MongoSess, { type ConnectOptions } from '@mongo-session/standalone';
import { type CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  CRYPTO_SECRET,
  HASH_SECRET,
  SECURE_OPTIONS,
  type Gate,
  hostOwnerApp,
  logOutEverywhere,
  ownerRoute,
  sealedAtRest,
  type StartOwnerApp,
} from '@mongo-session/test-utils/conformance/owners';

const database = uniqueDatabaseName('standalone_security');
const uri = testUri(database);
// owner reads `user` from MongoSess's body: exactly the keys given to session.set().

afterAll(async () => {
  await MongoSess.close();
  const raw = new MongoClient(uri);
  await raw.db().dropDatabase();
  await raw.close();
});

/** MongoSess is process-wide: each app connects it and closes it again. */
const startApp =
  (collection: string): StartOwnerApp =>
  async (gate: Gate) => {
    await MongoSess.connect({ uri, collection, autoRemove: 'interval', ...SECURE_OPTIONS });
    MongoSess.store!.on('warning', () => undefined);
    const server = createServer((req, res) => {
      const session = MongoSess(req, res, { keys: ['a cookie signing key'] });
      ownerRoute(
        new URL(req.url ?? '/', 'http://app'),
        {
          user: async () => (await session.get('user')) as string | undefined,
          setUser: (user) => session.set({ user }),
          setSlow: (slow) => session.set({ slow }),
        },
        gate,
      ).then(
        (body) => res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(body ?? 'not found'),
        () => res.writeHead(500).end(),
      );
    });
    const store = {
      listByOwner: MongoSess.listByOwner,
      countByOwner: MongoSess.countByOwner,
      destroyByOwner: MongoSess.destroyByOwner,
    };
    return hostOwnerApp(server, store, () => MongoSess.close());
  };

describe('security through MongoSess on node:http', () => {
  it('logs a user out of every jar with one destroyByOwner, and a write in flight does not bring the session back', async () => {
    await logOutEverywhere(startApp('everywhere'));
  });

  it('stores a keyed hash of the session id and no session value in clear', async () => {
    await sealedAtRest(startApp('sealed'), {
      uri,
      collection: 'sealed',
      sessionIdOf: async (client: CookieClient) => (await client.cookie('sess'))!,
      expectedDocumentId: (sid) => hashSessionId(sid, HASH_SECRET),
    });
  });

  it('answers the owner methods with callbacks, and rejects them before connect()', async () => {
    await expect(MongoSess.countByOwner('ann')).rejects.toMatchObject({ code: 'MONGO_SESSION_NOT_CONNECTED' });
    await MongoSess.connect({ uri, collection: 'callbacks', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      await MongoSess.store!.set('callback-session-id-0001', { user: 'dan' });
      const count = await new Promise<number | undefined>((resolve, reject) =>
        MongoSess.countByOwner('dan', (e, n) => (e ? reject(e) : resolve(n))),
      );
      expect(count).toBe(1);
      const revoked = await new Promise<number | undefined>((resolve, reject) =>
        MongoSess.destroyByOwner('dan', (e, n) => (e ? reject(e) : resolve(n))),
      );
      expect(revoked).toBe(1);
      const listed = await new Promise<unknown[] | undefined>((resolve, reject) =>
        MongoSess.listByOwner('dan', (e, l) => (e ? reject(e) : resolve(l))),
      );
      expect(listed).toEqual([]);
    } finally {
      await MongoSess.close();
    }
  });
});

describe('security options of MongoSess.connect()', () => {
  it('accepts crypto, hashSessionIds and owner', async () => {
    const store = await MongoSess.connect({ uri, collection: 'accepted', autoRemove: 'interval', ...SECURE_OPTIONS });
    try {
      expect(store.options.crypto?.secrets).toEqual([CRYPTO_SECRET]);
      expect(store.options.hashSessionIds?.secret).toBe(HASH_SECRET);
      expect(store.options.owner).toBe(SECURE_OPTIONS.owner);
    } finally {
      await MongoSess.close();
    }
  });

  it.each([
    ['crypto', { crypto: { secret: 'too short' } }],
    ['hashSessionIds', { hashSessionIds: { secret: 'too short' } }],
    ['owner', { owner: 'user' }],
  ])('refuses a bad %s with an InvalidOptionError naming it', (name, bad) => {
    const attempt = () => MongoSess.connect({ uri, ...(bad as Partial<ConnectOptions>) });
    expect(attempt).toThrow(InvalidOptionError);
    expect(attempt).toThrow(expect.objectContaining({ option: name }));
  });
});
