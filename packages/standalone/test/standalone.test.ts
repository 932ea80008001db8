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

async function start(
  options: Parameters<typeof sessionApp>[0] = { keys: KEYS },
  style?: 'promise' | 'callback',
): Promise<CookieClient> {
  const server = sessionApp(options, style);
  servers.push(server);
  return new CookieClient(await listen(server));
}

async function call(
  http: CookieClient,
  path: string,
  headers?: Record<string, string>,
): Promise<Answer & { status: number; setCookies: string[] }> {
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
    expect(await http.cookie('sess')).toBe(first.id);
    expect(await http.cookie('sess.sig')).toBeDefined();
    const doc = await docs.findOne({ _id: first.id! });
    expect(doc?.session).toEqual({ user: 'ada', visits: 1 });
  });

  it('get returns one key, or the whole session with _id and createdAt', async () => {
    expect((await call(http, q('/get', 'user'))).result).toBe('ada');
    expect((await call(http, q('/get', 'missing'))).result).toBe('__undefined');
    const whole = (await call(http, '/get')).result as Record<string, unknown>;
    expect(whole).toMatchObject({ user: 'ada', visits: 1, _id: await http.cookie('sess') });
    expect(Number.isNaN(Date.parse(whole['createdAt'] as string))).toBe(false);
  });

  it('set on an existing session keeps other keys and the id', async () => {
    const id = await http.cookie('sess');
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
    const id = (await http.cookie('sess'))!;
    const res = await call(http, '/end');
    expect(res.status).toBe(200);
    expect(res.setCookies.some((line) => /^sess=;/.test(line))).toBe(true);
    expect(await docs.findOne({ _id: id })).toBeNull();
    expect(await http.cookie('sess')).toBeUndefined();
    expect((await call(http, '/get')).result).toBeNull();
  });

  it('setting or deleting _id (or createdAt) is an error', async () => {
    await call(http, q('/set', { user: 'bob' }));
    const id = (await http.cookie('sess'))!;
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
    await attacker.setCookie('sess', id!);
    await attacker.setCookie('sess.sig', 'forged-signature-0000000000');
    expect((await call(attacker, '/get')).result).toBeNull();
    const forged = await call(attacker, q('/set', { user: 'mallory' }));
    expect(forged.id).not.toBe(id);
    expect((await docs.findOne({ _id: id! }))?.session).toEqual({ user: 'alice' });
    // An unsigned cookie is ignored the same way.
    const unsigned = new CookieClient(victim.baseUrl);
    await unsigned.setCookie('sess', id!);
    expect((await call(unsigned, '/get')).result).toBeNull();
  });

  it('a value signed with an older key is accepted and re-signed with the current key', async () => {
    const old = await start({ keys: ['k1-older'] });
    const { id } = await call(old, q('/set', { n: 1 }));
    const rotated = await start({ keys: new Keygrip(KEYS) });
    const browser = new CookieClient(rotated.baseUrl);
    await browser.setCookie('sess', id!);
    await browser.setCookie('sess.sig', (await old.cookie('sess.sig'))!);
    const res = await call(browser, q('/get', 'n'));
    expect(res.result).toBe(1);
    expect(res.setCookies.some((line) => line.startsWith('sess.sig='))).toBe(true);
    const sig = (await browser.cookie('sess.sig'))!;
    expect(new Keygrip(['k2-current']).verify(`sess=${id}`, sig)).toBe(true);
    // The re-signed cookie keeps working once the old key is retired.
    const retired = await start({ keys: ['k2-current'] });
    const later = new CookieClient(retired.baseUrl);
    await later.setCookie('sess', id!);
    await later.setCookie('sess.sig', sig);
    expect((await call(later, q('/get', 'n'))).result).toBe(1);
  });
});

describe.each(['promise', 'callback'] as const)('regenerate() on log-in (%s form)', (style) => {
  it('moves a session to a new signed id: same data, the old id revoked', async () => {
    const http = await start({ keys: KEYS }, style);
    const { id: before } = await call(http, q('/set', { cart: 'apples' }));
    const login = await call(http, q('/login', 'ada'));
    expect(login.status).toBe(200);
    expect(login.id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(login.id).not.toBe(before);
    expect(await http.cookie('sess')).toBe(login.id);
    const sig = (await http.cookie('sess.sig'))!;
    expect(new Keygrip(['k2-current']).verify(`sess=${login.id}`, sig)).toBe(true);
    // The old id is a tombstone (core regenerate): no write in flight on it brings it back.
    expect(await docs.findOne({ _id: before! })).toMatchObject({ revoked: true, session: null });
    expect((await docs.findOne({ _id: login.id! }))?.session).toEqual({ cart: 'apples', user: 'ada' });
    expect((await call(http, '/get')).result).toMatchObject({ _id: login.id, cart: 'apples', user: 'ada' });
  });

  it("session fixation: the id an attacker planted does not read the victim's log-in", async () => {
    const attacker = await start({ keys: KEYS }, style);
    const { id: planted } = await call(attacker, q('/set', { theme: 'dark' }));
    const victim = new CookieClient(attacker.baseUrl);
    await victim.setCookie('sess', planted!);
    await victim.setCookie('sess.sig', (await attacker.cookie('sess.sig'))!);
    expect((await call(victim, q('/get', 'theme'))).result).toBe('dark'); // the planted cookie is valid
    const login = await call(victim, q('/login', 'victim'));
    expect(login.status).toBe(200);
    expect(login.id).not.toBe(planted);
    expect(await victim.cookie('sess')).toBe(login.id);
    // The attacker's id reads nothing: its document is gone.
    expect(await docs.findOne({ _id: planted! })).toMatchObject({ revoked: true, session: null });
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
    await http.setCookie('sess', planted);
    const login = await call(http, q('/login', 'eve'));
    expect(login.status).toBe(200);
    expect(login.id).not.toBe(planted);
    expect(await http.cookie('sess')).toBe(login.id);
    expect(await docs.findOne({ _id: planted })).toBeNull();
    expect((await docs.findOne({ _id: login.id! }))?.session).toEqual({ user: 'eve' });
  });
});

describe('errors while reading the request reach the promise / callback, never a throw', () => {
  /** Rejects when the server does not answer (a handler that threw never does). */
  const answered = <T>(pending: Promise<T>): Promise<T> =>
    Promise.race([
      pending,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 5 s')), 5000).unref()),
    ]);

  /** The README's handler shape: the constructor outside any try, errors through the promise or the callback. */
  async function readmeApp(options: SessionOptions, style: 'promise' | 'callback'): Promise<CookieClient> {
    const answer = (res: import('node:http').ServerResponse, error: Error | null, n?: unknown) => {
      if (error)
        res.writeHead(500).end(JSON.stringify({ error: (error as { code?: string }).code ?? null, message: error.message }));
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
        const oldSig = new Keygrip(['k1-older']).sign(`sess=${id}`);
        const res = await answered(http.get('/', { cookie: `sess=${id}; sess.sig=${oldSig}` }));
        expect(res.status).toBe(500);
        expect(res.json<Answer>().message).toMatch(/secure cookie over unencrypted connection/);
        expect(res.setCookies).toEqual([]);
        // Other requests are served: no cookie, and a cookie signed with the current key.
        expect((await answered(http.get('/'))).json()).toEqual({ n: null });
        const sig = new Keygrip(['k2-current']).sign(`sess=${id}`);
        const current = await answered(http.get('/', { cookie: `sess=${id}; sess.sig=${sig}` }));
        expect({ status: current.status, body: current.json() }).toEqual({ status: 200, body: { n: 1 } });
        expect((await docs.findOne({ _id: id }))?.session).toEqual({ n: 1 });
        expect(failures.uncaughtExceptions).toEqual([]);
        expect(failures.unhandledRejections).toEqual([]);
      } finally {
        failures.stop();
      }
    },
  );

  it.each(['promise', 'callback'] as const)(
    'bad per-request options: every method reports them through the %s',
    async (style) => {
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
    },
  );
});

describe('cookie lifetime', () => {
  it('sets a persistent cookie by default and a browser-session cookie with expires: 0', async () => {
    const persistent = await call(await start(), q('/set', { a: 1 }));
    expect(persistent.setCookies.find((l) => l.startsWith('sess='))).toMatch(/expires=/i);
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
    const line = res.setCookies.find((l) => l.startsWith('sess='))!;
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
    expect(ok.setCookies.find((l) => l.startsWith('sess='))).toMatch(/; secure/i);
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

describe("MongoSess's option names", () => {
  it('cookieName names the cookie; without a name the cookie is "sess", as under MongoSess', async () => {
    const named = await start({ cookieName: 'sessionCookie', keys: KEYS });
    const { id } = await call(named, q('/set', { a: 1 }));
    expect(await named.cookie('sessionCookie')).toBe(id);
    expect(new Keygrip(KEYS).verify(`sessionCookie=${id}`, (await named.cookie('sessionCookie.sig'))!)).toBe(true);
    expect((await call(named, q('/get', 'a'))).result).toBe(1);
    const plain = await start({ keys: KEYS });
    const res = await call(plain, q('/set', { a: 1 }));
    expect(res.setCookies.map((line) => line.split('=')[0])).toEqual(['sess', 'sess.sig']);
    // name and cookieName may both be given when they agree.
    const both = await start({ name: 'same', cookieName: 'same' });
    expect((await call(both, q('/set', { a: 1 }))).setCookies.map((line) => line.split('=')[0])).toEqual(['same']);
  });

  it.each([
    ['name and cookieName that disagree', { name: 'a', cookieName: 'b' }, 'cookieName'],
    ['a cookieName that is no cookie name', { cookieName: 'has space' }, 'cookieName'],
    ['keys that are neither secrets nor a Keygrip', { keys: 'secret' }, 'keys'],
    ['an empty keys array', { keys: [] }, 'keys'],
    ['an unknown option', { cookiename: 'x' }, 'cookiename'],
  ])('%s: InvalidOptionError naming the option, through the handle', async (_what, options, option) => {
    const http = await start(options as SessionOptions);
    const res = await call(http, q('/set', { a: 1 }));
    expect(res).toMatchObject({ status: 500, error: 'MONGO_SESSION_INVALID_OPTION' });
    expect(res.message).toContain(`"${option}"`);
    expect(res.setCookies).toEqual([]);
  });
});

describe('calls made together on one handle run in call order', () => {
  /** One request, `run` on a fresh handle; answers what it resolved to. */
  async function together(run: (s: import('@mongo-session/standalone').Session) => Promise<unknown>): Promise<CookieClient> {
    const server = createServer((req, res) => {
      run(MongoSess(req, res, { keys: KEYS })).then(
        (result) => res.writeHead(200).end(JSON.stringify({ result: result ?? null })),
        (error: Error) => res.writeHead(500).end(JSON.stringify({ error: error.message })),
      );
    });
    servers.push(server);
    return new CookieClient(await listen(server));
  }

  it('set, get, del, get, end, get: each sees the calls before it; the cookie ends cleared', async () => {
    const events: string[] = [];
    const onEvent = (event: string) => (id: string) => events.push(`${event} ${id}`);
    const listeners = (['create', 'update', 'destroy'] as const).map((event) => [event, onEvent(event)] as const);
    listeners.forEach(([event, listener]) => MongoSess.store!.on(event, listener));
    try {
      const http = await together((s) => Promise.all([s.set({ a: 1, b: 2 }), s.get('a'), s.del('a'), s.get(), s.end(), s.get()]));
      const res = await http.get('/');
      const [, a, , whole, , after] = res.json<{ result: unknown[] }>().result;
      expect(a).toBe(1);
      expect(whole).toMatchObject({ b: 2 });
      expect(whole).not.toHaveProperty('a');
      expect(after).toBeNull();
      const id = (whole as { _id: string })._id;
      expect(events).toEqual([`create ${id}`, `update ${id}`, `destroy ${id}`]);
      expect(res.setCookies.every((line) => /expires=Thu, 01 Jan 1970/i.test(line))).toBe(true);
      expect(await http.cookie('sess')).toBeUndefined();
    } finally {
      listeners.forEach(([event, listener]) => MongoSess.store!.off(event, listener));
    }
  });

  it('end then set: the old session is gone and the write starts a new one, named in the cookie', async () => {
    const http = await together((s) => Promise.all([s.end(), s.set({ after: true })]).then(() => s.id));
    await MongoSess.store!.set('together-end-then-set-0001', { before: true });
    await http.setCookie('sess', 'together-end-then-set-0001');
    await http.setCookie('sess.sig', new Keygrip(KEYS).sign('sess=together-end-then-set-0001'));
    const id = (await http.get('/')).json<{ result: string }>().result;
    expect(id).not.toBe('together-end-then-set-0001');
    expect(await http.cookie('sess')).toBe(id);
    expect(await docs.findOne({ _id: 'together-end-then-set-0001' })).toBeNull();
    expect((await docs.findOne({ _id: id }))?.session).toEqual({ after: true });
  });

  it('regenerate then end: both ids are gone and the cookie is cleared', async () => {
    const http = await together((s) => Promise.all([s.regenerate(), s.end()]).then(() => s.id));
    await MongoSess.store!.set('together-regenerate-end-1', { before: true });
    await http.setCookie('sess', 'together-regenerate-end-1');
    await http.setCookie('sess.sig', new Keygrip(KEYS).sign('sess=together-regenerate-end-1'));
    const res = await http.get('/');
    expect(res.json()).toEqual({ result: null });
    expect(await http.cookie('sess')).toBeUndefined();
    expect(await docs.countDocuments({ 'session.before': true })).toBe(0);
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
      Promise.all([
        bad.get().catch((e: { option?: string }) => e.option),
        bad.regenerate().catch((e: { option?: string }) => e.option),
      ]).then((unknown) => res.end(JSON.stringify([a instanceof MongoSess.Session, b instanceof MongoSess.Session, ...unknown])));
    });
    servers.push(server);
    const res = await new CookieClient(await listen(server)).get('/');
    expect(res.json()).toEqual([true, true, 'nmae', 'nmae']);
  });

  it('a second connect without close is refused', () => {
    expect(() => MongoSess.connect({ uri })).toThrow(/already called/);
  });
});
