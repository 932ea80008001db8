/** examples/express as `pnpm start` runs it: a real process, real HTTP with a cookie jar, stopped with SIGTERM. */
import { MongoClient } from 'mongodb';
import { CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { assertBuilt, type ExampleProcess, startExample } from '../../test/example-process';

const database = uniqueDatabaseName('example_express');
const uri = testUri(database);
let example: ExampleProcess | undefined;

beforeAll(async () => {
  assertBuilt('core', 'express');
  example = await startExample('express', { MONGODB_URI: uri });
});

afterAll(async () => {
  await example?.stop('SIGKILL');
  const client = new MongoClient(uri);
  await client.db().dropDatabase();
  await client.close();
});

describe('examples/express', () => {
  it('prints one "listening on" line naming the server', () => {
    expect(example!.output().match(/listening on/g)).toHaveLength(1);
    expect(example!.serverDescription).toContain('MONGODB_URI');
  });

  it('counts views across requests, logs in with a new session id, and logs out', async () => {
    const client = new CookieClient(example!.baseUrl);
    expect((await client.get('/')).text).toBe('views: 1, user: (anonymous)\n');
    expect((await client.get('/')).text).toBe('views: 2, user: (anonymous)\n');
    const anonymousId = await client.cookie('example.sid');
    expect(anonymousId).toBeDefined();

    // A second visitor has a session of their own.
    expect((await new CookieClient(example!.baseUrl).get('/')).text).toBe('views: 1, user: (anonymous)\n');

    expect((await client.get('/login?user=ada')).text).toBe('logged in as ada\n');
    const loggedInId = await client.cookie('example.sid');
    expect(loggedInId).toBeDefined();
    expect(loggedInId).not.toBe(anonymousId);
    expect((await client.get('/')).text).toBe('views: 1, user: ada\n');
    expect((await client.get('/')).text).toBe('views: 2, user: ada\n');

    // The pre-login session id is unusable: presenting it starts a fresh session.
    const fixated = new CookieClient(example!.baseUrl);
    await fixated.setCookie('example.sid', anonymousId!);
    expect((await fixated.get('/')).text).toBe('views: 1, user: (anonymous)\n');

    // The sessions really are in MongoDB.
    const mongo = new MongoClient(uri);
    try {
      expect(await mongo.db().collection('express_sessions').countDocuments()).toBeGreaterThanOrEqual(2);
    } finally {
      await mongo.close();
    }

    expect((await client.get('/logout')).text).toBe('logged out\n');
    expect(await client.cookie('example.sid')).toBeUndefined();
    // Replaying the logged-in cookie after logout finds nothing either.
    const replay = new CookieClient(example!.baseUrl);
    await replay.setCookie('example.sid', loggedInId!);
    expect((await replay.get('/')).text).toBe('views: 1, user: (anonymous)\n');
    expect((await client.get('/')).text).toBe('views: 1, user: (anonymous)\n');
  });

  it('exits 0 within a few seconds of SIGTERM', async () => {
    const { code, signal, ms } = await example!.stop('SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(8000);
    expect(example!.output()).toContain('SIGTERM: stopping');
  });
});
