/**
 * The lifetime policies, device records and rotation at log-in (issue #18), as a user sees them
 * over real HTTP: one set of scenarios every adapter runs against an app of its framework that
 * it starts (see {@link PolicyApp} for the routes). The process clock is moved ahead
 * (withClockAhead) to stand for hours passing.
 */
import type { Collection } from 'mongodb';
import type { CookieClient } from '../http';
import { withClockAhead } from '../clock';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** What the scenarios ask of a store; the adapter's app passes them on. */
export interface PolicyAppOptions {
  idleTimeoutMs?: number;
  absoluteTimeoutMs?: number;
  anonymousTtlMs?: number;
  maxSessionsPerOwner?: number;
  ttlMs?: number;
  /** `device` throws for a user agent starting with "throw", else returns `{ userAgent }` as it is. */
  failingDevice?: boolean;
}

interface Device {
  current: boolean;
  userAgent: unknown;
  createdAt: string;
  lastSeenAt: string;
}

/**
 * An adapter's app, with `owner: body.user` and `device: { userAgent }` (the request's User-Agent
 * header, or null), answering JSON:
 *   /visit          counts visits (anonymous or not): { visits }
 *   /me             { user, visits }
 *   /login?user=    rotates the id keeping the data (the adapter's way), then names the user
 *   /devices        the user's sessions (listByOwner): [{ current, userAgent, createdAt, lastSeenAt }]
 *   /logout-others  destroyByOwner with except = this session: { revoked }
 */
export interface PolicyApp {
  /** The store's collection, as stored. */
  docs: Collection<{ _id: string } & Record<string, unknown>>;
  /** The store's `expired` events: [session id, reason]. */
  expired: [string, string][];
  /** The store's warnings. */
  warnings: { code: string; message: string }[];
  browser(userAgent: string): {
    client: CookieClient;
    get<T = Record<string, unknown>>(path: string): Promise<T>;
    /** The session id its cookie names, as stored. */
    sid(): Promise<string>;
  };
  /** Copies one browser's session cookies into another (an attacker's). */
  plantCookies(from: CookieClient, to: CookieClient): Promise<void>;
}

export function policyScenarios(startApp: (options?: PolicyAppOptions) => Promise<PolicyApp>): void {
  describe('idleTimeoutMs', () => {
    it('keeps a session in use however long (reads alone, none changing it), and logs out after an idle gap past the limit (expired: idle)', async () => {
      const { browser, expired } = await startApp({ idleTimeoutMs: 30 * MINUTE });
      const alice = browser('Firefox');
      await alice.get('/login?user=alice');
      const id = await alice.sid();
      // A request every 20 minutes for two hours, none changing the session: still logged in.
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
      const { browser, docs } = await startApp({ anonymousTtlMs: 15 * MINUTE, ttlMs: DAY });
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
        failingDevice: true,
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
      const failed = warnings.filter((w) => w.code === 'DEVICE_FAILED');
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

  describe('rotation at log-in (keeping the data)', () => {
    it('kills the old id at once and moves the data, creation time and device to the new one (session fixation)', async () => {
      const { browser, docs, plantCookies } = await startApp();
      const victim = browser('Victim/1.0');
      const attacker = browser('Attacker/6.6');
      await victim.get('/visit');
      await victim.get('/visit');
      // The attacker knows the victim's pre-log-in cookie (planted, or read before log-in).
      const oldId = await victim.sid();
      await plantCookies(victim.client, attacker.client);
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
}
