/**
 * Outages never end the app (issue #15 item 1). koa-generic-session 2.3.1 answers a store's
 * `disconnect` with a promise that rejects after its `reconnectTimeout` and that nothing awaits
 * unless a request arrives meanwhile: an unhandled rejection, exit code 1. The README's app
 * runs in a child process (so such a rejection ends it as it would a real app) through a wire
 * proxy that can refuse connections; timeouts are shortened, the mechanism is the same.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import MongoDBStore from '@mongo-session/koa-generic-session';
import { CookieClient, MongoProxy, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const database = uniqueDatabaseName('koa_generic_session_outage');
const RECONNECT_TIMEOUT = 2000;
/** Short selection and heartbeat, so the outage is noticed within about a second. */
const CONNECTION_OPTIONS = { serverSelectionTimeoutMS: 1000, heartbeatFrequencyMS: 1000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface App {
  child: ChildProcess;
  client: CookieClient;
  output(): string;
  /** Date.now() of the first line `<time> <text>` the app printed after `since`, or undefined. */
  at(text: string, since?: number): number | undefined;
  alive(): boolean;
}

const children: ChildProcess[] = [];
const proxies: MongoProxy[] = [];

async function startApp(uri: string): Promise<App> {
  const child = spawn(process.execPath, [join(__dirname, 'fixtures', 'outage-app.cjs')], {
    cwd: join(__dirname, '..'),
    env: {
      ...process.env,
      URI: uri,
      RECONNECT_TIMEOUT: String(RECONNECT_TIMEOUT),
      CONNECTION_OPTIONS: JSON.stringify(CONNECTION_OPTIONS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const at = (text: string, since = 0) => {
    for (const match of output.matchAll(/^(\d{13}) (.*)$/gm)) {
      if (match[2]!.startsWith(text) && Number(match[1]) >= since) return Number(match[1]);
    }
    return undefined;
  };
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const url = /listening (\S+)/.exec(output)?.[1];
      if (url) {
        clearInterval(timer);
        resolve(url);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`the app exited (${child.exitCode}) before listening:\n${output}`));
      }
    }, 50);
  });
  return {
    child,
    client: new CookieClient(baseUrl),
    output: () => output,
    at,
    alive: () => child.exitCode === null && child.signalCode === null,
  };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string, app: App): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (!app.alive()) throw new Error(`the app exited while waiting for ${what}:\n${app.output()}`);
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms:\n${app.output()}`);
    await sleep(50);
  }
}

/** Polls GET / until it answers 200; resolves the answer and how long it took. */
async function firstSuccess(app: App, timeoutMs: number): Promise<{ text: string; ms: number; failures: number }> {
  const started = Date.now();
  let failures = 0;
  for (;;) {
    const response = await app.client.get('/');
    if (response.status === 200) return { text: response.text, ms: Date.now() - started, failures };
    failures++;
    if (Date.now() - started > timeoutMs) throw new Error(`still ${response.status} after ${timeoutMs} ms:\n${app.output()}`);
    await sleep(100);
  }
}

/** One request while the server is away: koa-generic-session answers an error, quickly. */
async function failsFast(app: App): Promise<number> {
  const started = Date.now();
  const response = await app.client.get('/');
  const ms = Date.now() - started;
  expect(response.status).toBe(500);
  expect(ms).toBeLessThan(500);
  return ms;
}

function expectNoCrash(app: App): void {
  expect({ alive: app.alive(), code: app.child.exitCode, output: app.output() }).toEqual({
    alive: true,
    code: null,
    output: expect.not.stringMatching(/unhandled|uncaught|session store is unavailable|^\d+ exit/im) as unknown as string,
  });
}

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const proxy of proxies) await proxy.close();
  const raw = new MongoClient(testUri(database));
  await raw.db().dropDatabase();
  await raw.close();
});

it('quiet outage: no requests for longer than detection + reconnectTimeout, the app lives; afterwards the same session is served', async () => {
  const proxy = await MongoProxy.fromUri(testUri(database));
  proxies.push(proxy);
  const app = await startApp(proxy.uri(database));
  await waitFor(() => app.at('callback null'), 10_000, 'first connection', app);
  expect((await app.client.get('/')).text).toBe('views: 1');

  const cut = Date.now();
  proxy.refuse();
  proxy.dropAll();
  // The store notices by itself (no request is made), then nothing happens for reconnectTimeout and more.
  const unavailable = await waitFor(() => app.at('event unavailable', cut), 10_000, "'unavailable'", app);
  await sleep(RECONNECT_TIMEOUT + 1500);
  expectNoCrash(app);
  const failMs = await failsFast(app);

  const restored = Date.now();
  proxy.accept();
  const back = await firstSuccess(app, 15_000);
  expect(back.text).toBe('views: 2');
  expect((await app.client.get('/')).text).toBe('views: 3');
  expect(app.at('event connect', restored)).toBeDefined();
  expect(app.at('event disconnect')).toBeUndefined();
  expectNoCrash(app);
  console.log(
    `quiet outage: unavailable ${unavailable - cut} ms after the cut; a request during it failed in ${failMs} ms; ` +
      `first 200 ${back.ms} ms after the server was back (${back.failures} failed before)`,
  );
});

it('start while down (callback and error listener): the app lives past the timeouts, then serves once the server appears', async () => {
  const proxy = await MongoProxy.fromUri(testUri(database));
  proxies.push(proxy);
  proxy.refuse();
  const started = Date.now();
  const app = await startApp(proxy.uri(database));
  const failed = await waitFor(() => app.at('callback MONGO_SESSION_CONNECTION'), 10_000, 'failed first connection', app);
  expect(app.at('error MONGO_SESSION_CONNECTION')).toBeDefined();
  await waitFor(() => app.at('event unavailable'), 5_000, "'unavailable'", app);
  await sleep(RECONNECT_TIMEOUT + 1500);
  expectNoCrash(app);
  const failMs = await failsFast(app);

  const restored = Date.now();
  proxy.accept();
  const back = await firstSuccess(app, 15_000);
  expect(back.text).toBe('views: 1');
  expect((await app.client.get('/')).text).toBe('views: 2');
  expect(app.at('event connect', restored)).toBeDefined();
  expectNoCrash(app);
  console.log(
    `start while down: callback ${failed - started} ms after start; a request failed in ${failMs} ms; ` +
      `first 200 ${back.ms} ms after the server appeared (${back.failures} failed before)`,
  );
});

describe('the store while unavailable (in process)', () => {
  it("after 'unavailable' (never 'disconnect'), get / set / destroy reject at once; connected is false", async () => {
    const store = new MongoDBStore({ uri: 'mongodb://127.0.0.1:1/x', connectionOptions: { serverSelectionTimeoutMS: 300 } });
    const events: string[] = [];
    for (const event of ['unavailable', 'disconnect', 'error'])
      (store as unknown as NodeJS.EventEmitter).on(event, () => events.push(event));
    try {
      await new Promise<void>((resolve) => store.once('unavailable', () => resolve()));
      expect(store.connected).toBe(false);
      for (const call of [
        () => store.get('koa:sess:a'),
        () => store.set('koa:sess:a', { a: 1 }, 1000),
        () => store.destroy('koa:sess:a'),
      ]) {
        const started = Date.now();
        await expect(call()).rejects.toMatchObject({ name: 'ConnectionError', code: 'MONGO_SESSION_CONNECTION' });
        expect(Date.now() - started).toBeLessThan(100);
      }
      expect(events.sort()).toEqual(['error', 'unavailable']);
    } finally {
      await store.close();
    }
  });

  it('a clientPromise that failed to open is tried again by the next call (only an operation can find it)', async () => {
    let calls = 0;
    const client = new MongoClient(testUri(database));
    const store = new MongoDBStore({
      clientPromise: () => (++calls === 1 ? Promise.reject(new Error('not yet')) : client.connect()),
      collection: 'lazy',
    });
    const events: string[] = [];
    for (const event of ['unavailable', 'connect'] as const) store.on(event, () => events.push(event));
    store.on('error', () => undefined);
    try {
      await expect(store.ready()).rejects.toMatchObject({ code: 'MONGO_SESSION_CONNECTION' });
      expect(store.connected).toBe(false);
      await expect(store.get('koa:sess:none')).resolves.toBeNull();
      expect(calls).toBe(2);
      await new Promise((r) => setTimeout(r, 100));
      expect(events).toEqual(['unavailable', 'connect']);
      expect(store.connected).toBe(true);
    } finally {
      await store.close();
      await client.close();
    }
  });
});
