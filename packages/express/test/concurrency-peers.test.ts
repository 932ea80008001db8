/**
 * Overlapping requests on one session (issue 9, part 3) through express 5 and
 * express-session: ours, and beside it connect-mongo 6 and
 * connect-mongodb-session 5 on the same server. Only ours is asserted; the
 * peers' counts are printed for comparison.
 */
import session from 'express-session';
import type { MongoClient } from 'mongodb';
import { MongoStore } from '@mongo-session/express';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { type ConcurrencyCounts, formatCounts, runConcurrencyScenarios } from '@mongo-session/test-utils/concurrency-scenarios';
import { type RunningApp, startApp } from './apps';

// connect-mongo 6.0.0's ESM entry is missing from its tarball: load it with require.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ConnectMongo = require('connect-mongo').MongoStore as {
  create(options: Record<string, unknown>): session.Store & { close(): Promise<void> };
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connectMongoDBSession = require('connect-mongodb-session') as (
  s: typeof session,
) => new (
  options: Record<string, unknown>,
) => session.Store & { client: MongoClient };

const database = uniqueDatabaseName('express_concurrency_peers');
const uri = testUri(database);
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

async function scenarios(store: session.Store): Promise<ConcurrencyCounts> {
  const app: RunningApp = await startApp('express5', { store, cookie: { maxAge: 3_600_000 } });
  cleanups.push(() => app.close());
  return runConcurrencyScenarios(app.baseUrl, ['connect.sid']);
}

it('ours keeps all 50 keys, keeps a deleted key deleted and a destroyed session destroyed; peers printed beside', async () => {
  const ours = new MongoStore({ uri, collection: 'ours', autoRemove: 'interval' });
  ours.on('warning', () => undefined); // WRITE_AFTER_DESTROY is expected here
  cleanups.push(() => ours.close());

  // On FerretDB, connect-mongo's TTL index creation is an unhandled rejection unless autoRemove is disabled.
  const connectMongo = ConnectMongo.create({ mongoUrl: uri, collectionName: 'connect_mongo', autoRemove: 'disabled' });
  cleanups.push(() => connectMongo.close());
  const Cmds = connectMongoDBSession(session);
  const cmds = new Cmds({ uri, collection: 'connect_mongodb_session' });
  cmds.on('error', () => undefined); // without a listener it throws
  cleanups.push(() => cmds.client.close());

  const counts: Record<string, ConcurrencyCounts> = {
    '@mongo-session/express': await scenarios(ours),
    'connect-mongo 6.0.0': await scenarios(connectMongo),
    'connect-mongodb-session 5.0.0': await scenarios(cmds),
  };
  console.log(formatCounts(counts));

  expect(counts['@mongo-session/express']).toEqual({
    keptOf50: 50,
    deletedKeyStayedDeleted: true,
    slowKeysKeptOf10: 10,
    destroyedStayedDestroyed: true,
  });
});
