/**
 * Seed koa-mongodb-session's two README examples, run with only the package
 * name changed (and the connection string pointed at the test server), against
 * the BUILT package in a child process.
 */
import { join } from 'node:path';
import { CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { runExample } from '@mongo-session/test-utils/run-example';

// The examples require koa-convert: a devDependency of this package, so it resolves from packageDir.
const packageDir = join(__dirname, '..');

const first = `
    const Koa = require('koa');
    const session = require('koa-generic-session');
    const convert = require('koa-convert');
    const MongoDBStore = require('@mongo-session/koa-generic-session');

    const app = new Koa();
    const store = new MongoDBStore(
      {
        uri: 'mongodb://localhost:27017/connect_mongodb_session_test',
        collection: 'mySessions'
      });

    // Catch errors
    store.on('error', function(error) {
      assert.ifError(error);
      assert.ok(false);
    });

    app.keys = ['This is a secret']

    app.use(convert(session({
      cookie: {
        maxAge: 1000 * 60 * 60 * 24 * 7 // 1 week
      },
      store
    })))

    app.use(ctx => {
      ctx.body = \`Hello \${JSON.stringify(ctx.session)}\`;
    });

    app.listen(3000);
`;

const second = `
    const Koa = require('koa');
    const session = require('koa-generic-session');
    const convert = require('koa-convert');
    const MongoDBStore = require('@mongo-session/koa-generic-session');

    const app = new Koa();
    const store = new MongoDBStore(
      {
        uri: 'mongodb://bad.host:27000/connect_mongodb_session_test?connectTimeoutMS=10',
        collection: 'mySessions'
      },
      function(error) {
        // Should have gotten an error
      });

    store.on('error', function(error) {
      // Also get an error here
    });

    app.keys = ['This is a secret']

    app.use(convert(session({
      cookie: {
        maxAge: 1000 * 60 * 60 * 24 * 7 // 1 week
      },
      store
    })))

    app.use(ctx => {
      ctx.body = \`Hello \${JSON.stringify(ctx.session)}\`;
    });

    app.listen(3000);
`;

describe('seed koa-mongodb-session README examples', () => {
  it('example 1 answers with a session and emits no error (its listener would throw)', async () => {
    const source = first.replace(
      'mongodb://localhost:27017/connect_mongodb_session_test',
      testUri(uniqueDatabaseName('kgs_seed')),
    );
    let body = '';
    const run = await runExample(packageDir, source, {
      visit: async (base) => {
        const client = new CookieClient(base);
        const response = await client.get('/');
        expect(response.status).toBe(200);
        body = response.text;
        // Let any late error event surface before the process is stopped.
        await new Promise((r) => setTimeout(r, 500));
      },
    });
    expect(body).toMatch(/^Hello \{"cookie":\{.*"maxAge":604800000/);
    expect(run.code).toBeNull();
    expect(run.stderr).not.toMatch(/ReferenceError|AssertionError|Unhandled/);
  });

  it('example 2 (unreachable host): the process lives on after the connection fails', async () => {
    const statuses: number[] = [];
    const run = await runExample(packageDir, second, {
      timeoutMs: 40_000,
      visit: async (base) => {
        const client = new CookieClient(base);
        statuses.push((await client.get('/')).status);
        // Past the first connection attempt (5 s server selection): callback and error event have fired.
        await new Promise((r) => setTimeout(r, 6500));
        statuses.push((await client.get('/')).status);
      },
    });
    // Without a cookie, a new unmodified session never reaches the store: served before and after the failed
    // attempt. (The store emits 'unavailable', not 'disconnect': koa-generic-session's reconnectTimeout trap is
    // never armed, see outage.test.ts; requests that need the store fail at once until 'connect'.)
    expect(statuses).toEqual([200, 200]);
    expect(run.code).toBeNull();
    expect(run.stderr).not.toMatch(/Unhandled|uncaught/i);
  });
});
