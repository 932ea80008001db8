/**
 * Conformance suite for koa-session-store 2.x's storage layer contract:
 * `load(sid)` resolves the JSON string saved (or nothing), `save(sid, json)`,
 * `remove(sid)`; all yieldable by co (we require promises). The store's own
 * lifetime applies (koa-session-store never passes one) and must be refreshed
 * by use: `layerLifetimeChecks(lifetimeMs)` expect a store made with that lifetime.
 */
import { strict as assert } from 'node:assert';
import type { Check } from './core';

export interface SessionLayerLike {
  load(sid: string): Promise<string | undefined | null>;
  save(sid: string, json: string): Promise<unknown>;
  remove(sid: string): Promise<unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;
const newSid = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

async function loadObject(store: SessionLayerLike, sid: string): Promise<unknown> {
  const promise = store.load(sid);
  assert.equal(typeof promise?.then, 'function', 'load must return a promise');
  const json = await promise;
  if (json === undefined || json === null) return undefined;
  assert.equal(typeof json, 'string', 'load must resolve a JSON string');
  return JSON.parse(json);
}

export const layerChecks: readonly Check<SessionLayerLike>[] = [
  {
    name: 'load of an unknown sid resolves nothing',
    async run(store) {
      assert.equal(await loadObject(store, newSid('missing')), undefined);
    },
  },
  {
    name: 'save then load gives back the same JSON data',
    async run(store) {
      const sid = newSid('roundtrip');
      const data = { views: 3, user: { name: 'ada', roles: ['a', 'b'] }, flag: false, none: null };
      await store.save(sid, JSON.stringify(data));
      assert.deepEqual(await loadObject(store, sid), data);
    },
  },
  {
    name: 'keys with dots, dollars and nested arrays round-trip',
    async run(store) {
      const sid = newSid('keys');
      const data = { 'a.b': 1, $where: 'x', grid: [[1, 2], [3]], text: 'zero\u0000byte' };
      await store.save(sid, JSON.stringify(data));
      assert.deepEqual(await loadObject(store, sid), data);
    },
  },
  {
    name: 'a second save replaces the data (removed keys stay removed)',
    async run(store) {
      const sid = newSid('replace');
      await store.save(sid, JSON.stringify({ a: 1, b: 2 }));
      await store.save(sid, JSON.stringify({ a: 5 }));
      assert.deepEqual(await loadObject(store, sid), { a: 5 });
    },
  },
  {
    name: 'remove deletes one session only and tolerates unknown sids',
    async run(store) {
      const [keep, drop] = [newSid('keep'), newSid('drop')];
      await store.save(keep, JSON.stringify({ k: 1 }));
      await store.save(drop, JSON.stringify({ d: 1 }));
      await store.remove(drop);
      assert.equal(await loadObject(store, drop), undefined);
      assert.deepEqual(await loadObject(store, keep), { k: 1 });
      await store.remove(newSid('never-saved'));
    },
  },
];

export function layerLifetimeChecks(lifetimeMs: number): readonly Check<SessionLayerLike>[] {
  return [
    {
      name: 'an unused session is gone after the lifetime',
      async run(store) {
        const sid = newSid('expire');
        await store.save(sid, JSON.stringify({ a: 1 }));
        await sleep(lifetimeMs + 1000);
        assert.equal(await loadObject(store, sid), undefined);
      },
    },
    {
      name: 'a session loaded regularly but never changed outlives the lifetime',
      async run(store) {
        const sid = newSid('active');
        await store.save(sid, JSON.stringify({ a: 1 }));
        const until = Date.now() + lifetimeMs * 2 + 500;
        while (Date.now() < until) {
          await sleep(lifetimeMs / 4);
          assert.deepEqual(await loadObject(store, sid), { a: 1 });
        }
      },
    },
  ];
}

/** The in-memory reference layer; `refreshOnLoad: false` reproduces koa-session-mongo's TTL-on-updatedAt bug. */
export class MapSessionLayer implements SessionLayerLike {
  readonly #data = new Map<string, { json: string; expires: number }>();
  constructor(
    private readonly lifetimeMs = 60_000,
    private readonly refreshOnLoad = true,
  ) {}

  async load(sid: string) {
    const entry = this.#data.get(sid);
    if (!entry || entry.expires <= Date.now()) return undefined;
    if (this.refreshOnLoad) entry.expires = Date.now() + this.lifetimeMs;
    return entry.json;
  }
  async save(sid: string, json: string) {
    this.#data.set(sid, { json, expires: Date.now() + this.lifetimeMs });
  }
  async remove(sid: string) {
    this.#data.delete(sid);
  }
}

/** Broken on purpose: remove does nothing. */
export function withNoopRemove(store: SessionLayerLike): SessionLayerLike {
  return { load: (s) => store.load(s), save: (s, j) => store.save(s, j), remove: async () => undefined };
}
