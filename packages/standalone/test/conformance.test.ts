import MongoSess from '@mongo-session/standalone';
import { failingChecks, registerChecks, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import {
  MapSessionFactory,
  standaloneContractChecks,
  withIgnoredEnd,
  withWholeBodySet,
  type SessionFactory,
} from '@mongo-session/test-utils/conformance/standalone';

const uri = testUri(uniqueDatabaseName('standalone_conformance'));
const mongoSess: SessionFactory = (req, res) => MongoSess(req, res, { keys: ['conformance-key'] });

beforeAll(() => MongoSess.connect({ uri, collection: 'conformance', autoRemove: 'interval' }));
afterAll(() => MongoSess.close());

describe('session handle contract: @mongo-session/standalone', () => {
  registerChecks(standaloneContractChecks, it, () => mongoSess);
});

describe('session handle contract: the in-memory reference', () => {
  const reference = new MapSessionFactory();
  registerChecks(standaloneContractChecks, it, () => reference.create);
});

describe('the suite catches broken handles', () => {
  it('fails a handle whose set replaces the whole session', async () => {
    const failed = await failingChecks(standaloneContractChecks, withWholeBodySet(mongoSess));
    expect(failed).toEqual(expect.arrayContaining(['set writes only the named keys; other keys stay']));
  });

  it('fails a handle whose end does nothing', async () => {
    const failed = await failingChecks(standaloneContractChecks, withIgnoredEnd(mongoSess));
    expect(failed).toEqual(['end removes the session for later requests']);
  });

  it('passes ours and the reference with no failures (direct run)', async () => {
    expect(await failingChecks(standaloneContractChecks, mongoSess)).toEqual([]);
    expect(await failingChecks(standaloneContractChecks, new MapSessionFactory().create)).toEqual([]);
  });
});
