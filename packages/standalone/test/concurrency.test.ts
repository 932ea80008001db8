/** Overlapping requests on one session through MongoSess on plain http (issue 9, part 3). */
import { createServer } from 'node:http';
import MongoSess from '@mongo-session/standalone';
import { closeServer, listen, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { formatCounts, runConcurrencyScenarios } from '@mongo-session/test-utils/concurrency-scenarios';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KEYS = ['a standalone secret'];
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://app');
  const s = MongoSess(req, res, { keys: KEYS });
  const run = async (): Promise<unknown> => {
    switch (url.pathname) {
      case '/set':
        return s.set(Object.fromEntries(url.searchParams));
      case '/del':
        return s.del(...url.searchParams.keys());
      case '/wait':
        // Read first, so the requests overlap between their read and their write.
        await s.get();
        await sleep(Number(url.searchParams.get('ms')));
        return s.set({ [url.searchParams.get('key')!]: true });
      case '/destroy':
        return s.end();
      default:
        return undefined;
    }
  };
  run()
    .then(() => s.get())
    .then(
      (whole) => {
        const { _id, createdAt, ...data } = (whole ?? {}) as Record<string, unknown>;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(data));
      },
      (error: { code?: string }) => res.writeHead(500).end(JSON.stringify({ error: error.code })),
    );
});

beforeAll(async () => {
  await MongoSess.connect({
    uri: testUri(uniqueDatabaseName('standalone_concurrency')),
    collection: 'overlap',
    autoRemove: 'interval',
  });
  MongoSess.store!.on('warning', () => undefined); // WRITE_AFTER_DESTROY is expected here
});

afterAll(async () => {
  await closeServer(server);
  await MongoSess.store?.clear();
  await MongoSess.close();
});

it('50 overlapping requests keep 50 keys; a deleted key stays deleted; a write racing a destroy does not resurrect', async () => {
  const counts = await runConcurrencyScenarios(await listen(server), ['sess', 'sess.sig']);
  console.log(formatCounts({ '@mongo-session/standalone': counts }));
  expect(counts).toEqual({ keptOf50: 50, deletedKeyStayedDeleted: true, slowKeysKeptOf10: 10, destroyedStayedDestroyed: true });
});
