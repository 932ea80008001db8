/**
 * Lifetime policies, device records and rotation at log-in, over real HTTP through a real
 * Koa 3 + koa-session 7 app and browsers with cookie jars (CookieClient), against the test
 * server. This process's clock is moved ahead (withClockAhead) to stand for time passing.
 */
import { createServer } from 'node:http';
import Koa from 'koa';
import { createSession } from 'koa-session';
import { MongoClient } from 'mongodb';
import type { StoreWarning } from '@mongo-session/core';
import { createStore, type KoaStoreOptions, WarningCode } from '@mongo-session/koa';
import { CookieClient, closeServer, listen, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { withClockAhead } from '@mongo-session/test-utils/clock';

const database = uniqueDatabaseName('koa_policies');
const uri = testUri(database);
const raw = new MongoClient(uri);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const COOKIE = 'koa.sess';
let collections = 0;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await raw.db().dropDatabase();
  await raw.close();
});

interface Device {
  current: boolean;
  userAgent: unknown;
  createdAt: string;
  lastSeenAt: string;
}

/**
 * An app with log-in and a "your devices" page:
 *   /visit          counts visits (anonymous or not)
 *   /me             { user, visits }
 *   /login?user=    rotates the id keeping the data (store.regenerate), then names the user
 *   /devices        the user's sessions (listByOwner): user agent, createdAt, lastSeenAt
 *   /logout-others  destroyByOwner with except = this session
 */
async function startApp(options: Partial<KoaStoreOptions> = {}) {
  const store = createStore({
    uri,
    collection: `policies_${++collections}`,
    owner: (body) => body['user'] as string | undefined,
    device: (ctx) => ({ userAgent: ctx.get('user-agent') || null }),
    ...options,
  });
  const expired: [string, string][] = [];
  const warnings: StoreWarning[] = [];
  store.on('expired', (id, reason) => expired.push([id, reason]));
  store.on('warning', (warning) => warnings.push(warning));
  const app = new Koa();
  app.keys = ['a secret of at least thirty-two characters!'];
  app.silent = true;
  app.use(createSession({ store, maxAge: DAY }, app));
  app.use(async (ctx) => {
    const session = ctx.session as unknown as Record<string, unknown> & { externalKey: string };
    switch (ctx.path) {
      case '/visit':
        session['visits'] = ((session['visits'] as number | undefined) ?? 0) + 1;
        ctx.body = { visits: session['visits'] };
        return;
      case '/me':
        ctx.body = { user: session['user'] ?? null, visits: session['visits'] ?? 0 };
        return;
      case '/login':
        await store.regenerate(ctx);
        session['user'] = String(ctx.query['user']);
        ctx.body = { ok: true };
        return;
      case '/devices': {
        const sessions = await store.listByOwner(session['user'] as string);
        ctx.body = sessions.map((s) => ({
          current: s.id === session.externalKey,
          userAgent: s.device?.['userAgent'],
          createdAt: s.createdAt,
          lastSeenAt: s.lastSeenAt,
        }));
        return;
      }
      case '/logout-others':
        ctx.body = { revoked: await store.destroyByOwner(session['user'] as string, { except: session.externalKey }) };
        return;
      default:
        ctx.status = 404;
    }
  });
  const server = createServer(app.callback());
  const base = await listen(server);
  cleanups.push(async () => {
    await closeServer(server);
    await store.close();
  });
  const docs = raw.db().collection<{ _id: string } & Record<string, unknown>>(store.core.options.collection);
  const browser = (userAgent: string) => {
    const client = new CookieClient(base);
    return {
      client,
      get: async <T = Record<string, unknown>>(path: string) => {
        const response = await client.get(path, { 'user-agent': userAgent });
        expect(response.status).toBe(200);
        return response.json<T>();
      },
      sid: async () => (await client.cookie(COOKIE)) ?? '',
    };
  };
  return { store, docs, expired, warnings, browser };
}

describe('idleTimeoutMs', () => {
  it('keeps a session in use however long (reads alone), and logs out after an idle gap past the limit (expired: idle)', async () => {
    const { browser, expired } = await startApp({ idleTimeoutMs: 30 * MINUTE });
    const alice = browser('Firefox');
    await alice.get('/login?user=alice');
    const id = await alice.sid();
    // A request every 20 minutes for two hours, none changing the session (no `rolling`): still logged in.
    for (let minutes = 20; minutes <= 120; minutes += 20) {
      expect(await withClockAhead(minutes * MINUTE, () => alice.get('/me'))).toEqual({ user: 'alice', visits: 0 });
    }
    expect(expired).toEqual([]);
    // Then 31 minutes without a request.
    expect(await withClockAhead(151 * MINUTE, () => alice.get('/me'))).toEqual({ user: null, visits: 0 });
    expect(expired).toEqual([[id, 'idle']]);
  });
});

describe('absoluteTimeoutMs', () => {
  it('logs out after the limit however active the session is (expired: absolute)', async () => {
    const { browser, expired } = await startApp({ absoluteTimeoutMs: 2 * HOUR });
    const bob = browser('Safari');
    await bob.get('/login?user=bob');
    const id = await bob.sid();
    for (let minutes = 10; minutes < 120; minutes += 10) {
      expect(await withClockAhead(minutes * MINUTE, () => bob.get('/visit'))).toEqual({ visits: minutes / 10 });
    }
    expect(await withClockAhead(119 * MINUTE, () => bob.get('/me'))).toEqual({ user: 'bob', visits: 11 });
    expect(await withClockAhead(121 * MINUTE, () => bob.get('/me'))).toEqual({ user: null, visits: 0 });
    expect(expired).toEqual([[id, 'absolute']]);
  });
});

describe('anonymousTtlMs', () => {
  it('gives an anonymous visitor a shorter session than a logged-in user', async () => {
    const { browser, docs } = await startApp({ anonymousTtlMs: 15 * MINUTE });
    const visitor = browser('Chrome');
    const member = browser('Edge');
    await visitor.get('/visit');
    await member.get('/login?user=carol');
    const [anonymous, loggedIn] = await Promise.all([
      docs.findOne({ _id: await visitor.sid() }),
      docs.findOne({ _id: await member.sid() }),
    ]);
    expect((anonymous!['expires'] as Date).getTime()).toBeLessThanOrEqual(Date.now() + 15 * MINUTE);
    expect((loggedIn!['expires'] as Date).getTime()).toBeGreaterThan(Date.now() + 23 * HOUR);
    // 20 minutes later the visitor starts over; the member is still logged in.
    await withClockAhead(20 * MINUTE, async () => {
      expect(await visitor.get('/me')).toEqual({ user: null, visits: 0 });
      expect(await member.get('/me')).toEqual({ user: 'carol', visits: 0 });
    });
  });
});

describe('device records', () => {
  it('lists both browsers of a user with their user agents; logging out the others leaves only this one', async () => {
    const { browser } = await startApp();
    const laptop = browser('Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0');
    const phone = browser('Mozilla/5.0 (iPhone) Mobile Safari/605.1');
    await laptop.get('/login?user=dave');
    await withClockAhead(MINUTE, () => phone.get('/login?user=dave'));
    const devices = await withClockAhead(2 * MINUTE, () => laptop.get<Device[]>('/devices'));
    const seen = devices.map(({ current, userAgent }) => ({ current, userAgent }));
    expect(seen.sort((a, b) => Number(b.current) - Number(a.current))).toEqual([
      { current: true, userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' },
      { current: false, userAgent: 'Mozilla/5.0 (iPhone) Mobile Safari/605.1' },
    ]);
    for (const device of devices) {
      expect(Number.isNaN(Date.parse(device.lastSeenAt))).toBe(false);
      expect(Date.parse(device.lastSeenAt)).toBeGreaterThanOrEqual(Date.parse(device.createdAt));
    }

    expect(await laptop.get('/logout-others')).toEqual({ revoked: 1 });
    expect(await phone.get('/me')).toEqual({ user: null, visits: 0 });
    expect(await laptop.get('/me')).toEqual({ user: 'dave', visits: 0 });
    expect((await laptop.get<Device[]>('/devices')).map((d) => d.userAgent)).toEqual([
      'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    ]);
  });

  it('saves the session without a record when device() throws or returns one the store cannot keep (DEVICE_FAILED)', async () => {
    const { browser, warnings, docs } = await startApp({
      device: (ctx) => {
        const agent: string = ctx.get('user-agent');
        if (agent.startsWith('throw')) throw new Error(`no device for ${agent}`);
        return { userAgent: agent };
      },
    });
    const throwing = browser('throwing agent secret-token');
    const huge = browser(`Huge/${'x'.repeat(600)}`);
    expect(await throwing.get('/visit')).toEqual({ visits: 1 });
    expect(await throwing.get('/visit')).toEqual({ visits: 2 });
    expect(await huge.get('/visit')).toEqual({ visits: 1 });
    expect(await huge.get('/visit')).toEqual({ visits: 2 });
    for (const sid of [await throwing.sid(), await huge.sid()]) {
      const doc = await docs.findOne({ _id: sid });
      expect(doc).not.toBeNull();
      expect(doc!['device']).toBeUndefined();
    }
    const failed = warnings.filter((w) => w.code === WarningCode.DeviceFailed);
    expect(failed).toHaveLength(2);
    expect(JSON.stringify(failed)).not.toMatch(/secret-token|Huge|xxx/);
  });
});

describe('maxSessionsPerOwner', () => {
  it('a third log-in evicts the oldest browser (expired: evicted)', async () => {
    const { browser, expired } = await startApp({ maxSessionsPerOwner: 2 });
    const first = browser('first');
    const second = browser('second');
    const third = browser('third');
    await first.get('/login?user=erin');
    const firstId = await first.sid();
    await withClockAhead(MINUTE, () => second.get('/login?user=erin'));
    await withClockAhead(2 * MINUTE, async () => {
      await third.get('/login?user=erin');
      expect(await first.get('/me')).toEqual({ user: null, visits: 0 });
      expect(await second.get('/me')).toEqual({ user: 'erin', visits: 0 });
      expect(await third.get('/me')).toEqual({ user: 'erin', visits: 0 });
      expect((await third.get<Device[]>('/devices')).map((d) => d.userAgent).sort()).toEqual(['second', 'third']);
    });
    expect(expired).toEqual([[firstId, 'evicted']]);
  });
});

describe('rotation at log-in (store.regenerate(ctx))', () => {
  it('kills the old id at once and moves the data, creation time and device to the new one (session fixation)', async () => {
    const { browser, docs } = await startApp();
    const victim = browser('Victim/1.0');
    const attacker = browser('Attacker/6.6');
    await victim.get('/visit');
    await victim.get('/visit');
    // The attacker knows the victim's pre-log-in cookie (planted, or read before log-in).
    const oldId = await victim.sid();
    await attacker.client.setCookie(COOKIE, oldId);
    await attacker.client.setCookie(`${COOKIE}.sig`, (await victim.client.cookie(`${COOKIE}.sig`))!);
    expect(await attacker.get('/me')).toEqual({ user: null, visits: 2 });
    const created = (await docs.findOne({ _id: oldId }))!['createdAt'];

    await withClockAhead(MINUTE, () => victim.get('/login?user=frank'));
    const id = await victim.sid();
    expect(id).not.toBe(oldId);
    // The old cookie reads nothing: a fresh, anonymous session.
    expect(await attacker.get('/me')).toEqual({ user: null, visits: 0 });
    expect(await victim.get('/me')).toEqual({ user: 'frank', visits: 2 });
    const moved = await docs.findOne({ _id: id });
    expect(moved!['createdAt']).toEqual(created);
    expect(moved!['device']).toEqual({ userAgent: 'Victim/1.0' });
  });
});
