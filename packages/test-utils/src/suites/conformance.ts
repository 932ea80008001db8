/**
 * The conformance suite of the adapter's contract (../conformance/<contract>.ts): against the
 * adapter's store, against the framework's own memory store or our in-memory reference (which
 * proves the checks ask nothing a correct store cannot do), and against deliberately broken
 * stores (which proves they catch what they are written for).
 */
import {
  expressSessionContractChecks,
  expressSessionGuaranteeChecks,
  expressWithBrokenDestroy,
  expressWithIgnoredExpiry,
  expressWithThrowingGet,
  expressWithWholeWrites,
} from '../conformance/express-session';
import { failingChecks, registerChecks } from '../conformance/core';
import {
  genericSessionChecks,
  genericSessionTtlChecks,
  withCopiedReads,
  withIgnoredTtl,
  withNoopDestroy,
} from '../conformance/koa-generic-session';
import { koaSessionChecks, MapKoaSessionStore, withIgnoredTouch, withWholeBodyWrites } from '../conformance/koa-session';
import { layerChecks, layerLifetimeChecks, MapSessionLayer, withNoopRemove } from '../conformance/koa-session-store';
import {
  MapSessionFactory,
  type SessionFactory,
  standaloneContractChecks,
  withIgnoredEnd,
  withWholeBodySet,
} from '../conformance/standalone';
import type { AdapterDescriptor, DescriptorOf, StoreOf } from './adapter';
import type { SuiteContext } from './context';

/** A store for the whole describe block: made before its first test, closed after its last. */
function storeFor<C extends AdapterDescriptor['contract']>(
  ctx: SuiteContext<DescriptorOf<C>>,
  collection: string,
  extra: Record<string, unknown> = {},
): { readonly current: StoreOf<C>; readonly warnings: string[] } {
  const held = { current: undefined as unknown as StoreOf<C>, warnings: [] as string[] };
  beforeAll(async () => {
    held.current = (await ctx.open(collection, extra)) as StoreOf<C>;
    held.current.on('warning', (warning: { code: string }) => held.warnings.push(warning.code));
  });
  afterAll(() => held.current?.close());
  return held;
}

/** Runs `work` with a store of its own, closed afterwards. */
async function withStore<C extends AdapterDescriptor['contract'], T>(
  ctx: SuiteContext<DescriptorOf<C>>,
  collection: string,
  work: (store: StoreOf<C>) => Promise<T>,
): Promise<T> {
  const store = (await ctx.open(collection)) as StoreOf<C>;
  store.on('warning', () => undefined);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

function expressSession(ctx: SuiteContext<DescriptorOf<'express-session'>>): void {
  const { adapter } = ctx;
  describe(`express-session contract: ${adapter.name}`, () => {
    const store = storeFor(ctx, 'contract');
    registerChecks(expressSessionContractChecks, it, () => store.current);
  });

  describe("express-session contract: express-session's MemoryStore (proves the suite)", () => {
    const memory = adapter.memoryStore();
    registerChecks(expressSessionContractChecks, it, () => memory);
  });

  describe(`our guarantees: ${adapter.name}`, () => {
    const store = storeFor(ctx, 'guarantees');
    registerChecks(expressSessionGuaranteeChecks, it, () => store.current);
    it('reports the dropped write after destroy as a warning', () => {
      expect(store.warnings).toContain('WRITE_AFTER_DESTROY');
    });
  });

  describe('the express-session suite catches broken stores', () => {
    it('MemoryStore passes the contract but not our guarantees (it writes whole sessions)', async () => {
      const failed = await failingChecks(expressSessionGuaranteeChecks, adapter.memoryStore());
      expect(failed).toEqual(expect.arrayContaining(['overlapping requests each setting their own key lose none of them']));
    });

    it('a store whose destroy does nothing fails both parts', () =>
      withStore(ctx, 'broken_destroy', async (store) => {
        const broken = expressWithBrokenDestroy(store);
        expect(await failingChecks(expressSessionContractChecks, broken)).toEqual([
          'destroy removes the session, with or without a callback',
        ]);
        expect(await failingChecks(expressSessionGuaranteeChecks, broken)).toEqual([
          'a save after a concurrent destroy does not bring the session back',
        ]);
      }));

    it('a store that ignores expiry fails both parts', () =>
      withStore(ctx, 'broken_expiry', async (store) => {
        const broken = expressWithIgnoredExpiry(store);
        expect(await failingChecks(expressSessionContractChecks, broken)).toEqual(
          expect.arrayContaining(['a session whose cookie has expired is not returned']),
        );
        expect(await failingChecks(expressSessionGuaranteeChecks, broken)).toEqual(
          expect.arrayContaining(['a cookie with maxAge and no expires sets the lifetime (as @fastify/session may send)']),
        );
      }));

    it('a store that throws instead of calling back fails our guarantees', () =>
      withStore(ctx, 'broken_throw', async (store) => {
        expect(await failingChecks(expressSessionGuaranteeChecks, expressWithThrowingGet(store))).toEqual([
          'an invalid session id reaches the callback as an error, never a throw',
        ]);
      }));

    it('a store that writes whole sessions fails our guarantees', () =>
      withStore(ctx, 'broken_whole', async (store) => {
        expect(await failingChecks(expressSessionGuaranteeChecks, expressWithWholeWrites(store))).toEqual(
          expect.arrayContaining([
            'overlapping requests each setting their own key lose none of them',
            'a key deleted by one request and untouched by another stays deleted',
            'a save after a concurrent destroy does not bring the session back',
          ]),
        );
      }));
  });
}

function koaSession(ctx: SuiteContext<DescriptorOf<'koa-session'>>): void {
  describe(`koa-session store contract: ${ctx.adapter.name}`, () => {
    const store = storeFor(ctx, 'conformance');
    registerChecks(koaSessionChecks, it, () => store.current);
  });

  describe('koa-session store contract: the in-memory reference (proves the suite)', () => {
    const reference = new MapKoaSessionStore();
    registerChecks(koaSessionChecks, it, () => reference);
  });

  describe('the koa-session suite catches broken stores', () => {
    it('fails a store that ignores touches (changed: false)', () =>
      withStore(ctx, 'broken_touch', async (store) => {
        expect(await failingChecks(koaSessionChecks, withIgnoredTouch(store))).toEqual(
          expect.arrayContaining([
            'a touch (changed: false) keeps an active session alive past maxAge and moves _expire',
            'a forced save with changed: false still stores changed data',
          ]),
        );
      }));

    it('fails a store that writes whole bodies regardless of what the request read', () =>
      withStore(ctx, 'broken_whole', async (store) => {
        expect(await failingChecks(koaSessionChecks, withWholeBodyWrites(store))).toEqual(
          expect.arrayContaining([
            'overlapping requests changing different keys lose no update',
            'a save from a request that read before a destroy does not bring the session back',
          ]),
        );
      }));

    it('passes our store and the reference with no failures (direct run)', () =>
      withStore(ctx, 'direct_run', async (store) => {
        expect(await failingChecks(koaSessionChecks, store)).toEqual([]);
        expect(await failingChecks(koaSessionChecks, new MapKoaSessionStore())).toEqual([]);
      }));
  });
}

function koaGenericSession(ctx: SuiteContext<DescriptorOf<'koa-generic-session'>>): void {
  const { adapter } = ctx;
  const store = storeFor(ctx, 'conformance');

  describe(`koa-generic-session store contract: ${adapter.name}`, () => {
    registerChecks(genericSessionChecks, it, () => store.current);
    registerChecks(genericSessionTtlChecks, it, () => store.current);
  });

  describe("koa-generic-session store contract: koa-generic-session's own MemoryStore (proves the suite)", () => {
    const memory = adapter.memoryStore();
    registerChecks(genericSessionChecks, it, () => memory);

    it('the reference ignores the ttl, so only the ttl checks fail on it', async () => {
      expect(await failingChecks(genericSessionTtlChecks, adapter.memoryStore())).toEqual([
        'a session is gone after its ttl',
        'a ttl at or below zero deletes',
        'a set on an object read before a destroy does not bring the session back',
      ]);
    });
  });

  describe('the koa-generic-session suite catches broken stores', () => {
    it('fails a store whose destroy does nothing', async () => {
      expect(await failingChecks(genericSessionChecks, withNoopDestroy(store.current))).toEqual([
        'destroy removes the session, leaves others and tolerates unknown keys',
      ]);
    });

    it('fails a store that writes whole sessions from copies (lost updates), on MongoDB and in memory', async () => {
      const lost = 'two requests reading the same session and changing different keys both keep their change';
      expect(await failingChecks(genericSessionChecks, withCopiedReads(store.current))).toContain(lost);
      expect(await failingChecks(genericSessionChecks, withCopiedReads(adapter.memoryStore()))).toContain(lost);
    });

    it('fails a store that ignores the ttl', async () => {
      expect(await failingChecks(genericSessionTtlChecks, withIgnoredTtl(store.current))).toEqual(
        expect.arrayContaining(['a session is gone after its ttl', 'a ttl at or below zero deletes']),
      );
    });
  });
}

function koaSessionStore(ctx: SuiteContext<DescriptorOf<'koa-session-store'>>): void {
  const lifetimeMs = 1500;
  const store = storeFor(ctx, 'conformance', { lifetimeMs });

  describe(`koa-session-store layer contract: ${ctx.adapter.name}`, () => {
    registerChecks(layerChecks, it, () => store.current);
    registerChecks(layerLifetimeChecks(lifetimeMs), it, () => store.current);
  });

  describe('koa-session-store layer contract: the in-memory reference (proves the suite)', () => {
    const memory = new MapSessionLayer(lifetimeMs);
    registerChecks(layerChecks, it, () => memory);
    registerChecks(layerLifetimeChecks(lifetimeMs), it, () => memory);
  });

  describe('the koa-session-store suite catches broken stores', () => {
    it('fails a store whose remove does nothing', async () => {
      expect(await failingChecks(layerChecks, withNoopRemove(store.current))).toEqual([
        'remove deletes one session only and tolerates unknown sids',
      ]);
    });

    it("fails a store whose expiry is not refreshed by use (koa-session-mongo's TTL on updatedAt)", async () => {
      expect(await failingChecks(layerLifetimeChecks(lifetimeMs), new MapSessionLayer(lifetimeMs, false))).toEqual([
        'a session loaded regularly but never changed outlives the lifetime',
      ]);
    });
  });
}

function standalone(ctx: SuiteContext<DescriptorOf<'standalone'>>): void {
  // The store is process-wide: one for the whole contract, every handle signed with one key.
  const store = storeFor(ctx, 'conformance');
  const ours: SessionFactory = (req, res) => store.current.session(req, res, { keys: ['conformance-key'] });

  describe(`session handle contract: ${ctx.adapter.name}`, () => {
    registerChecks(standaloneContractChecks, it, () => ours);
  });

  describe('session handle contract: the in-memory reference (proves the suite)', () => {
    const reference = new MapSessionFactory();
    registerChecks(standaloneContractChecks, it, () => reference.create);
  });

  describe('the session handle suite catches broken handles', () => {
    it('fails a handle whose set replaces the whole session', async () => {
      expect(await failingChecks(standaloneContractChecks, withWholeBodySet(ours))).toEqual(
        expect.arrayContaining(['set writes only the named keys; other keys stay']),
      );
    });

    it('fails a handle whose end does nothing', async () => {
      expect(await failingChecks(standaloneContractChecks, withIgnoredEnd(ours))).toEqual([
        'end removes the session for later requests',
      ]);
    });

    it('passes ours and the reference with no failures (direct run)', async () => {
      expect(await failingChecks(standaloneContractChecks, ours)).toEqual([]);
      expect(await failingChecks(standaloneContractChecks, new MapSessionFactory().create)).toEqual([]);
    });
  });
}

/** Registers the conformance suite of `ctx.adapter`'s contract. */
export function conformanceSuite(ctx: SuiteContext): void {
  const { adapter } = ctx;
  switch (adapter.contract) {
    case 'express-session':
      return expressSession(ctx as SuiteContext<typeof adapter>);
    case 'koa-session':
      return koaSession(ctx as SuiteContext<typeof adapter>);
    case 'koa-generic-session':
      return koaGenericSession(ctx as SuiteContext<typeof adapter>);
    case 'koa-session-store':
      return koaSessionStore(ctx as SuiteContext<typeof adapter>);
    case 'standalone':
      return standalone(ctx as SuiteContext<typeof adapter>);
  }
}
