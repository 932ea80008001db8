import { create } from '@mongo-session/koa-session-store';
import { failingChecks, registerChecks, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  layerChecks,
  layerLifetimeChecks,
  MapSessionLayer,
  withNoopRemove,
} from '@mongo-session/test-utils/conformance/koa-session-store';

const uri = testUri(uniqueDatabaseName('koa_session_store_conformance'));
const lifetimeMs = 1500;
const store = create({ uri, collection: 'conformance', expirationTime: lifetimeMs / 1000 });
store.on('warning', () => undefined);
afterAll(() => store.close());

describe('koa-session-store layer contract: @mongo-session/koa-session-store', () => {
  registerChecks(layerChecks, it, () => store);
  registerChecks(layerLifetimeChecks(lifetimeMs), it, () => store);
});

describe('koa-session-store layer contract: the in-memory reference', () => {
  const memory = new MapSessionLayer(lifetimeMs);
  registerChecks(layerChecks, it, () => memory);
  registerChecks(layerLifetimeChecks(lifetimeMs), it, () => memory);
});

describe('the suite catches broken stores', () => {
  it('fails a store whose remove does nothing', async () => {
    expect(await failingChecks(layerChecks, withNoopRemove(store))).toEqual([
      'remove deletes one session only and tolerates unknown sids',
    ]);
  });

  it("fails a store whose expiry is not refreshed by use (koa-session-mongo's TTL on updatedAt)", async () => {
    expect(await failingChecks(layerLifetimeChecks(lifetimeMs), new MapSessionLayer(lifetimeMs, false))).toEqual([
      'a session loaded regularly but never changed outlives the lifetime',
    ]);
  });
});
