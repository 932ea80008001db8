/** The adapter as the shared suites see it (test-utils/src/suites/adapter.ts): Koa 3 + koa-session-store (under koa-convert). */
import { createServer } from 'node:http';
import Koa from 'koa';
import convert from 'koa-convert';
import { type CreateOptions, create } from '@mongo-session/koa-session-store';
import { type AdapterDescriptor, closeServer, koaRoute, listen, objectRouteSession } from '@mongo-session/test-utils';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sessionMiddleware = require('koa-session-store') as (options?: {
  store?: unknown;
  cookie?: Record<string, unknown>;
}) => any;

export const adapter: AdapterDescriptor = {
  name: '@mongo-session/koa-session-store',
  contract: 'koa-session-store',
  makeStore: ({ lifetimeMs, ...options }) =>
    create({ ...(options as CreateOptions), ...(lifetimeMs === undefined ? {} : { expirationTime: lifetimeMs / 1000 }) }),
  async serve(store, route, { signed }) {
    const app = new Koa();
    app.keys = ['a koa signing key'];
    app.on('error', () => undefined);
    // koa-session-store is generator middleware: Koa 3 needs it converted.
    app.use(convert(sessionMiddleware({ store, cookie: { signed } })));
    app.use(
      koaRoute(route, (ctx: Koa.Context) => {
        const holder = ctx as unknown as { session: Record<string, unknown> | null };
        return objectRouteSession(holder.session!, {
          destroy: () => {
            holder.session = null;
          },
        });
      }),
    );
    const server = createServer(app.callback());
    return { baseUrl: await listen(server), close: () => closeServer(server) };
  },
  cookies: ['koa:sess', 'koa:sess.sig'],
  // The cookie holds `{"_sid": ...}` as JSON.
  sessionIdOf: (value) => (JSON.parse(decodeURIComponent(value)) as { _sid: string })._sid,
};
