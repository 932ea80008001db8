/**
 * The conformance suite for the core store contract. Each check is plain
 * data (a name and an async function that throws on failure), so the same
 * list can be registered as Jest tests for a real store and also run directly
 * against deliberately broken stores to prove that it catches them.
 */
import { strict as assert } from 'node:assert';

/** What the suite needs of a store: the core's promise API. */
export interface CoreStoreLike {
  get(id: string): Promise<Record<string, unknown> | null>;
  set(id: string, session: Record<string, unknown>, options?: { expires?: Date; ttlMs?: number }): Promise<void>;
  touch(id: string, options?: { expires?: Date; ttlMs?: number }): Promise<void>;
  destroy(id: string): Promise<void>;
  all(): Promise<{ id: string; session: Record<string, unknown>; expires: Date }[]>;
  length(): Promise<number>;
  clear(): Promise<void>;
}

export interface Check<S> {
  readonly name: string;
  run(store: S): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let counter = 0;
const newId = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export const coreContractChecks: readonly Check<CoreStoreLike>[] = [
  {
    name: 'get of an unknown id resolves null',
    async run(store) {
      assert.equal(await store.get(newId('missing')), null);
    },
  },
  {
    name: 'set then get returns an equal body',
    async run(store) {
      const id = newId('roundtrip');
      const body = { user: 'ada', visits: 3, nested: { list: [1, 'two', { three: true }] }, nothing: null };
      await store.set(id, body);
      assert.deepEqual(await store.get(id), body);
    },
  },
  {
    name: 'a second set replaces the body (removed keys stay removed)',
    async run(store) {
      const id = newId('replace');
      await store.set(id, { a: 1, b: 2 });
      await store.set(id, { a: 5 });
      assert.deepEqual(await store.get(id), { a: 5 });
    },
  },
  {
    name: 'destroy removes the session and tolerates unknown ids',
    async run(store) {
      const id = newId('destroy');
      await store.set(id, { a: 1 });
      await store.destroy(id);
      assert.equal(await store.get(id), null);
      await store.destroy(newId('never-stored'));
    },
  },
  {
    name: 'destroy leaves other sessions alone',
    async run(store) {
      const keep = newId('keep');
      const drop = newId('drop');
      await store.set(keep, { k: 1 });
      await store.set(drop, { d: 1 });
      await store.destroy(drop);
      assert.deepEqual(await store.get(keep), { k: 1 });
    },
  },
  {
    name: 'an expiry in the past deletes and succeeds',
    async run(store) {
      const id = newId('past');
      await store.set(id, { a: 1 });
      await store.set(id, { a: 2 }, { expires: new Date(Date.now() - 1000) });
      assert.equal(await store.get(id), null);
    },
  },
  {
    name: 'an expired session is never returned, whatever the cleanup has done',
    async run(store) {
      const id = newId('expire');
      await store.set(id, { a: 1 }, { ttlMs: 300 });
      assert.deepEqual(await store.get(id), { a: 1 });
      await sleep(450);
      assert.equal(await store.get(id), null);
    },
  },
  {
    name: 'touch extends the expiry',
    async run(store) {
      const id = newId('touch');
      await store.set(id, { a: 1 }, { ttlMs: 400 });
      await store.touch(id, { ttlMs: 60_000 });
      await sleep(550);
      assert.deepEqual(await store.get(id), { a: 1 });
    },
  },
  {
    name: 'touch with an expiry in the past deletes',
    async run(store) {
      const id = newId('touch-past');
      await store.set(id, { a: 1 });
      await store.touch(id, { expires: new Date(Date.now() - 1) });
      assert.equal(await store.get(id), null);
    },
  },
  {
    name: 'all and length list live sessions only; clear empties the store',
    async run(store) {
      await store.clear();
      const live = [newId('all'), newId('all')];
      for (const id of live) await store.set(id, { id });
      await store.set(newId('all-expiring'), { gone: true }, { ttlMs: 150 });
      await sleep(250);
      const all = await store.all();
      assert.deepEqual(all.map((s) => s.id).sort(), [...live].sort());
      for (const entry of all) {
        assert.deepEqual(entry.session, { id: entry.id });
        assert.ok(entry.expires instanceof Date && entry.expires.getTime() > Date.now());
      }
      assert.equal(await store.length(), 2);
      await store.clear();
      assert.equal(await store.length(), 0);
      assert.deepEqual(await store.all(), []);
    },
  },
];

/**
 * Registers the checks as tests. `makeStore` is called once per suite;
 * `test` is the runner's test function (Jest's `it`), keyv-style.
 */
export function registerChecks<S>(
  checks: readonly Check<S>[],
  test: (name: string, fn: () => Promise<void>) => void,
  getStore: () => S,
): void {
  for (const check of checks) test(check.name, () => check.run(getStore()));
}

/** Runs checks directly and returns the names of those that failed (for proving the suite). */
export async function failingChecks<S>(checks: readonly Check<S>[], store: S): Promise<string[]> {
  const failed: string[] = [];
  for (const check of checks) {
    try {
      await check.run(store);
    } catch {
      failed.push(check.name);
    }
  }
  return failed;
}

/** A reference implementation in memory, to prove the suite accepts a correct store. */
export class MapCoreStore implements CoreStoreLike {
  readonly #data = new Map<string, { json: string; expires: number }>();
  constructor(private readonly ttlMs = 60_000) {}

  #expiry(options?: { expires?: Date; ttlMs?: number }): number {
    return options?.expires?.getTime() ?? Date.now() + (options?.ttlMs ?? this.ttlMs);
  }

  async get(id: string) {
    const entry = this.#data.get(id);
    return entry && entry.expires > Date.now() ? (JSON.parse(entry.json) as Record<string, unknown>) : null;
  }
  async set(id: string, session: Record<string, unknown>, options?: { expires?: Date; ttlMs?: number }) {
    const expires = this.#expiry(options);
    if (expires <= Date.now()) this.#data.delete(id);
    else this.#data.set(id, { json: JSON.stringify(session), expires });
  }
  async touch(id: string, options?: { expires?: Date; ttlMs?: number }) {
    const entry = this.#data.get(id);
    const expires = this.#expiry(options);
    if (expires <= Date.now()) this.#data.delete(id);
    else if (entry) entry.expires = expires;
  }
  async destroy(id: string) {
    this.#data.delete(id);
  }
  async all() {
    const now = Date.now();
    return [...this.#data]
      .filter(([, e]) => e.expires > now)
      .map(([id, e]) => ({ id, session: JSON.parse(e.json) as Record<string, unknown>, expires: new Date(e.expires) }));
  }
  async length() {
    return (await this.all()).length;
  }
  async clear() {
    this.#data.clear();
  }
}

/** Broken on purpose: destroy does nothing. */
export function withBrokenDestroy<S extends CoreStoreLike>(store: S): CoreStoreLike {
  return delegate(store, { destroy: async () => undefined });
}

/** Broken on purpose: expiry is ignored (every write lives for a day). */
export function withIgnoredExpiry<S extends CoreStoreLike>(store: S): CoreStoreLike {
  const day = { ttlMs: 86_400_000 };
  return delegate(store, {
    set: (id, session) => store.set(id, session, day),
    touch: (id) => store.touch(id, day),
  });
}

function delegate(store: CoreStoreLike, overrides: Partial<CoreStoreLike>): CoreStoreLike {
  return {
    get: (id) => store.get(id),
    set: (id, s, o) => store.set(id, s, o),
    touch: (id, o) => store.touch(id, o),
    destroy: (id) => store.destroy(id),
    all: () => store.all(),
    length: () => store.length(),
    clear: () => store.clear(),
    ...overrides,
  };
}
