/**
 * The conformance suite for koa-session 7's external store contract:
 * `get(key, maxAge, { ctx, rolling })`, `set(key, sess, maxAge, { changed, ctx, rolling })`,
 * `destroy(key, { ctx })`. `maxAge` is a number of ms (koa-session adds 10 s to the
 * cookie's) or the string 'session'. koa-session itself checks the body's `_expire`,
 * so a touch (`changed: false`) must move `_expire` together with the stored expiry.
 *
 * The calls below imitate koa-session: one `ctx` object per request, `get` first.
 * Expiry checks use small maxAge values (without koa-session's +10 s) to stay fast.
 */
import { strict as assert } from 'node:assert';
import type { Check } from './core';

export interface KoaSessionStoreLike {
  get(
    key: string,
    maxAge: number | 'session',
    options: { ctx: object; rolling: boolean },
  ): Promise<Record<string, unknown> | null | undefined>;
  set(
    key: string,
    sess: Record<string, unknown>,
    maxAge: number | 'session',
    options: { changed: boolean; ctx: object; rolling: boolean },
  ): Promise<void>;
  destroy(key: string, options: { ctx: object }): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;
const newKey = (label: string) => `koa-${label}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

/** A body as koa-session saves it: the data plus `_expire` / `_maxAge`. */
const body = (data: Record<string, unknown>, maxAge: number) => ({ ...data, _expire: Date.now() + maxAge, _maxAge: maxAge });
/** One request: a fresh ctx, and `get` first, as koa-session does. */
async function request(store: KoaSessionStoreLike, key: string, maxAge: number | 'session' = 60_000) {
  const ctx = {};
  const data = await store.get(key, maxAge, { ctx, rolling: false });
  return { ctx, data: data ?? null };
}
const strip = (data: Record<string, unknown> | null) => {
  if (!data) return data;
  const { _expire, _maxAge, _session, ...rest } = data;
  return rest;
};

export const koaSessionChecks: readonly Check<KoaSessionStoreLike>[] = [
  {
    name: 'get of an unknown key resolves nothing',
    async run(store) {
      const { data } = await request(store, newKey('missing'));
      assert.equal(data, null);
    },
  },
  {
    name: 'a new session (set without a prior hit) is stored and read back whole',
    async run(store) {
      const key = newKey('new');
      const ctx = {};
      assert.equal((await store.get(key, 60_000, { ctx, rolling: false })) ?? null, null);
      const sess = body({ user: 'ada', n: 1, nested: { list: [1, 'two'] } }, 60_000);
      await store.set(key, sess, 60_000, { changed: true, ctx, rolling: false });
      assert.deepEqual((await request(store, key)).data, sess);
    },
  },
  {
    name: 'a changed save replaces values and removes deleted keys',
    async run(store) {
      const key = newKey('change');
      await store.set(key, body({ a: 1, b: 2 }, 60_000), 60_000, { changed: true, ctx: {}, rolling: false });
      const { ctx, data } = await request(store, key);
      const next = { ...strip(data), a: 5 } as Record<string, unknown>;
      delete next['b'];
      await store.set(key, body(next, 60_000), 60_000, { changed: true, ctx, rolling: false });
      assert.deepEqual(strip((await request(store, key)).data), { a: 5 });
    },
  },
  {
    name: 'destroy removes the session and tolerates unknown keys',
    async run(store) {
      const key = newKey('destroy');
      await store.set(key, body({ a: 1 }, 60_000), 60_000, { changed: true, ctx: {}, rolling: false });
      const { ctx } = await request(store, key);
      await store.destroy(key, { ctx });
      assert.equal((await request(store, key)).data, null);
      await store.destroy(newKey('never'), { ctx: {} });
    },
  },
  {
    name: 'the stored lifetime follows maxAge: the session is gone after it',
    async run(store) {
      const key = newKey('expire');
      await store.set(key, body({ a: 1 }, 300), 300, { changed: true, ctx: {}, rolling: false });
      assert.deepEqual(strip((await request(store, key)).data), { a: 1 });
      await sleep(500);
      assert.equal((await request(store, key)).data, null);
    },
  },
  {
    name: "maxAge 'session' stores the session for a bounded time (no crash, readable)",
    async run(store) {
      const key = newKey('session-cookie');
      const sess = { a: 1, _session: true };
      await store.set(key, sess, 'session', { changed: true, ctx: {}, rolling: false });
      assert.deepEqual((await request(store, key, 'session')).data, sess);
    },
  },
  {
    name: 'a touch (changed: false) keeps an active session alive past maxAge and moves _expire',
    async run(store) {
      const key = newKey('touch');
      const maxAge = 2000;
      await store.set(key, body({ a: 1 }, maxAge), maxAge, { changed: true, ctx: {}, rolling: true });
      for (let i = 0; i < 5; i++) {
        await sleep(600);
        const { ctx, data } = await request(store, key, maxAge);
        assert.ok(data, `session lost after ${(i + 1) * 600} ms of activity`);
        assert.ok((data['_expire'] as number) > Date.now(), '_expire has lapsed: koa-session would drop the session');
        await store.set(key, body(strip(data)!, maxAge), maxAge, { changed: false, ctx, rolling: true });
      }
      assert.deepEqual(strip((await request(store, key)).data), { a: 1 });
    },
  },
  {
    name: 'a forced save with changed: false still stores changed data',
    async run(store) {
      const key = newKey('forced');
      await store.set(key, body({ a: 1 }, 60_000), 60_000, { changed: true, ctx: {}, rolling: false });
      const { ctx, data } = await request(store, key);
      await store.set(key, body({ ...strip(data), b: 2 }, 60_000), 60_000, { changed: false, ctx, rolling: false });
      assert.deepEqual(strip((await request(store, key)).data), { a: 1, b: 2 });
    },
  },
  {
    name: 'overlapping requests changing different keys lose no update',
    async run(store) {
      const key = newKey('overlap');
      await store.set(key, body({ base: true }, 60_000), 60_000, { changed: true, ctx: {}, rolling: false });
      const first = await request(store, key);
      const second = await request(store, key);
      await store.set(key, body({ ...strip(first.data), x: 1 }, 60_000), 60_000, {
        changed: true,
        ctx: first.ctx,
        rolling: false,
      });
      await store.set(key, body({ ...strip(second.data), y: 2 }, 60_000), 60_000, {
        changed: true,
        ctx: second.ctx,
        rolling: false,
      });
      assert.deepEqual(strip((await request(store, key)).data), { base: true, x: 1, y: 2 });
    },
  },
  {
    name: 'a save from a request that read before a destroy does not bring the session back',
    async run(store) {
      const key = newKey('resurrect');
      await store.set(key, body({ a: 1 }, 60_000), 60_000, { changed: true, ctx: {}, rolling: false });
      const stale = await request(store, key);
      const destroyer = await request(store, key);
      await store.destroy(key, { ctx: destroyer.ctx });
      await store.set(key, body({ ...strip(stale.data), b: 2 }, 60_000), 60_000, {
        changed: true,
        ctx: stale.ctx,
        rolling: false,
      });
      assert.equal((await request(store, key)).data, null);
    },
  },
  {
    name: 'a save under a new key in the same request (regenerate) creates it and leaves the old one',
    async run(store) {
      const oldKey = newKey('regen-old');
      const newKeyValue = newKey('regen-new');
      await store.set(oldKey, body({ a: 1 }, 60_000), 60_000, { changed: true, ctx: {}, rolling: false });
      const { ctx, data } = await request(store, oldKey);
      await store.set(newKeyValue, body(strip(data)!, 60_000), 60_000, { changed: false, ctx, rolling: false });
      assert.deepEqual(strip((await request(store, newKeyValue)).data), { a: 1 });
      assert.deepEqual(strip((await request(store, oldKey)).data), { a: 1 });
    },
  },
];

/**
 * A reference implementation in memory: whole bodies in a Map, plus what each
 * request read, so a save writes only the top-level keys it changed.
 */
export class MapKoaSessionStore implements KoaSessionStoreLike {
  readonly #data = new Map<string, { body: Record<string, unknown>; expires: number }>();
  readonly #read = new WeakMap<object, { key: string; json: Record<string, string> }>();
  constructor(private readonly sessionTtlMs = 86_400_000) {}

  async get(key: string, _maxAge: number | 'session', { ctx }: { ctx: object }) {
    const entry = this.#data.get(key);
    if (!entry || entry.expires <= Date.now()) return null;
    const json: Record<string, string> = {};
    for (const [k, v] of Object.entries(entry.body)) json[k] = JSON.stringify(v);
    this.#read.set(ctx, { key, json });
    return JSON.parse(JSON.stringify(entry.body)) as Record<string, unknown>;
  }

  async set(key: string, sess: Record<string, unknown>, maxAge: number | 'session', { ctx }: { ctx: object }) {
    const expires = Date.now() + (maxAge === 'session' ? this.sessionTtlMs : maxAge);
    const read = this.#read.get(ctx);
    const copy = JSON.parse(JSON.stringify(sess)) as Record<string, unknown>;
    if (!read || read.key !== key) {
      this.#data.set(key, { body: copy, expires });
      return;
    }
    const entry = this.#data.get(key);
    if (!entry) return; // destroyed since it was read: never resurrect
    for (const [k, v] of Object.entries(copy)) if (read.json[k] !== JSON.stringify(v)) entry.body[k] = v;
    for (const k of Object.keys(read.json)) if (!(k in copy)) delete entry.body[k];
    entry.expires = expires;
  }

  async destroy(key: string) {
    this.#data.delete(key);
  }
}

/** Broken on purpose: saves with `changed: false` are dropped (rolling never extends anything). */
export function withIgnoredTouch(store: KoaSessionStoreLike): KoaSessionStoreLike {
  return {
    get: (k, m, o) => store.get(k, m, o),
    set: (k, s, m, o) => (o.changed ? store.set(k, s, m, o) : Promise.resolve()),
    destroy: (k, o) => store.destroy(k, o),
  };
}

/** Broken on purpose: every save writes the whole body as if no request had read it. */
export function withWholeBodyWrites(store: KoaSessionStoreLike): KoaSessionStoreLike {
  return {
    get: (k, m, o) => store.get(k, m, o),
    set: (k, s, m, o) => store.set(k, s, m, { ...o, ctx: {} }),
    destroy: (k, o) => store.destroy(k, o),
  };
}
