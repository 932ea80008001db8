/**
 * connect-mongo's `set` event ("a session has been created OR updated"): emitted with the
 * session id after each `create` or `update` a `set()` makes, before `set()` calls back,
 * over HTTP through express 5 + express-session and as connect-mongo's own tests use it.
 */
import { createServer, type Server } from 'node:http';
import express from 'express';
import session from 'express-session';
import { MongoClient } from 'mongodb';
import { MongoStore } from '@mongo-session/express';
import { closeServer, CookieClient, listen, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import { SECRET } from './apps';

declare module 'express-session' {
  interface SessionData {
    user: string;
    visits: number;
  }
}

const database = uniqueDatabaseName('express_set_event');
let store: MongoStore;
let server: Server;
let client: CookieClient;
const events: [string, string][] = [];

/** Fails instead of hanging when the event never comes. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const makeData = () => ({ foo: 'bar', baz: { cow: 'moo', chicken: 'cluck' }, num: 1, cookie: { maxAge: 3_600_000 } });

beforeAll(async () => {
  store = new MongoStore({ uri: testUri(database), collection: 'set_event' });
  store.on('warning', () => undefined);
  // `set` first: its order next to create/update must not depend on which was listened to first.
  store.on('set', (id: string) => events.push(['set', id]));
  for (const name of ['create', 'update', 'touch', 'destroy'] as const) store.on(name, (id: string) => events.push([name, id]));

  const app = express();
  app.use(session({ secret: SECRET, store, resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.get('/login', (req, res) => {
    req.session.user = 'ada';
    res.json({ id: req.sessionID });
  });
  app.get('/visit', (req, res) => {
    req.session.visits = (req.session.visits ?? 0) + 1;
    res.json({ id: req.sessionID });
  });
  app.get('/read', (req, res) => {
    res.json({ id: req.sessionID, user: req.session.user ?? null });
  });
  app.get('/logout', (req, res) => {
    req.session.destroy(() => res.json({ ok: true }));
  });
  server = createServer(app);
  client = new CookieClient(await listen(server));
});

afterAll(async () => {
  await closeServer(server);
  await store.close();
  const raw = new MongoClient(testUri(database));
  await raw.db().dropDatabase();
  await raw.close();
});

beforeEach(() => {
  events.length = 0;
});

describe("the 'set' event over HTTP (express 5 + express-session)", () => {
  it('fires with the session id when express-session creates the session, after create and before the response', async () => {
    const { id } = (await client.get('/login')).json<{ id: string }>();
    expect(events).toEqual([
      ['create', id],
      ['set', id],
    ]);
  });

  it('fires with the session id when a request changes the session, after update', async () => {
    const { id } = (await client.get('/visit')).json<{ id: string }>();
    expect(events).toEqual([
      ['update', id],
      ['set', id],
    ]);
    events.length = 0;
    expect((await client.get('/visit')).json()).toEqual({ id });
    expect(events).toEqual([
      ['update', id],
      ['set', id],
    ]);
  });

  it('does not fire for a request that only reads the session, nor for destroy', async () => {
    const { id } = (await client.get('/read')).json<{ id: string }>();
    expect(events.filter(([name]) => name === 'set')).toEqual([]);
    await client.get('/logout');
    expect(events).toContainEqual(['destroy', id]);
    expect(events.filter(([name]) => name === 'set')).toEqual([]);
  });

  it('fires for each new session id (a forged cookie starts a new session)', async () => {
    const failures = trackProcessFailures();
    try {
      const first = (await client.get('/login')).json<{ id: string }>().id;
      await client.setCookie('connect.sid', 'forged');
      const second = (await client.get('/login')).json<{ id: string }>().id;
      expect(second).not.toBe(first);
      expect(events.filter(([name]) => name === 'set')).toEqual([
        ['set', first],
        ['set', second],
      ]);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
    }
  });
});

describe("connect-mongo's event tests", () => {
  it("'set and listen to event': set, then the listener reads the session back", async () => {
    const sid = 'test-set-event';
    const orgSession = makeData();
    const expectedSession = JSON.parse(JSON.stringify(orgSession));
    const waitForSet = new Promise<void>((resolve, reject) => {
      store.once('set', async (sessionId: string) => {
        try {
          expect(sessionId).toBe(sid);
          const session = await store.get(sid);
          expect(session).toEqual(expectedSession);
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
    await store.set(sid, orgSession);
    await within(waitForSet, 5000, "'set' event");
  });

  it("'set and listen to event' (callback form): the listener is attached right after set() is called", async () => {
    const sid = 'test-set-event-callback';
    const orgSession = makeData();
    const done = new Promise<void>((resolve, reject) => {
      store.set(sid, orgSession);
      store.on('set', function onSet(sessionId: string) {
        if (sessionId !== sid) return;
        store.off('set', onSet);
        store.get(sid, (error: unknown, session: unknown) => {
          try {
            expect(error).toBeNull();
            expect(session).toEqual(JSON.parse(JSON.stringify(orgSession)));
            resolve();
          } catch (failure) {
            reject(failure);
          }
        });
      });
    });
    await within(done, 5000, "'set' event");
  });

  it("'set' fires for an update too, and before set() calls back", async () => {
    const sid = 'test-set-event-update';
    await store.set(sid, makeData());
    events.length = 0;
    const order: string[] = [];
    const onSet = (id: string) => id === sid && order.push('set');
    store.on('set', onSet);
    try {
      await new Promise<void>((resolve, reject) =>
        store.set(sid, { ...makeData(), num: 2 }, (error) => {
          order.push('callback');
          return error ? reject(error) : resolve();
        }),
      );
    } finally {
      store.off('set', onSet);
    }
    expect(order).toEqual(['set', 'callback']);
    expect(events).toEqual([
      ['update', sid],
      ['set', sid],
    ]);
  });
});
