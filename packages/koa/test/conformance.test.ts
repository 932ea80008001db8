import { createStore } from '@mongo-session/koa';
import { failingChecks, registerChecks, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  koaSessionChecks,
  MapKoaSessionStore,
  withIgnoredTouch,
  withWholeBodyWrites,
} from '@mongo-session/test-utils/conformance/koa-session';

const uri = testUri(uniqueDatabaseName('koa_conformance'));

describe('koa-session store contract: @mongo-session/koa', () => {
  const store = createStore({ uri, collection: 'conformance' });
  afterAll(() => store.close());
  registerChecks(koaSessionChecks, it, () => store);
});

describe('koa-session store contract: the in-memory reference', () => {
  const store = new MapKoaSessionStore();
  registerChecks(koaSessionChecks, it, () => store);
});

describe('the koa-session suite catches broken stores', () => {
  it('fails a store that ignores touches (changed: false)', async () => {
    const store = createStore({ uri, collection: 'broken_touch' });
    try {
      const failed = await failingChecks(koaSessionChecks, withIgnoredTouch(store));
      expect(failed).toEqual(
        expect.arrayContaining([
          'a touch (changed: false) keeps an active session alive past maxAge and moves _expire',
          'a forced save with changed: false still stores changed data',
        ]),
      );
    } finally {
      await store.close();
    }
  });

  it('fails a store that writes whole bodies regardless of what the request read', async () => {
    const store = createStore({ uri, collection: 'broken_whole' });
    try {
      const failed = await failingChecks(koaSessionChecks, withWholeBodyWrites(store));
      expect(failed).toEqual(
        expect.arrayContaining([
          'overlapping requests changing different keys lose no update',
          'a save from a request that read before a destroy does not bring the session back',
        ]),
      );
    } finally {
      await store.close();
    }
  });

  it('passes our store and the reference with no failures (direct run)', async () => {
    const store = createStore({ uri, collection: 'direct_run' });
    try {
      expect(await failingChecks(koaSessionChecks, store)).toEqual([]);
      expect(await failingChecks(koaSessionChecks, new MapKoaSessionStore())).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
