/** The process-wide store through a wire proxy: seed-style `servers` options, an outage, recovery. */
import type { Server } from 'node:http';
import MongoSess from '@mongo-session/standalone';
import {
  CookieClient,
  MongoProxy,
  closeServer,
  listen,
  testUri,
  trackProcessFailures,
  uniqueDatabaseName,
} from '@mongo-session/test-utils';
import { type Answer, q, sessionApp } from './helpers';

const dbName = uniqueDatabaseName('standalone_outage');
let proxy: MongoProxy;
let server: Server;
let http: CookieClient;
const warnings: string[] = [];

beforeAll(async () => {
  proxy = await MongoProxy.fromUri(testUri(dbName));
  const connected = MongoSess.connect({
    db: dbName,
    collection: 'outage',
    servers: { host: proxy.host, port: proxy.port, opts: { autoReconnect: true, poolSize: 5 } },
    connectionOptions: { serverSelectionTimeoutMS: 1000 },
    autoRemove: 'interval',
    expires: 60_000,
  });
  MongoSess.store!.on('warning', (w) => warnings.push(w.code));
  await connected;
  server = sessionApp({ keys: ['outage-key'] });
  http = new CookieClient(await listen(server));
});

afterAll(async () => {
  await closeServer(server);
  await MongoSess.disconnect();
  await proxy.close();
});

async function call(path: string): Promise<Answer & { status: number }> {
  const res = await http.get(path);
  return { ...res.json<Answer>(), status: res.status };
}

it('maps the seed options: servers with legacy opts (warned), db, expires', async () => {
  expect(warnings).toEqual(expect.arrayContaining(['LEGACY_OPTION_IGNORED', 'LEGACY_OPTION_MAPPED']));
  const { id } = await call(q('/set', { a: 1 }));
  const body = await MongoSess.store!.load(id!);
  const lifetime = body!.snapshot.expires.getTime() - Date.now();
  expect(lifetime).toBeGreaterThan(50_000);
  expect(lifetime).toBeLessThanOrEqual(60_000);
});

it('server unreachable: handlers get errors they answer with 503, no crash; then recovery without restart', async () => {
  const failures = trackProcessFailures();
  try {
    await call(q('/set', { before: 'outage' }));
    proxy.refuse();
    proxy.dropAll();
    const down = await call(q('/get', 'before'));
    expect(down).toMatchObject({ status: 503, error: 'MONGO_SESSION_CONNECTION' });
    expect((await call(q('/set', { during: true }))).status).toBe(503);
    proxy.accept();
    let back: Answer & { status: number } = { status: 0 };
    for (let i = 0; i < 40 && back.status !== 200; i++) {
      back = await call(q('/get', 'before'));
      if (back.status !== 200) await new Promise((r) => setTimeout(r, 250));
    }
    expect(back).toMatchObject({ status: 200, result: 'outage' });
    expect((await call(q('/set', { after: true }))).status).toBe(200);
    expect((await call(q('/get', 'after'))).result).toBe(true);
    expect(failures.unhandledRejections).toEqual([]);
    expect(failures.uncaughtExceptions).toEqual([]);
  } finally {
    failures.stop();
  }
});

it('auth { user, pass } goes to the driver as auth { username, password }, beside servers', async () => {
  // Only the mapping is checked: FerretDB's SQLite backend has no authentication.
  await MongoSess.close();
  const failures = trackProcessFailures();
  try {
    void MongoSess.connect({
      db: 'x',
      servers: [{ host: '127.0.0.1', port: 1 }],
      auth: { user: 'foo', pass: 'bar' },
      connectionOptions: { serverSelectionTimeoutMS: 200 },
    });
    const connection = MongoSess.store!.options.connection as { clientOptions: { auth?: unknown } };
    expect(connection.clientOptions.auth).toEqual({ username: 'foo', password: 'bar' });
    // No callback, nobody awaiting: the failed connection does not crash the process.
    await new Promise((r) => setTimeout(r, 600));
    expect(failures.unhandledRejections).toEqual([]);
    // The callback form gets the connection error.
    await MongoSess.close();
    const error = await new Promise<Error | null>((resolve) =>
      MongoSess.connect(
        { servers: { host: '127.0.0.1', port: 1 }, connectionOptions: { serverSelectionTimeoutMS: 200 } },
        resolve,
      ),
    );
    expect((error as { code?: string }).code).toBe('MONGO_SESSION_CONNECTION');
  } finally {
    failures.stop();
    await MongoSess.close();
  }
  // Reconnect so afterAll's disconnect has something to close.
  await MongoSess.connect({ uri: proxy.uri(dbName), collection: 'outage', autoRemove: 'interval' });
});
