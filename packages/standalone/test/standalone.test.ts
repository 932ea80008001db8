import { createServer, type Server } from 'node:http';
import Keygrip from 'keygrip';
import { MongoClient, type Collection } from 'mongodb';
import MongoSess, { type SessionOptions } from '@mongo-session/standalone';
import { CookieClient, closeServer, listen, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
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

describe.each(['promise', 'callback'] as const)('regenerate() on log-in (%s form)', (style) => {
  it('moves a session to a new signed id: same data, the old document gone', async () => {
    const http = await start({ keys: KEYS }, style);
    const { id: before } = await call(http, q('/set', { cart: 'apples' }));
    const login = await call(http, q('/login', 'ada'));
    expect(login.status).toBe(200);
    expect(login.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(login.id).not.toBe(before);
    expect(await http.cookie('mongosess')).toBe(login.id);
    const sig = (await http.cookie('mongosess.sig'))!;
    expect(new Keygrip(['k2-current']).verify(`mongosess=${login.id}`, sig)).toBe(true);
    expect(await docs.findOne({ _id: before! })).toBeNull();
    expect((await docs.findOne({ _id: login.id! }))?.session).toEqual({ cart: 'apples', user: 'ada' });
    expect((await call(http, '/get')).result).toMatchObject({ _id: login.id, cart: 'apples', user: 'ada' });
  });

  it('session fixation: the id an attacker planted does not read the victim\'s log-in', async () => {
    const attacker = await start({ keys: KEYS }, style);
    const { id: planted } = await call(attacker, q('/set', { theme: 'dark' }));
    const victim = new CookieClient(attacker.baseUrl);
    await victim.setCookie('mongosess', planted!);
    await victim.setCookie('mongosess.sig', (await attacker.cookie('mongosess.sig'))!);
    expect((await call(victim, q('/get', 'theme'))).result).toBe('dark'); // the planted cookie is valid
    const login = await call(victim, q('/login', 'victim'));
    expect(login.status).toBe(200);
    expect(login.id).not.toBe(planted);
    expect(await victim.cookie('mongosess')).toBe(login.id);
    // The attacker's id reads nothing: its document is gone.
    expect(await docs.findOne({ _id: planted! })).toBeNull();
    expect((await call(attacker, '/get')).result).toBeNull();
    expect((await call(attacker, q('/get', 'user'))).result).toBe('__undefined');
    // The victim's new cookie reads the session, data kept.
    expect((await call(victim, '/get')).result).toMatchObject({ _id: login.id, theme: 'dark', user: 'victim' });
    // A write with the attacker's cookie starts a session of its own; the victim's is untouched.
    const again = await call(attacker, q('/set', { user: 'mallory' }));
    expect(again.id).not.toBe(planted);
    expect(again.id).not.toBe(login.id);
    expect((await docs.findOne({ _id: login.id! }))?.session).toEqual({ theme: 'dark', user: 'victim' });
  });

  it('without a stored session: nothing to move, and a planted id with no document is replaced', async () => {
    const http = await start({}, style); // unsigned: any well-formed id can be planted
    const none = await call(http, '/regenerate');
    expect(none).toMatchObject({ status: 200, id: null, setCookies: [] });
    const planted = 'planted-by-an-attacker-0123456789';
    await http.setCookie('mongosess', planted);
    const login = await call(http, q('/login', 'eve'));
    expect(login.status).toBe(200);
    expect(login.id).not.toBe(planted);
    expect(await http.cookie('mongosess')).toBe(login.id);
    expect(await docs.findOne({ _id: planted })).toBeNull();
    expect((await docs.findOne({ _id: login.id! }))?.session).toEqual({ user: 'eve' });
  });
});

describe('errors while reading the request reach the promise / callback, never a throw', () => {
  /** Rejects when the server does not answer (a handler that threw never does). */
  const answered = <T>(pending: Promise<T>): Promise<T> =>
    Promise.race([pending, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5000).unref())]);

  /** The README's handler shape: the constructor outside any try, errors through the promise or the callback. */
  async function readmeApp(options: SessionOptions, style: 'promise' | 'callback'): Promise<CookieClient> {
    const answer = (res: import('node:http').ServerResponse, error: Error | null, n?: unknown) => {
      if (error) res.writeHead(500).end(JSON.stringify({ error: (error as { code?: string }).code ?? null, message: error.message }));
      else res.writeHead(200).end(JSON.stringify({ n: n ?? null }));
    };
    const server =
      style === 'promise'
        ? createServer(async (req, res) => {
            const session = MongoSess(req, res, options);
            try {
              answer(res, null, await session.get('n'));
            } catch (error) {
              answer(res, error as Error);
            }
          })
        : createServer((req, res) => {
            const session = new MongoSess(req, res, options);
            session.get('n', (error, n) => answer(res, error, n));
          });
    servers.push(server);
    return new CookieClient(await listen(server));
  }

  it.each(['promise', 'callback'] as const)(
    'a cookie signed with an older key, secure: true on plain http: the error reaches the %s, the server keeps serving',
    async (style) => {
      const failures = trackProcessFailures();
      try {
        const id = `resign-${style}-0123456789abcdef`;
        await MongoSess.store!.set(id, { n: 1 });
        const http = await readmeApp({ keys: KEYS, secure: true }, style);
        const oldSig = new Keygrip(['k1-older']).sign(`mongosess=${id}`);
        const res = await answered(http.get('/', { cookie: `mongosess=${id}; mongosess.sig=${oldSig}` }));
        expect(res.status).toBe(500);
        expect(res.json<Answer>().message).toMatch(/secure cookie over unencrypted connection/);
        expect(res.setCookies).toEqual([]);
        // Other requests are served: no cookie, and a cookie signed with the current key.
        expect((await answered(http.get('/'))).json()).toEqual({ n: null });
        const sig = new Keygrip(['k2-current']).sign(`mongosess=${id}`);
        const current = await answered(http.get('/', { cookie: `mongosess=${id}; mongosess.sig=${sig}` }));
        expect({ status: current.status, body: current.json() }).toEqual({ status: 200, body: { n: 1 } });
        expect((await docs.findOne({ _id: id }))?.session).toEqual({ n: 1 });
        expect(failures.uncaughtExceptions).toEqual([]);
        expect(failures.unhandledRejections).toEqual([]);
      } finally {
        failures.stop();
      }
    },
  );

  it.each(['promise', 'callback'] as const)('bad per-request options: every method reports them through the %s', async (style) => {
    const failures = trackProcessFailures();
    try {
      const http = await readmeApp({ nmae: 'x' } as SessionOptions, style);
      const res = await answered(http.get('/'));
      expect(res.status).toBe(500);
      expect(res.json<Answer>().error).toBe('MONGO_SESSION_INVALID_OPTION');
      expect(res.json<Answer>().message).toMatch(/"nmae"/);
      expect(failures.uncaughtExceptions).toEqual([]);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
    }
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
  it('works with and without new, and refuses unknown options through its methods (never a throw)', async () => {
    expect(typeof MongoSess.connect).toBe('function');
    expect(MongoSess.disconnect).toBe(MongoSess.close);
    expect(MongoSess.MongoSess).toBe(MongoSess);
    expect(MongoSess.default).toBe(MongoSess);
    expect(MongoSess.store?.connected).toBe(true);
    const server = createServer((req, res) => {
      const a = new MongoSess(req, res);
      const b = MongoSess(req, res);
      const bad = MongoSess(req, res, { nmae: 'x' } as never);
      bad.expire(); // does nothing on a failed handle
      Promise.all([bad.get().catch((e: { option?: string }) => e.option), bad.regenerate().catch((e: { option?: string }) => e.option)]).then((unknown) =>
        res.end(JSON.stringify([a instanceof MongoSess.Session, b instanceof MongoSess.Session, ...unknown])),
      );
    });
    servers.push(server);
    const res = await new CookieClient(await listen(server)).get('/');
    expect(res.json()).toEqual([true, true, 'nmae', 'nmae']);
  });

  it('a second connect without close is refused', () => {
    expect(() => MongoSess.connect({ uri })).toThrow(/already called/);
  });
});
