/** The adapter as the shared suites see it (test-utils/src/suites/adapter.ts): Koa 3 + koa-session 7. */
import { createServer } from 'node:http';
import Koa from 'koa';
import { createSession } from 'koa-session';
import { createStore, type KoaStoreOptions } from '@mongo-session/koa';
import { type AdapterDescriptor, closeServer, koaRoute, listen, objectRouteSession } from '@mongo-session/test-utils';

export const adapter: AdapterDescriptor = {
  name: '@mongo-session/koa',
  contract: 'koa-session',
  makeStore: (options) => createStore(options as KoaStoreOptions),
  async serve(store, route, { signed }) {
    const app = new Koa();
    app.keys = ['a koa signing key'];
    app.silent = true;
    // The suites see the store through the contract's type; koa-session types it a little differently.
    app.use(createSession({ store: store as never, signed }, app));
    app.use(
      koaRoute(route, (ctx: Koa.Context) => {
        const s = ctx.session as unknown as Record<string, unknown> & { toJSON(): Record<string, unknown> };
        return objectRouteSession(s, {
          read: () => s.toJSON(),
          destroy: () => {
            ctx.session = null;
          },
        });
      }),
    );
    const server = createServer(app.callback());
    return { baseUrl: await listen(server), close: () => closeServer(server) };
  },
  cookies: ['koa.sess', 'koa.sess.sig'],
};
