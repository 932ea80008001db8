/**
 * The hostile-input corpus (../hostile-corpus.ts) through one adapter: every row through the
 * store API as its framework calls it, and forged cookies and hostile keys over HTTP through the
 * real framework. After every case: no built-in prototype changed, the canary in no event, no
 * unhandled rejection, and a sentinel session (one written through the API, one over HTTP) still works.
 */
import { MongoClient } from 'mongodb';
import type { ExpressStoreLike } from '../conformance/express-session';
import type { GenericSessionStoreLike } from '../conformance/koa-generic-session';
import type { SessionLayerLike } from '../conformance/koa-session-store';
import type { KoaSessionStoreLike } from '../conformance/koa-session';
import {
  type AdapterUnderTest,
  type BodyCase,
  CANARY,
  CORRUPT_CASES,
  FORGED_COOKIE_VALUES,
  ID_CASES,
  afterEachCase,
  assertNoCanary,
  checkBodyCase,
  checkCorruptCase,
  checkIdCase,
  registerCorpusCases,
} from '../hostile-corpus';
import { CookieClient } from '../http';
import { type ProcessFailures, trackProcessFailures } from '../process-failures';
import type { Contract, ContractApis, RunningApp, StoreOf } from './adapter';
import type { SuiteContext } from './context';
import { sharedRoute } from './routes';

const DAY = 86_400_000;
const EVENTS = ['warning', 'error', 'create', 'update', 'touch', 'destroy'] as const;
/** The id of the session written through the store API before the cases. */
const SENTINEL = 'sentinel-api';

/** The store API as a framework calls it, in promise form, and how it answers an id the core refuses. */
type StoreApi<S> = Pick<AdapterUnderTest, 'invalidIdOnGet' | 'invalidIdOnDestroy'> & {
  get(store: S, id: unknown): Promise<unknown>;
  set(store: S, id: unknown, body: unknown): Promise<unknown>;
  destroy(store: S, id: unknown): Promise<unknown>;
};

const viaCallback = <T>(call: (cb: (error: unknown, result?: T) => void) => unknown) =>
  new Promise<T | undefined>((resolve, reject) => void call((error, result) => (error ? reject(error) : resolve(result))));

/** Per contract; standalone has no store API a framework calls (its handle is tested over HTTP). */
const STORE_APIS: { [C in Exclude<Contract, 'standalone'>]: StoreApi<ContractApis[C]> } = {
  'express-session': {
    get: (s: ExpressStoreLike, id) => viaCallback((cb) => s.get(id as string, cb)),
    set: (s: ExpressStoreLike, id, body) => viaCallback((cb) => s.set(id as string, body as never, cb)),
    destroy: (s: ExpressStoreLike, id) => viaCallback((cb) => s.destroy(id as string, cb)),
    invalidIdOnGet: 'reject',
    invalidIdOnDestroy: 'reject',
  },
  // A cookie value the store cannot take as an id reads as a new session (documented by the adapter).
  'koa-session': {
    get: (s: KoaSessionStoreLike, id) => s.get(id as string, DAY, { ctx: {}, rolling: false }),
    set: (s: KoaSessionStoreLike, id, body) =>
      s.set(id as string, body as never, DAY, { ctx: {}, changed: true, rolling: false }),
    destroy: (s: KoaSessionStoreLike, id) => s.destroy(id as string, { ctx: {} }),
    invalidIdOnGet: 'null',
    invalidIdOnDestroy: 'resolve',
  },
  // A refused id reads as no session: koa-generic-session starts a new one.
  'koa-generic-session': {
    get: async (s: GenericSessionStoreLike, id) => s.get(id as string),
    set: async (s: GenericSessionStoreLike, id, body) => s.set(id as string, body as never, DAY),
    destroy: async (s: GenericSessionStoreLike, id) => s.destroy(id as string),
    invalidIdOnGet: 'null',
    invalidIdOnDestroy: 'reject',
  },
  // The framework hands the layer JSON text (objects are turned into it here). A refused id is a
  // forged cookie's: no session, and removing it succeeds (koa-session-store then clears the cookie).
  'koa-session-store': {
    get: async (s: SessionLayerLike, id) => {
      const json = await s.load(id as string);
      return json === undefined || json === null ? undefined : (JSON.parse(json) as unknown);
    },
    set: (s: SessionLayerLike, id, body) => s.save(id as string, typeof body === 'string' ? body : JSON.stringify(body)),
    destroy: (s: SessionLayerLike, id) => s.remove(id as string),
    invalidIdOnGet: 'null',
    invalidIdOnDestroy: 'resolve',
  },
};

/** What the cases share: the store, the app, the raw collection, and what they watch. */
class Harness {
  store!: StoreOf<Contract>;
  app!: RunningApp;
  raw!: MongoClient;
  failures!: ProcessFailures;
  sentinel!: CookieClient;
  readonly events: { event: string; payload: unknown[] }[] = [];

  constructor(readonly ctx: SuiteContext) {}

  collection() {
    return this.raw.db().collection('hostile');
  }

  /** The contract's store API on the store opened before the cases, whenever it is called (undefined for standalone). */
  api(): AdapterUnderTest | undefined {
    const { contract, name } = this.ctx.adapter;
    if (contract === 'standalone') return undefined;
    const api = STORE_APIS[contract] as StoreApi<unknown>;
    return {
      name,
      get: (id) => api.get(this.store, id),
      set: async (id, body) => void (await api.set(this.store, id, body)),
      destroy: async (id) => void (await api.destroy(this.store, id)),
      invalidIdOnGet: api.invalidIdOnGet,
      invalidIdOnDestroy: api.invalidIdOnDestroy,
      insertRaw: async (document) => void (await this.collection().insertOne(document as never)),
      events: this.events,
    };
  }

  register(): void {
    beforeAll(async () => {
      this.failures = trackProcessFailures();
      this.raw = new MongoClient(this.ctx.uri);
      this.store = await this.ctx.open('hostile');
      for (const event of EVENTS) this.store.on(event, (...payload: unknown[]) => this.events.push({ event, payload }));
      await this.api()?.set?.(SENTINEL, { sentinel: 'alive' });
      this.app = await this.ctx.adapter.serve(this.store as never, sharedRoute(), { signed: false });
      this.sentinel = new CookieClient(this.app.baseUrl);
      await this.sentinel.get('/set?sentinel=http');
    });
    const harness = this;
    afterEachCase(
      { beforeEach, afterEach },
      {
        events: this.events,
        get failures() {
          return harness.failures;
        },
        stillWorking: async () => {
          const api = this.api();
          if (api) expect(await api.get(SENTINEL)).toMatchObject({ sentinel: 'alive' });
          expect((await this.sentinel.get('/get')).json()).toEqual({ sentinel: 'http' });
        },
      },
    );
    afterAll(async () => {
      this.failures?.stop();
      await this.app?.close();
      await this.store?.close();
      await this.raw?.close();
    });
  }

  /** A GET with only the given cookie, from a new client. */
  forged(cookie: string) {
    return new CookieClient(this.app.baseUrl).get('/get', { cookie: `${this.ctx.adapter.cookies[0]}=${cookie}` });
  }
}

/** The rows through the store API: the shared ones, or for koa-session-store the JSON text its layer receives. */
function storeApiCases(h: Harness): void {
  // Its methods reach the store opened before the cases when they are called.
  const adapter = h.api()!;
  if (h.ctx.adapter.contract !== 'koa-session-store') {
    describe('store API, as the framework calls it', () => registerCorpusCases(it, adapter));
    return;
  }
  describe('layer API (load / save / remove)', () => {
    // The shared rows, except that saving under a refused id resolves and stores nothing (checked below):
    // koa-session-store saves under its cookie's id, so refusing it would answer 500 to a forged cookie.
    const refusedIdRows: AdapterUnderTest = { ...adapter, set: undefined };
    for (const row of ID_CASES)
      it(`id: ${row.name}`, () => checkIdCase(row.outcome === 'invalid-id' ? refusedIdRows : adapter, row));
    LAYER_BODIES.forEach((row, i) => it(`body: ${row.name}`, () => checkBodyCase(adapter, row, `body-${i}`)));
    CORRUPT_CASES.forEach((row, i) =>
      it(`corrupted document: ${row.name}`, () => checkCorruptCase(adapter, row, `corrupt-${i}`)),
    );

    it('a refused id gets a working session of its own, stored under a digest of it, never under the value itself', async () => {
      const layer = h.store as unknown as SessionLayerLike;
      const invalid = ID_CASES.filter((row) => row.outcome === 'invalid-id');
      for (const [i, row] of invalid.entries()) {
        await layer.save(row.id as string, JSON.stringify({ n: i }));
        expect(await layer.load(row.id as string)).toBe(JSON.stringify({ n: i }));
      }
      const refused = { _id: { $regex: '^refused-id:' } } as never;
      const stored = await h.collection().find(refused).toArray();
      expect(stored.length).toBeGreaterThan(0);
      for (const doc of stored) expect(String(doc._id)).toMatch(/^refused-id:[A-Za-z0-9_-]{43}$/);
      for (const row of invalid) await layer.remove(row.id as string);
      expect(await h.collection().countDocuments(refused)).toBe(0);
    });
  });
}

const text = (name: string, json: string, outcome: BodyCase['outcome']['lossless']): BodyCase => ({
  name,
  make: () => json,
  outcome: { lossless: outcome, json: outcome },
});
const refused = { kind: 'serialization-error' } as const;
const protoJson = `{"__proto__": {"polluted": "${CANARY}"}, "constructor": {"prototype": {"polluted": 1}}}`;
const deepJson = `${'{"n":'.repeat(1000)}"${CANARY}"${'}'.repeat(1000)}`;
/** What koa-session-store can hand its layer: JSON text. */
const LAYER_BODIES: readonly BodyCase[] = [
  text('not JSON', `{"a": "${CANARY}"`, refused),
  text('empty string', '', refused),
  text('JSON null', 'null', refused),
  text('JSON array', `["${CANARY}"]`, refused),
  text('JSON string', `"${CANARY}"`, refused),
  text('JSON number', '42', refused),
  text('nested 1,000 deep', deepJson, refused),
  text('over 16 MiB', JSON.stringify({ canary: CANARY, s: 'x'.repeat(17 * 1024 * 1024) }), refused),
  text('__proto__ and constructor keys', protoJson, {
    kind: 'stored',
    expected: JSON.parse(protoJson) as Record<string, unknown>,
  }),
  text('$- and .-keys', `{"$where": "${CANARY}", "a.b": {"$ne": null}}`, {
    kind: 'stored',
    expected: { $where: CANARY, 'a.b': { $ne: null } },
  }),
  text('huge array', JSON.stringify({ list: Array.from({ length: 100_000 }, (_, i) => i) }), {
    kind: 'stored',
    expected: { list: Array.from({ length: 100_000 }, (_, i) => i) },
  }),
];

/** Forged cookies and hostile keys through the real framework. */
function httpCases(h: Harness): void {
  const { contract } = h.ctx.adapter;
  describe('over HTTP', () => {
    if (contract === 'koa-session-store') {
      // koa-session-store keeps `{"_sid": ...}` as JSON in its cookie: unsigned, a forged `_sid` of any JSON type reaches the layer.
      it('forged cookies with a _sid of any JSON type: never another session, never a crash', async () => {
        const forged = ID_CASES.filter(
          (c) => c.id !== undefined && typeof c.id !== 'bigint' && typeof c.id !== 'symbol' && typeof c.id !== 'function',
        )
          .map((c) => JSON.stringify({ _sid: c.id }))
          .filter((v) => v.length <= 4096 && !/[;\s\u0000-\u001f\u007f-\uffff]/.test(v));
        forged.push(JSON.stringify({ _sid: SENTINEL }).replace(SENTINEL, `${SENTINEL}\\u0000`), '{not json', '[]', 'null');
        for (const value of forged) {
          const res = await h.forged(value);
          // koa-session-store itself answers 500 when its cookie is not JSON or not an object; an id the store refuses is no session.
          expect(res.status).toBe(['{not json', 'null'].includes(value) ? 500 : 200);
          expect(res.text).not.toContain('alive');
          expect(res.text).not.toContain('http');
          if (res.status === 200) expect(res.json()).toEqual({});
        }
      });
    } else {
      it('forged and odd cookie values: no session and no error, every time', async () => {
        const nearMiss = `${(await h.sentinel.cookie(h.ctx.adapter.cookies[0]!))!}x`;
        const statuses: Record<number, number> = {};
        for (const value of [...FORGED_COOKIE_VALUES, 'sentinel', nearMiss]) {
          const res = await h.forged(value);
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          expect(res.status).toBe(200);
          expect(res.json()).toEqual({});
        }
        console.log(
          `${h.ctx.adapter.name}: ${FORGED_COOKIE_VALUES.length + 2} forged cookie values -> statuses ${JSON.stringify(statuses)}`,
        );
      });
    }

    it('hostile keys set over HTTP are stored as given, without pollution', async () => {
      const client = new CookieClient(h.app.baseUrl);
      const res = await client.get(`/set?__proto__=${CANARY}&constructor=x&%24where=1&a.b=2`);
      expect(res.status).toBe(200);
      const read = (await client.get('/get')).json<Record<string, unknown>>();
      // Frameworks may skip keys their session objects inherit (express-session: constructor).
      expect(read).toMatchObject({ $where: '1', 'a.b': '2' });
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
    });

    if (contract === 'standalone') standaloneHttpCases(h);
  });
}

/** MongoSess has no store API a framework calls: its bodies and corrupted documents go over HTTP. */
function standaloneHttpCases(h: Harness): void {
  it.each([
    ['__proto__ and constructor keys', protoJson, 200],
    ['$- and .-keys', `{"$where": "${CANARY}", "a.b": {"$ne": null}}`, 200],
    ['nested 1,000 deep', deepJson, 500],
    ['over 16 MiB (sent in pieces is not possible over a URL: 1 MiB here)', JSON.stringify({ s: 'x'.repeat(1024 * 1024) }), 431],
  ])('hostile JSON body: %s', async (_name, json, status) => {
    const res = await new CookieClient(h.app.baseUrl).get(`/set-json?v=${encodeURIComponent(json)}`);
    expect(res.status).toBe(status);
    if (status !== 200) assertNoCanary(res.text, 'error response');
    if (status === 500) expect(res.json()).toEqual({ error: 'MONGO_SESSION_SERIALIZATION' });
    if (status === 200) expect(res.json()).toEqual(JSON.parse(json));
  });

  it.each(CORRUPT_CASES.map((c, i) => [c.name, c, i] as const))('corrupted document: %s', async (_name, row, i) => {
    const id = `corrupt${String(i).padStart(2, '0')}-${'x'.repeat(16)}`;
    const document = Object.fromEntries(Object.entries(row.document(new Date())).filter(([, v]) => v !== undefined));
    await h.collection().insertOne({ ...document, _id: id } as never);
    const before = h.events.length;
    const res = await h.forged(id);
    expect(res.status).toBe(200);
    const corrupt = h.events
      .slice(before)
      .some((e) => e.event === 'warning' && (e.payload[0] as { code?: string }).code === 'CORRUPT_DOCUMENT');
    if (row.outcome === 'corrupt' || row.outcome === 'expired') {
      expect(res.json()).toEqual({});
      expect(corrupt).toBe(row.outcome === 'corrupt');
    } else {
      expect(res.json()).toMatchObject(JSON.parse(JSON.stringify(row.outcome.readable)) as Record<string, unknown>);
    }
    await h.collection().deleteOne({ _id: id } as never);
  });
}

/** Registers the hostile-input suite for `ctx.adapter`. */
export function hostileSuite(ctx: SuiteContext): void {
  const harness = new Harness(ctx);
  harness.register();
  if (ctx.adapter.contract !== 'standalone') storeApiCases(harness);
  httpCases(harness);
}
