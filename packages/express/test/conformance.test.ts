/** The express-session Store conformance suite, against our store and express-session's own MemoryStore. */
import session from 'express-session';
import { MongoStore } from '@mongo-session/express';
import { failingChecks, registerChecks, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  type ExpressStoreLike,
  expressSessionContractChecks,
  expressSessionGuaranteeChecks,
  expressWithBrokenDestroy,
  expressWithIgnoredExpiry,
  expressWithThrowingGet,
  expressWithWholeWrites,
} from '@mongo-session/test-utils/conformance/express-session';

const uri = testUri(uniqueDatabaseName('express_conformance'));
const stores: MongoStore[] = [];
const warnings: string[] = [];
const open = (collection: string) => {
  const store = new MongoStore({ uri, collection, autoRemove: 'interval' });
  // Dropped writes after destroy are expected here (warning WRITE_AFTER_DESTROY).
  store.on('warning', (warning) => warnings.push(warning.code));
  stores.push(store);
  return store;
};
afterAll(() => Promise.all(stores.map((s) => s.close())));

const asStore = (store: unknown) => store as ExpressStoreLike;

describe('express-session contract: @mongo-session/express', () => {
  const store = open('contract');
  registerChecks(expressSessionContractChecks, it, () => asStore(store));
});

describe('express-session contract: express-session MemoryStore (proves the suite)', () => {
  const store = new session.MemoryStore();
  registerChecks(expressSessionContractChecks, it, () => asStore(store));
});

describe('our guarantees: @mongo-session/express', () => {
  const store = open('guarantees');
  registerChecks(expressSessionGuaranteeChecks, it, () => asStore(store));
  it('reports the dropped write after destroy as a warning', () => {
    expect(warnings).toContain('WRITE_AFTER_DESTROY');
  });
});

describe('the suite catches broken stores', () => {
  it('MemoryStore passes the contract but not our guarantees (it writes whole sessions)', async () => {
    const failed = await failingChecks(expressSessionGuaranteeChecks, asStore(new session.MemoryStore()));
    expect(failed).toEqual(expect.arrayContaining(['overlapping requests each setting their own key lose none of them']));
  });

  it('a store whose destroy does nothing fails both parts', async () => {
    const broken = expressWithBrokenDestroy(asStore(open('broken_destroy')));
    expect(await failingChecks(expressSessionContractChecks, broken)).toEqual([
      'destroy removes the session, with or without a callback',
    ]);
    expect(await failingChecks(expressSessionGuaranteeChecks, broken)).toEqual([
      'a save after a concurrent destroy does not bring the session back',
    ]);
  });

  it('a store that ignores expiry fails both parts', async () => {
    const broken = expressWithIgnoredExpiry(asStore(open('broken_expiry')));
    expect(await failingChecks(expressSessionContractChecks, broken)).toEqual(
      expect.arrayContaining(['a session whose cookie has expired is not returned']),
    );
    expect(await failingChecks(expressSessionGuaranteeChecks, broken)).toEqual(
      expect.arrayContaining(['a cookie with maxAge and no expires sets the lifetime (as @fastify/session may send)']),
    );
  });

  it('a store that throws instead of calling back fails our guarantees', async () => {
    const broken = expressWithThrowingGet(asStore(open('broken_throw')));
    expect(await failingChecks(expressSessionGuaranteeChecks, broken)).toEqual([
      'an invalid session id reaches the callback as an error, never a throw',
    ]);
  });

  it('a store that writes whole sessions fails our guarantees', async () => {
    const broken = expressWithWholeWrites(asStore(open('broken_whole')));
    expect(await failingChecks(expressSessionGuaranteeChecks, broken)).toEqual(
      expect.arrayContaining([
        'overlapping requests each setting their own key lose none of them',
        'a key deleted by one request and untouched by another stays deleted',
        'a save after a concurrent destroy does not bring the session back',
      ]),
    );
  });
});
