/**
 * The conformance suite for the framework-free session handle contract
 * (MongoSess's API): `factory(req, res)` returns a handle with promise-form
 * set / get / del / end. Every check drives a real http server with a
 * cookie jar. `MapSessionFactory` is the in-memory reference.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { CookieClient, closeServer, listen } from '../http';
import type { Check } from './core';

export interface SessionHandleLike {
  set(values: Record<string, unknown>): Promise<unknown>;
  get(key?: string): Promise<unknown>;
  del(...keys: string[]): Promise<unknown>;
  end(): Promise<unknown>;
}

export type SessionFactory = (req: IncomingMessage, res: ServerResponse) => SessionHandleLike;

/** Starts a server whose routes call the handle: /set?v=json, /get[?v=key], /del?v=a,b, /end. */
async function withApp(factory: SessionFactory, body: (http: CookieClient) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const arg = url.searchParams.get('v');
    const handle = factory(req, res);
    const work = (() => {
      switch (url.pathname) {
        case '/set':
          return handle.set(JSON.parse(arg ?? '{}') as Record<string, unknown>);
        case '/get':
          return arg === null ? handle.get() : handle.get(arg);
        case '/del':
          return handle.del(...(arg ?? '').split(','));
        case '/end':
          return handle.end();
        default:
          return Promise.resolve(null);
      }
    })();
    work.then(
      (result) => res.writeHead(200).end(JSON.stringify({ result: result ?? null })),
      (error: Error) => res.writeHead(500).end(JSON.stringify({ error: error.message })),
    );
  });
  const http = new CookieClient(await listen(server));
  try {
    await body(http);
  } finally {
    await closeServer(server);
  }
}

async function call(
  http: CookieClient,
  path: string,
  value?: unknown,
): Promise<{ status: number; result?: any; cookies: string[] }> {
  const query = value === undefined ? '' : `?v=${encodeURIComponent(typeof value === 'string' ? value : JSON.stringify(value))}`;
  const res = await http.get(path + query);
  return { status: res.status, ...res.json<{ result?: unknown }>(), cookies: res.setCookies };
}

const pick = (whole: unknown, keys: string[]) => Object.fromEntries(keys.map((k) => [k, (whole as Record<string, unknown>)[k]]));

export const standaloneContractChecks: readonly Check<SessionFactory>[] = [
  {
    name: 'without a cookie there is no session and get sets no cookie',
    run: (factory) =>
      withApp(factory, async (http) => {
        const res = await call(http, '/get');
        assert.equal(res.result, null);
        assert.equal(res.cookies.length, 0);
      }),
  },
  {
    name: 'set creates a session that later requests read back by key and whole',
    run: (factory) =>
      withApp(factory, async (http) => {
        assert.equal((await call(http, '/set', { user: 'ada', n: 1 })).status, 200);
        assert.equal((await call(http, '/get', 'user')).result, 'ada');
        assert.deepEqual(pick((await call(http, '/get')).result, ['user', 'n']), { user: 'ada', n: 1 });
      }),
  },
  {
    name: 'set writes only the named keys; other keys stay',
    run: (factory) =>
      withApp(factory, async (http) => {
        await call(http, '/set', { a: 1, b: 2 });
        await call(http, '/set', { b: 3 });
        assert.deepEqual(pick((await call(http, '/get')).result, ['a', 'b']), { a: 1, b: 3 });
      }),
  },
  {
    name: 'del removes only the named keys',
    run: (factory) =>
      withApp(factory, async (http) => {
        await call(http, '/set', { a: 1, b: 2, c: 3 });
        await call(http, '/del', 'a,b');
        const whole = (await call(http, '/get')).result as Record<string, unknown>;
        assert.equal('a' in whole || 'b' in whole, false);
        assert.equal(whole['c'], 3);
      }),
  },
  {
    name: 'end removes the session for later requests',
    run: (factory) =>
      withApp(factory, async (http) => {
        await call(http, '/set', { a: 1 });
        assert.equal((await call(http, '/end')).status, 200);
        assert.equal((await call(http, '/get')).result, null);
      }),
  },
  {
    name: 'two browsers get separate sessions',
    run: (factory) =>
      withApp(factory, async (one) => {
        const two = new CookieClient(one.baseUrl);
        await call(one, '/set', { who: 'one' });
        await call(two, '/set', { who: 'two' });
        assert.equal((await call(one, '/get', 'who')).result, 'one');
        assert.equal((await call(two, '/get', 'who')).result, 'two');
      }),
  },
  {
    name: 'concurrent requests setting different keys keep every change',
    run: (factory) =>
      withApp(factory, async (http) => {
        await call(http, '/set', { base: 0 });
        await Promise.all(['x', 'y', 'z'].map((k, i) => call(http, '/set', { [k]: i })));
        assert.deepEqual(pick((await call(http, '/get')).result, ['base', 'x', 'y', 'z']), { base: 0, x: 0, y: 1, z: 2 });
      }),
  },
  {
    name: 'setting or deleting _id is refused',
    run: (factory) =>
      withApp(factory, async (http) => {
        await call(http, '/set', { a: 1 });
        assert.equal((await call(http, '/set', { _id: 'x' })).status, 500);
        assert.equal((await call(http, '/del', '_id')).status, 500);
        assert.equal((await call(http, '/get', 'a')).result, 1);
      }),
  },
];

/** In-memory reference: unsigned cookie `ref`, Map-backed, per-key writes. */
export class MapSessionFactory {
  readonly sessions = new Map<string, Record<string, unknown>>();

  readonly create: SessionFactory = (req, res) => {
    const sessions = this.sessions;
    let id = /(?:^|;\s*)ref=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const guard = (keys: string[]) => {
      if (keys.includes('_id')) throw new Error('_id is reserved');
    };
    return {
      async set(values) {
        guard(Object.keys(values));
        if (id === undefined || !sessions.has(id)) {
          id = randomBytes(18).toString('base64url');
          res.setHeader('set-cookie', `ref=${id}; Path=/; HttpOnly`);
          sessions.set(id, {});
        }
        Object.assign(sessions.get(id)!, values);
      },
      async get(key) {
        const body = id === undefined ? undefined : sessions.get(id);
        if (!body) return key === undefined ? null : undefined;
        return key === undefined ? { ...body, _id: id } : body[key];
      },
      async del(...keys) {
        guard(keys);
        const body = id === undefined ? undefined : sessions.get(id);
        for (const key of keys) if (body) delete body[key];
      },
      async end() {
        if (id === undefined) return;
        sessions.delete(id);
        res.setHeader('set-cookie', 'ref=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT');
        id = undefined;
      },
    };
  };
}

/** Broken: `set` replaces the whole session with the given keys. */
export function withWholeBodySet(factory: SessionFactory): SessionFactory {
  return (req, res) => {
    const handle = factory(req, res);
    return {
      ...bind(handle),
      async set(values) {
        const whole = ((await handle.get()) ?? {}) as Record<string, unknown>;
        const stale = Object.keys(whole).filter((k) => !(k in values) && k !== '_id' && k !== 'createdAt');
        if (stale.length > 0) await handle.del(...stale);
        return handle.set(values);
      },
    };
  };
}

/** Broken: `end` does nothing. */
export function withIgnoredEnd(factory: SessionFactory): SessionFactory {
  return (req, res) => ({ ...bind(factory(req, res)), end: async () => undefined });
}

function bind(handle: SessionHandleLike): SessionHandleLike {
  return {
    set: (values) => handle.set(values),
    get: (...args: [string?]) => handle.get(...args),
    del: (...keys) => handle.del(...keys),
    end: () => handle.end(),
  };
}
