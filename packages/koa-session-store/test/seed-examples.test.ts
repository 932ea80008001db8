/**
 * Seed README examples (koa-session-mongo 000, koa-session-store 002) against the BUILT package
 * in a child process, changed only where Koa 2+ requires it: `new koa()`, koa-session-store wrapped
 * with koa-convert, generator middleware made async (`this` -> `ctx`), and the package name.
 */
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { CookieClient, MongoProxy, testServer, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { runExample } from '@mongo-session/test-utils/run-example';

const packageDir = join(__dirname, '..');
const database = uniqueDatabaseName('kss_seed');
const raw = new MongoClient(testUri(database));
afterAll(async () => {
  await raw.db().dropDatabase();
  await raw.close();
});

async function countViews(base: string): Promise<string[]> {
  const client = new CookieClient(base);
  const bodies: string[] = [];
  for (let i = 0; i < 3; i++) {
    const response = await client.get('/');
    expect(response.status).toBe(200);
    bodies.push(response.text);
  }
  return bodies;
}

const seed000Usage = `
var session = require('koa-session-store');
var mongoStore = require('@mongo-session/koa-session-store');
var koa = require('koa');
var convert = require('koa-convert');

var app = new koa();

app.keys = ['some secret key'];  // needed for cookie-signing

app.use(convert(session({
  store: mongoStore.create({
    db: 'database_name'
  })
})));

app.use(async function (ctx){
    var n = ctx.session.views || 0;
    ctx.session.views = ++n;
    ctx.body = n + ' views';
});

app.listen(3000);
console.log('listening on port 3000');
`;

describe('seed koa-session-mongo README (000)', () => {
  it('Usage: db only, on the default host and port (a proxy on 127.0.0.1:27017 when that port is free)', async () => {
    let proxy: MongoProxy | undefined;
    try {
      proxy = await MongoProxy.fromUri(testServer().uri, { port: 27017 });
    } catch {
      proxy = undefined; // 27017 is taken on this machine: point the example at the test server instead.
    }
    const port = new URL(testServer().uri).port;
    const source = seed000Usage.replace("db: 'database_name'", proxy ? `db: '${database}'` : `db: '${database}', port: ${port}`);
    try {
      let bodies: string[] = [];
      const run = await runExample(packageDir, source, {
        visit: async (base) => {
          bodies = await countViews(base);
        },
      });
      expect(bodies).toEqual(['1 views', '2 views', '3 views']);
      expect(run.stdout).toContain('listening on port 3000');
      expect(await raw.db().collection('sessions').countDocuments()).toBeGreaterThanOrEqual(1);
    } finally {
      await proxy?.close();
    }
  });

  it('an existing mongoose connection, then closeConnections() (bluebird spawn replaced by await)', async () => {
    const source = `
var mongoose = require('mongoose');
var mongoStore = require('@mongo-session/koa-session-store');

(async function () {
  await mongoose.connect(${JSON.stringify(testUri(database))});

  var store = mongoStore.create({
    mongoose: mongoose.connection
  })
  await store.save('seed-mongoose', JSON.stringify({ via: 'mongoose' }));
  console.log('loaded', await store.load('seed-mongoose'));

  await mongoStore.closeConnections();
  console.log('mongoose still open:', mongoose.connection.readyState === 1);
  await mongoose.disconnect();
})();
`;
    const run = await runExample(packageDir, source);
    expect(run.stdout).toContain('loaded {"via":"mongoose"}');
    expect(run.stdout).toContain('mongoose still open: true');
    expect(run.code).toBe(0);
  });

  it('host/port/db/username/password options are accepted (unreachable host: no crash)', async () => {
    const source = `
var mongoStore = require('@mongo-session/koa-session-store');
var store = mongoStore.create({
  host: 'mongo.hostname.invalid',
  port: 48473,
  db: 'database_name',
  username: 'admin',
  password: 'password',
  connectionOptions: { serverSelectionTimeoutMS: 300 },
});
store.load('x').catch(function (e) { console.log('load failed with', e.code); }).then(function () { return mongoStore.closeConnections(); });
`;
    const run = await runExample(packageDir, source);
    expect(run.stdout).toContain('load failed with MONGO_SESSION_CONNECTION');
    expect(run.code).toBe(0);
  });
});

describe('seed koa-session-store README (002) with this store', () => {
  it('Usage: views counter (middleware made async, store added)', async () => {
    const source = `
var session = require('koa-session-store');
var koa = require('koa');
var convert = require('koa-convert');
var mongoStore = require('@mongo-session/koa-session-store');

var app = new koa();

app.keys = ['some secret key'];  // needed for cookie-signing

app.use(convert(session({ store: mongoStore.create({ url: ${JSON.stringify(testUri(database))} }) })));

app.use(async function(ctx, next){
    var n = ctx.session.views || 0;
    ctx.session.views = ++n;
    ctx.body = n + ' views';
})

app.listen(3000);
console.log('listening on port 3000');
`;
    let bodies: string[] = [];
    await runExample(packageDir, source, {
      visit: async (base) => {
        bodies = await countViews(base);
      },
    });
    expect(bodies).toEqual(['1 views', '2 views', '3 views']);
  });
});
