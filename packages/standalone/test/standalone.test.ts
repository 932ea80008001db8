import type { Server } from 'node:http';
import Keygrip from 'keygrip';
import { MongoClient, type Collection } from 'mongodb';
import MongoSess from '@mongo-session/standalone';
import { CookieClient, closeServer, listen, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { type Answer, q, sessionApp } from './helpers';

const dbName = uniqueDatabaseName('standalone');
const uri = testUri(dbName);
const KEYS = ['k2-current', 'k1-older'];
let client: MongoClient;
let docs: Collection<{ _id: string; session: Record<string, unknown>; expires: Date }>;
const servers: Server[] = [];

async function start(options: Parameters<typeof sessionApp>[0] = { keys: KEYS }, style?: 'promise' | 'callback'): Promise<CookieClient> {
  const server = sessionApp(options, style);
  servers.push(server);
  return new CookieClient(await listen(server));
}

async function call(http: CookieClient, path: string, headers?: Record<string, string>): Promise<Answer & { status: number; setCookies: string[] }> {
  const res = await http.get(path, headers);
  return { ...res.json<Answer>(), status: res.status, setCookies: res.setCookies };
}

beforeAll(async () => {
  await MongoSess.connect({ uri, collection: 'web', autoRemove: 'interval' });
  client = new MongoClient(uri);
  docs = client.db(dbName).collection('web');
});

afterAll(async () => {
  await Promise.all(servers.map(closeServer));
  await MongoSess.close();
  await client.close();
});

describe.each(['promise', 'callback'] as const)('every method through real requests (%s form)', (style) => {
  let http: CookieClient;
  beforeAll(async () => {
    http = await start({ keys: KEYS }, style);
  });

  it('set creates a session, sets a signed cookie and stores the keys', async () => {
    const first = await call(http, q('/set', { user: 'ada', visits: 1 }));
    expect(first.status).toBe(200);
    expect(first.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await http.cookie('mongosess')).toBe(first.id);
    expect(await http.cookie('mongosess.sig')).toBeDefined();
    const doc = await docs.findOne({ _id: first.id! });
    expect(doc?.session).toEqual({ user: 'ada', visits: 1 });
  });

  it('get returns one key, or the whole session with _id and createdAt', async () => {
    expect((await call(http, q('/get', 'user'))).result).toBe('ada');
    expect((await call(http, q('/get', 'missing'))).result).toBe('__undefined');
    const whole = (await call(http, '/get')).result as Record<string, unknown>;
    expect(whole).toMatchObject({ user: 'ada', visits: 1, _id: await http.cookie('mongosess') });
    expect(Number.isNaN(Date.parse(whole['createdAt'] as string))).toBe(false);
  });

  it('set on an existing session keeps other keys and the id', async () => {
    const id = await http.cookie('mongosess');
    const res = await call(http, q('/set', { visits: 2 }));
    expect(res.id).toBe(id);
    expect(res.setCookies).toEqual([]); // nothing to tell the browser
    expect((await docs.findOne({ _id: id! }))?.session).toEqual({ user: 'ada', visits: 2 });
  });

  it('del removes the named keys only', async () => {
    await call(http, q('/set', { a: 1, b: 2 }));
    await call(http, q('/del', 'a,b'));
    const whole = (await call(http, '/get')).result as Record<string, unknown>;
    expect(whole).not.toHaveProperty('a');
    expect(whole).not.toHaveProperty('b');
    expect(whole['user']).toBe('ada');
  });

  it('end deletes the document and clears the cookie', async () => {
    const id = (await http.cookie('mongosess'))!;
    const res = await call(http, '/end');
    expect(res.status).toBe(200);
    expect(res.setCookies.some((line) => /^mongosess=;/.test(line))).toBe(true);
    expect(await docs.findOne({ _id: id })).toBeNull();
    expect(await http.cookie('mongosess')).toBeUndefined();
    expect((await call(http, '/get')).result).toBeNull();
  });

  it('setting or deleting _id (or createdAt) is an error', async () => {
    await call(http, q('/set', { user: 'bob' }));
    const id = (await http.cookie('mongosess'))!;
    expect(await call(http, q('/set', { _id: 'other' }))).toMatchObject({ status: 500, error: 'MONGO_SESSION_INVALID_ARGUMENT' });
    expect(await call(http, q('/del', '_id'))).toMatchObject({ status: 500, error: 'MONGO_SESSION_INVALID_ARGUMENT' });
    expect(await call(http, q('/set', { createdAt: 1 }))).toMatchObject({ status: 500, error: 'MONGO_SESSION_INVALID_ARGUMENT' });
    expect((await docs.findOne({ _id: id }))?.session).toEqual({ user: 'bob' });
  });
});

describe('signed cookies', () => {
  it('a forged signature starts a fresh session and leaves the real one untouched', async () => {
    const victim = await start();
    const { id } = await call(victim, q('/set', { user: 'alice' }));
    const attacker = new CookieClient(victim.baseUrl);
    await attacker.setCookie('mongosess', id!);
    await attacker.setCookie('mongosess.sig', 'forged-signature-0000000000');
    expect((await call(attacker, '/get')).result).toBeNull();
    const forged = await call(attacker, q('/set', { user: 'mallory' }));
    expect(forged.id).not.toBe(id);
    expect((await docs.findOne({ _id: id! }))?.session).toEqual({ user: 'alice' });
    // An unsigned cookie is ignored the same way.
    const unsigned = new CookieClient(victim.baseUrl);
    await unsigned.setCookie('mongosess', id!);
    expect((await call(unsigned, '/get')).result).toBeNull();
  });

  it('a value signed with an older key is accepted and re-signed with the current key', async () => {
    const old = await start({ keys: ['k1-older'] });
    const { id } = await call(old, q('/set', { n: 1 }));
    const rotated = await start({ keys: new Keygrip(KEYS) });
    const browser = new CookieClient(rotated.baseUrl);
    await browser.setCookie('mongosess', id!);
    await browser.setCookie('mongosess.sig', (await old.cookie('mongosess.sig'))!);
    const res = await call(browser, q('/get', 'n'));
    expect(res.result).toBe(1);
    expect(res.setCookies.some((line) => line.startsWith('mongosess.sig='))).toBe(true);
    const sig = (await browser.cookie('mongosess.sig'))!;
    expect(new Keygrip(['k2-current']).verify(`mongosess=${id}`, sig)).toBe(true);
    // The re-signed cookie keeps working once the old key is retired.
    const retired = await start({ keys: ['k2-current'] });
    const later = new CookieClient(retired.baseUrl);
    await later.setCookie('mongosess', id!);
    await later.setCookie('mongosess.sig', sig);
    expect((await call(later, q('/get', 'n'))).result).toBe(1);
  });
});

describe('cookie lifetime', () => {
  it('sets a persistent cookie by default and a browser-session cookie with expires: 0', async () => {
    const persistent = await call(await start(), q('/set', { a: 1 }));
    expect(persistent.setCookies.find((l) => l.startsWith('mongosess='))).toMatch(/expires=/i);
    const sessionOnly = await call(await start({ keys: KEYS, expires: 0, name: 'sess0' }), q('/set', { a: 1 }));
    const line = sessionOnly.setCookies.find((l) => l.startsWith('sess0='))!;
    expect(line).toBeDefined();
    expect(line).not.toMatch(/expires=|max-age=/i);
    expect(line).toMatch(/httponly/i);
  });

  it('expire() re-sends the cookie as session-only and leaves the stored expiry alone', async () => {
    const http = await start({ keys: KEYS, expires: 60_000 });
    const { id } = await call(http, q('/set', { a: 1 }));
    const before = (await docs.findOne({ _id: id! }))!.expires.getTime();
    const res = await call(http, '/expire');
    const line = res.setCookies.find((l) => l.startsWith('mongosess='))!;
    expect(line).toContain(id);
    expect(line).not.toMatch(/expires=|max-age=/i);
    expect((await docs.findOne({ _id: id! }))!.expires.getTime()).toBe(before);
    expect((await call(http, q('/get', 'a'))).result).toBe(1);
  });
});

describe('response handling', () => {
  it('a method that must set a cookie after the headers were sent fails clearly', async () => {
    const http = await start();
    const res = await http.get('/set-after-headers');
    expect(res.json()).toEqual({ error: 'MONGO_SESSION_HEADERS_SENT' });
    // With a session already established, no cookie is needed and the late write succeeds.
    await call(http, q('/set', { a: 1 }));
    const later = await http.get('/set-after-headers');
    expect(later.json()).toEqual({ ok: true });
    expect((await call(http, q('/get', 'late'))).result).toBe(true);
  });

  it('secure cookies need a TLS connection, or X-Forwarded-Proto: https with proxy: true', async () => {
    const behindProxy = await start({ keys: KEYS, secure: true, proxy: true });
    const ok = await call(behindProxy, q('/set', { a: 1 }), { 'x-forwarded-proto': 'https' });
    expect(ok.status).toBe(200);
    expect(ok.setCookies.find((l) => l.startsWith('mongosess='))).toMatch(/; secure/i);
    const plain = await call(new CookieClient(behindProxy.baseUrl), q('/set', { a: 1 }));
    expect(plain.status).toBe(500);
    expect(plain.message).toMatch(/secure cookie over unencrypted connection/);
    const notTrusted = await start({ keys: KEYS, secure: true });
    const refused = await call(notTrusted, q('/set', { a: 1 }), { 'x-forwarded-proto': 'https' });
    expect(refused.status).toBe(500);
  });
});

describe('concurrency', () => {
  it('concurrent requests changing different keys keep every change', async () => {
    const http = await start();
    const { id } = await call(http, q('/set', { base: true }));
    const keys = Array.from({ length: 8 }, (_, i) => `k${i}`);
    const answers = await Promise.all(keys.map((k, i) => call(http, q('/set', { [k]: i }))));
    expect(answers.every((a) => a.status === 200 && a.id === id)).toBe(true);
    const expected = Object.fromEntries([['base', true], ...keys.map((k, i) => [k, i])]);
    expect((await docs.findOne({ _id: id! }))?.session).toEqual(expected);
    await Promise.all([call(http, q('/del', 'k0')), call(http, q('/del', 'k1')), call(http, q('/set', { k9: 9 }))]);
    const { k0, k1, ...rest } = expected;
    expect((await docs.findOne({ _id: id! }))?.session).toEqual({ ...rest, k9: 9 });
    expect([k0, k1]).toEqual([0, 1]);
  });

  it('a write after a concurrent end never brings the ended session back', async () => {
    const http = await start();
    const { id } = await call(http, q('/set', { a: 1 }));
    const [ended, written] = await Promise.all([call(http, '/end'), call(http, q('/set', { b: 2 }))]);
    expect(ended.status).toBe(200);
    expect(written.status).toBe(200);
    // Whatever the interleaving, once end has answered no write brings the ended id back.
    expect(await docs.findOne({ _id: id! })).toBeNull();
  });
});

describe('MongoSess shape', () => {
  it('works with and without new, and refuses unknown options', async () => {
    expect(typeof MongoSess.connect).toBe('function');
    expect(MongoSess.disconnect).toBe(MongoSess.close);
    expect(MongoSess.MongoSess).toBe(MongoSess);
    expect(MongoSess.default).toBe(MongoSess);
    expect(MongoSess.store?.connected).toBe(true);
    const { createServer } = await import('node:http');
    const server = createServer((req, res) => {
      const a = new MongoSess(req, res);
      const b = MongoSess(req, res);
      let unknown = '';
      try {
        MongoSess(req, res, { nmae: 'x' } as never);
      } catch (error) {
        unknown = (error as { option?: string }).option ?? '';
      }
      res.end(JSON.stringify([a instanceof MongoSess.Session, b instanceof MongoSess.Session, unknown]));
    });
    servers.push(server);
    const res = await new CookieClient(await listen(server)).get('/');
    expect(res.json()).toEqual([true, true, 'nmae']);
  });

  it('a second connect without close is refused', () => {
    expect(() => MongoSess.connect({ uri })).toThrow(/already called/);
  });
});
