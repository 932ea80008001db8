/** examples/koa as `pnpm --filter @mongo-session/example-koa start` runs it: three Koa session stacks in one process. */
import { MongoClient } from 'mongodb';
import { CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { assertBuilt, type ExampleProcess, startExample } from '../../test/example-process';

const database = uniqueDatabaseName('example_koa');
const uri = testUri(database);
let example: ExampleProcess | undefined;

const STACKS = [
  { mount: '/koa-session', name: 'koa-session', cookie: 'example.koa-session', collection: 'koa_session_sessions' },
  {
    mount: '/generic-session',
    name: 'koa-generic-session',
    cookie: 'example.generic-session',
    collection: 'koa_generic_sessions',
  },
  {
    mount: '/session-store',
    name: 'koa-session-store',
    cookie: 'example.session-store',
    collection: 'koa_session_store_sessions',
  },
] as const;

beforeAll(async () => {
  assertBuilt('core', 'koa', 'koa-generic-session', 'koa-session-store');
  example = await startExample('koa', { MONGODB_URI: uri });
});

afterAll(async () => {
  await example?.stop('SIGKILL');
  const client = new MongoClient(uri);
  await client.db().dropDatabase();
  await client.close();
});

describe('examples/koa', () => {
  it('prints one "listening on" line and lists the three mount paths at /', async () => {
    expect(example!.output().match(/listening on/g)).toHaveLength(1);
    const index = await new CookieClient(example!.baseUrl).get('/');
    expect(index.status).toBe(200);
    for (const { mount } of STACKS) expect(index.text).toContain(`${mount}/`);
  });

  it.each(STACKS)(
    '$name: views persist across requests in MongoDB; /logout clears the session',
    async ({ mount, name, cookie, collection }) => {
      const client = new CookieClient(example!.baseUrl);
      expect((await client.get(`${mount}/`)).text).toBe(`${name}: views: 1\n`);
      expect((await client.get(`${mount}/`)).text).toBe(`${name}: views: 2\n`);
      expect((await client.get(`${mount}/`)).text).toBe(`${name}: views: 3\n`);
      expect(await client.cookie(cookie)).toBeDefined();
      // Another visitor starts at 1.
      expect((await new CookieClient(example!.baseUrl).get(`${mount}/`)).text).toBe(`${name}: views: 1\n`);

      const mongo = new MongoClient(uri);
      try {
        const documents = mongo.db().collection(collection);
        expect(await documents.countDocuments()).toBe(2);
        expect((await client.get(`${mount}/logout`)).text).toBe(`${name}: logged out\n`);
        // Setting the session to null deletes its document.
        expect(await documents.countDocuments()).toBe(1);
      } finally {
        await mongo.close();
      }
      expect((await client.get(`${mount}/`)).text).toBe(`${name}: views: 1\n`);
    },
  );

  it('exits 0 within a few seconds of SIGTERM', async () => {
    const { code, signal, ms } = await example!.stop('SIGTERM');
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(ms).toBeLessThan(8000);
    expect(example!.output()).toContain('SIGTERM: stopping');
  });
});
