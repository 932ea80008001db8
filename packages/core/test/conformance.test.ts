import { SessionStore } from '@mongo-session/core';
import {
  coreContractChecks,
  failingChecks,
  MapCoreStore,
  registerChecks,
  testUri,
  uniqueDatabaseName,
  withBrokenDestroy,
  withIgnoredExpiry,
} from '@mongo-session/test-utils';

const uri = testUri(uniqueDatabaseName('core_conformance'));

describe('core store contract: @mongo-session/core', () => {
  const store = new SessionStore({ uri, collection: 'conformance' });
  afterAll(() => store.close());
  registerChecks(coreContractChecks, it, () => store);
});

describe('core store contract: the in-memory reference', () => {
  const store = new MapCoreStore();
  registerChecks(coreContractChecks, it, () => store);
});

describe('the suite catches broken stores', () => {
  it('fails a store whose destroy does nothing', async () => {
    const store = new SessionStore({ uri, collection: 'broken_destroy' });
    try {
      const failed = await failingChecks(coreContractChecks, withBrokenDestroy(store));
      expect(failed).toEqual(expect.arrayContaining(['destroy removes the session and tolerates unknown ids']));
    } finally {
      await store.close();
    }
  });

  it('fails a store that ignores expiry', async () => {
    const store = new SessionStore({ uri, collection: 'broken_expiry' });
    try {
      const failed = await failingChecks(coreContractChecks, withIgnoredExpiry(store));
      expect(failed).toEqual(
        expect.arrayContaining([
          'an expiry in the past deletes and succeeds',
          'an expired session is never returned, whatever the cleanup has done',
        ]),
      );
    } finally {
      await store.close();
    }
  });

  it('passes the reference and our store with no failures (direct run)', async () => {
    const store = new SessionStore({ uri, collection: 'direct_run' });
    try {
      expect(await failingChecks(coreContractChecks, store)).toEqual([]);
      expect(await failingChecks(coreContractChecks, new MapCoreStore())).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
