/**
 * Conformance suite for the koa-generic-session 2.x store contract: what
 * koa-generic-session's own Store wrapper calls — `get(key)`, `set(key, sess,
 * ttlMs)`, `destroy(key)` — returning values or promises (never generators).
 * `genericSessionChecks` hold for koa-generic-session's own MemoryStore, which
 * proves the suite; `genericSessionTtlChecks` are for stores that honour the
 * ttl (MemoryStore ignores it).
 */
import { strict as assert } from 'node:assert';
import type { Check } from './core';

export interface GenericSessionStoreLike {
  get(key: string): unknown;
  set(key: string, sess: Record<string, any>, ttlMs?: number): unknown;
  destroy(key: string): unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;
const newKey = (label: string) => `koa:sess:${label}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
const cookie = () => ({ httpOnly: true, path: '/', overwrite: true, signed: true, maxAge: 86_400_000 });

/** Calls a store method the way koa-generic-session does (`yield`/`await`), refusing generator objects. */
async function call<T = any>(result: unknown): Promise<T> {
  const r = result as { next?: unknown; [Symbol.iterator]?: unknown } | null;
  assert.ok(
    !(r && typeof r.next === 'function' && typeof r[Symbol.iterator] === 'function'),
    'store methods must not return generators',
  );
  return (await result) as T;
}
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

export const genericSessionChecks: readonly Check<GenericSessionStoreLike>[] = [
  {
    name: 'get of an unknown key resolves to nothing',
    async run(store) {
      assert.ok(!(await call(store.get(newKey('missing')))));
    },
  },
  {
    name: 'set then get returns the session, cookie included',
    async run(store) {
      const key = newKey('roundtrip');
      const sess = { cookie: cookie(), user: 'ada', views: 3, nested: { list: [1, 'two'] } };
      await call(store.set(key, sess, 86_400_000));
      assert.deepEqual(plain(await call(store.get(key))), plain(sess));
    },
  },
  {
    name: 'a new object set under the same key replaces the session',
    async run(store) {
      const key = newKey('replace');
      await call(store.set(key, { cookie: cookie(), a: 1, b: 2 }, 60_000));
      await call(store.set(key, { cookie: cookie(), a: 5 }, 60_000));
      assert.deepEqual(plain(await call(store.get(key))), { cookie: cookie(), a: 5 });
    },
  },
  {
    name: 'changes made to the object get returned are saved by set (added, changed and deleted keys)',
    async run(store) {
      const key = newKey('modify');
      await call(store.set(key, { cookie: cookie(), keep: 1, change: 1, drop: 1 }, 60_000));
      const sess = await call(store.get(key));
      sess.change = 2;
      sess.added = true;
      delete sess.drop;
      await call(store.set(key, sess, 60_000));
      assert.deepEqual(plain(await call(store.get(key))), { cookie: cookie(), keep: 1, change: 2, added: true });
    },
  },
  {
    name: 'two requests reading the same session and changing different keys both keep their change',
    async run(store) {
      const key = newKey('concurrent');
      await call(store.set(key, { cookie: cookie(), base: true }, 60_000));
      const [first, second] = [await call(store.get(key)), await call(store.get(key))];
      first.a = 1;
      second.b = 2;
      await Promise.all([call(store.set(key, first, 60_000)), call(store.set(key, second, 60_000))]);
      assert.deepEqual(plain(await call(store.get(key))), { cookie: cookie(), base: true, a: 1, b: 2 });
    },
  },
  {
    name: 'destroy removes the session, leaves others and tolerates unknown keys',
    async run(store) {
      const [keep, drop] = [newKey('keep'), newKey('drop')];
      await call(store.set(keep, { cookie: cookie(), k: 1 }, 60_000));
      await call(store.set(drop, { cookie: cookie(), d: 1 }, 60_000));
      await call(store.destroy(drop));
      assert.ok(!(await call(store.get(drop))));
      assert.deepEqual(plain(await call(store.get(keep))), { cookie: cookie(), k: 1 });
      await call(store.destroy(newKey('never-stored')));
    },
  },
];

export const genericSessionTtlChecks: readonly Check<GenericSessionStoreLike>[] = [
  {
    name: 'a session is gone after its ttl',
    async run(store) {
      const key = newKey('ttl');
      await call(store.set(key, { cookie: cookie(), a: 1 }, 400));
      assert.ok(await call(store.get(key)));
      await sleep(1000);
      assert.ok(!(await call(store.get(key))));
    },
  },
  {
    name: 'a ttl at or below zero deletes',
    async run(store) {
      const key = newKey('ttl-zero');
      await call(store.set(key, { cookie: cookie(), a: 1 }, 60_000));
      await call(store.set(key, { cookie: cookie(), a: 2 }, 0));
      assert.ok(!(await call(store.get(key))));
      await call(store.set(key, { cookie: cookie(), a: 3 }, -5));
      assert.ok(!(await call(store.get(key))));
    },
  },
  {
    name: 'a set on an object read before a destroy does not bring the session back',
    async run(store) {
      const key = newKey('resurrect');
      await call(store.set(key, { cookie: cookie(), a: 1 }, 60_000));
      const sess = await call(store.get(key));
      await call(store.destroy(key));
      sess.a = 2;
      await call(store.set(key, sess, 60_000));
      assert.ok(!(await call(store.get(key))));
    },
  },
];

/** Broken on purpose: destroy does nothing. */
export function withNoopDestroy(store: GenericSessionStoreLike): GenericSessionStoreLike {
  return { get: (k) => store.get(k), set: (k, s, t) => store.set(k, s, t), destroy: async () => undefined };
}

/** Broken on purpose: get hands out copies, so every set writes the whole session (last writer wins). */
export function withCopiedReads(store: GenericSessionStoreLike): GenericSessionStoreLike {
  return {
    get: async (k) => {
      // Read in a context of its own (after an await), so an adapter cannot carry what was
      // read to the write through the caller's async context either.
      await null;
      const sess = await store.get(k);
      return sess ? structuredClone(sess) : sess;
    },
    set: (k, s, t) => store.set(k, s, t),
    destroy: (k) => store.destroy(k),
  };
}

/** Broken on purpose: the ttl is ignored (every session lives a day). */
export function withIgnoredTtl(store: GenericSessionStoreLike): GenericSessionStoreLike {
  return { get: (k) => store.get(k), set: (k, s) => store.set(k, s, 86_400_000), destroy: (k) => store.destroy(k) };
}
