/** Overlapping requests on one session through koa-session 7 with our store (issue 9, part 3). */
import { createServer } from 'node:http';
import Koa from 'koa';
import { createSession } from 'koa-session';
import { createStore } from '@mongo-session/koa';
import { closeServer, listen, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { formatCounts, objectSessionRoute, runConcurrencyScenarios } from '@mongo-session/test-utils/concurrency-scenarios';

const store = createStore({ uri: testUri(uniqueDatabaseName('koa_concurrency')), collection: 'overlap', autoRemove: 'interval' });
store.on('warning', () => undefined); // WRITE_AFTER_DESTROY is expected here
const server = (() => {
  const app = new Koa();
  app.keys = ['a koa secret'];
  app.silent = true;
  app.use(createSession({ store }, app));
  app.use(async (ctx) => {
    const url = new URL(ctx.url, 'http://app');
    const s = ctx.session as unknown as Record<string, unknown> & { toJSON(): Record<string, unknown> };
    if ((await objectSessionRoute(url, s)) === 'destroy') {
      ctx.session = null;
      ctx.body = { destroyed: true };
      return;
    }
    ctx.body = s.toJSON();
  });
  return createServer(app.callback());
})();

afterAll(async () => {
  await closeServer(server);
  await store.core.clear();
  await store.close();
});

it('50 overlapping requests keep 50 keys; a deleted key stays deleted; a write racing a destroy does not resurrect', async () => {
  const counts = await runConcurrencyScenarios(await listen(server), ['koa.sess', 'koa.sess.sig']);
  console.log(formatCounts({ '@mongo-session/koa (koa-session)': counts }));
  expect(counts).toEqual({ keptOf50: 50, deletedKeyStayedDeleted: true, slowKeysKeptOf10: 10, destroyedStayedDestroyed: true });
});
