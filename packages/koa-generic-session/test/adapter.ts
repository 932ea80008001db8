/** The adapter as the shared suites see it (test-utils/src/suites/adapter.ts): Koa 3 + koa-generic-session. */
import { createServer } from 'node:http';
import Koa from 'koa';
import session from 'koa-generic-session';
import MongoDBStore, { type MongoDBStoreOptions } from '@mongo-session/koa-generic-session';
import { type AdapterDescriptor, closeServer, koaRoute, listen, objectRouteSession } from '@mongo-session/test-utils';
import type { GenericSessionStoreLike } from '@mongo-session/test-utils/conformance/koa-generic-session';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const MemoryStore = require('koa-generic-session/lib/memory_store') as new () => GenericSessionStoreLike;

export const adapter: AdapterDescriptor = {
  name: '@mongo-session/koa-generic-session',
  contract: 'koa-generic-session',
  makeStore: (options) => new MongoDBStore(options as MongoDBStoreOptions),
  memoryStore: () => new MemoryStore(),
  async serve(store, route, { signed }) {
    const app = new Koa();
    app.keys = ['a koa signing key'];
    app.on('error', () => undefined);
    // koa-generic-session types its store narrowly (its own Session type).
    app.use(session({ store, cookie: { signed } } as unknown as Parameters<typeof session>[0]) as Koa.Middleware);
    app.use(
      koaRoute(route, (ctx: Koa.Context) =>
        objectRouteSession(ctx.session as unknown as Record<string, unknown>, {
          hidden: ['cookie'],
          destroy: () => {
            ctx.session = null;
          },
        }),
      ),
    );
    const server = createServer(app.callback());
    return { baseUrl: await listen(server), close: () => closeServer(server) };
  },
  cookies: ['koa.sid', 'koa.sid.sig'],
  // koa-generic-session calls the store with `koa:sess:<sid>`.
  storeIdOf: (sid) => `koa:sess:${sid}`,
};
