import MongoDBStore from '@mongo-session/koa-generic-session';
import { failingChecks, registerChecks, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  genericSessionChecks,
  genericSessionTtlChecks,
  withCopiedReads,
  withIgnoredTtl,
  withNoopDestroy,
  type GenericSessionStoreLike,
} from '@mongo-session/test-utils/conformance/koa-generic-session';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const MemoryStore = require('koa-generic-session/lib/memory_store') as new () => GenericSessionStoreLike;

const uri = testUri(uniqueDatabaseName('koa_generic_session_conformance'));
const store = new MongoDBStore({ uri, collection: 'conformance' });
store.on('warning', () => undefined);
afterAll(() => store.close());

describe('koa-generic-session store contract: @mongo-session/koa-generic-session', () => {
  registerChecks(genericSessionChecks, it, () => store);
  registerChecks(genericSessionTtlChecks, it, () => store);
});

describe("koa-generic-session store contract: koa-generic-session's own MemoryStore (the reference)", () => {
  const memory = new MemoryStore();
  registerChecks(genericSessionChecks, it, () => memory);

  it('the reference ignores the ttl, so only the ttl checks fail on it', async () => {
    expect(await failingChecks(genericSessionTtlChecks, new MemoryStore())).toEqual([
      'a session is gone after its ttl',
      'a ttl at or below zero deletes',
      'a set on an object read before a destroy does not bring the session back',
    ]);
  });
});

describe('the suite catches broken stores', () => {
  it('fails a store whose destroy does nothing', async () => {
    expect(await failingChecks(genericSessionChecks, withNoopDestroy(store))).toEqual([
      'destroy removes the session, leaves others and tolerates unknown keys',
    ]);
  });

  it('fails a store that writes whole sessions from copies (lost updates), on MongoDB and in memory', async () => {
    const lost = 'two requests reading the same session and changing different keys both keep their change';
    expect(await failingChecks(genericSessionChecks, withCopiedReads(store))).toContain(lost);
    expect(await failingChecks(genericSessionChecks, withCopiedReads(new MemoryStore()))).toContain(lost);
  });

  it('fails a store that ignores the ttl', async () => {
    expect(await failingChecks(genericSessionTtlChecks, withIgnoredTtl(store))).toEqual(
      expect.arrayContaining(['a session is gone after its ttl', 'a ttl at or below zero deletes']),
    );
  });
});
