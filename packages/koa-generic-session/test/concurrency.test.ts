/** Overlapping requests on one session through koa-generic-session with our store (issue 9, part 3). */
import { createServer } from 'node:http';
import Koa from 'koa';
import session from 'koa-generic-session';
import MongoDBStore from '@mongo-session/koa-generic-session';
import { closeServer, listen, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { formatCounts, objectSessionRoute, runConcurrencyScenarios } from '@mongo-session/test-utils/concurrency-scenarios';

const store = new MongoDBStore({
  uri: testUri(uniqueDatabaseName('kgs_concurrency')),
  collection: 'overlap',
  autoRemove: 'interval',
});
store.on('warning', () => undefined); // WRITE_AFTER_DESTROY is expected here
const server = (() => {
  const app = new Koa();
  app.keys = ['a koa secret'];
  app.on('error', () => undefined);
  app.use(session({ store } as unknown as Parameters<typeof session>[0]) as Koa.Middleware);
  app.use(async (ctx) => {
    const url = new URL(ctx.url, 'http://app');
    const s = ctx.session as unknown as Record<string, unknown>;
    if ((await objectSessionRoute(url, s)) === 'destroy') {
      ctx.session = null;
      ctx.body = { destroyed: true };
      return;
    }
    const { cookie: _cookie, ...data } = s;
    ctx.body = data;
  });
  return createServer(app.callback());
})();

afterAll(async () => {
  await closeServer(server);
  await store.clear();
  await store.close();
});

it('50 overlapping requests keep 50 keys; a deleted key stays deleted; a write racing a destroy does not resurrect', async () => {
  const counts = await runConcurrencyScenarios(await listen(server), ['koa.sid', 'koa.sid.sig']);
  console.log(formatCounts({ '@mongo-session/koa-generic-session': counts }));
  expect(counts).toEqual({ keptOf50: 50, deletedKeyStayedDeleted: true, slowKeysKeptOf10: 10, destroyedStayedDestroyed: true });
});
