/** examples/standalone as `pnpm --filter @mongo-session/example-standalone start` runs it: plain node:http. */
import { MongoClient } from 'mongodb';
import { CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { assertBuilt, type ExampleProcess, startExample } from '../../test/example-process';

const database = uniqueDatabaseName('example_standalone');
const uri = testUri(database);
let example: ExampleProcess | undefined;

beforeAll(async () => {
  assertBuilt('core', 'standalone');
  example = await startExample('standalone', { MONGODB_URI: uri });
});

afterAll(async () => {
  await example?.stop('SIGKILL');
  const client = new MongoClient(uri);
  await client.db().dropDatabase();
  await client.close();
});

describe('examples/standalone', () => {
  it('prints one "listening on" line', () => {
    expect(example!.output().match(/listening on/g)).toHaveLength(1);
  });

  it('counts visits across requests with a signed cookie; /end deletes the document and the cookie', async () => {
    const client = new CookieClient(example!.baseUrl);
    expect((await client.get('/')).text).toBe('visits: 1\n');
    expect((await client.get('/')).text).toBe('visits: 2\n');
    expect((await client.get('/')).text).toBe('visits: 3\n');
    const id = await client.cookie('example.sid');
    expect(id).toBeDefined();
    expect(await client.cookie('example.sid.sig')).toBeDefined();

    // A forged signature is ignored: a fresh session, the real one untouched.
    const forger = new CookieClient(example!.baseUrl);
    await forger.setCookie('example.sid', id!);
    await forger.setCookie('example.sid.sig', 'forged');
    expect((await forger.get('/')).text).toBe('visits: 1\n');
    expect((await client.get('/')).text).toBe('visits: 4\n');

    const mongo = new MongoClient(uri);
    try {
      const documents = mongo.db().collection('standalone_sessions');
      expect(await documents.countDocuments({ _id: id as never })).toBe(1);
      const ended = await client.get('/end');
      expect(ended.text).toBe('session ended\n');
      expect(await client.cookie('example.sid')).toBeUndefined();
      expect(await documents.countDocuments({ _id: id as never })).toBe(0);
    } finally {
      await mongo.close();
    }
    expect((await client.get('/')).text).toBe('visits: 1\n');
  });

  it('exits 0 within a few seconds of SIGTERM', async () => {
    const { code, signal, ms } = await example!.stop('SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(8000);
    expect(example!.output()).toContain('SIGTERM: stopping');
  });
});
