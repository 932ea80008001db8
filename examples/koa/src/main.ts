/**
 * The three Koa session middlewares side by side in one process, each with its
 * MongoDB store, mounted under its own path on one http server:
 *
 *   /koa-session/       koa-session 7           + @mongo-session/koa
 *   /generic-session/   koa-generic-session 2   + @mongo-session/koa-generic-session
 *   /session-store/     koa-session-store 2     + @mongo-session/koa-session-store (wrapped with koa-convert)
 *
 * Each counts your views at its `/` and forgets you at its `/logout`.
 * Server: MONGODB_URI when set, else the test server resolver (mongodb-memory-server,
 * else an embedded FerretDB built with Go), which is stopped again on SIGINT / SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import Koa from 'koa';
import koaSession from 'koa-session';
import { createStore } from '@mongo-session/koa';
import MongoDBStore from '@mongo-session/koa-generic-session';
import { closeConnections, create as createSessionStoreLayer } from '@mongo-session/koa-session-store';
import { exampleServer, serveExample, startExample } from '@mongo-session/test-utils/example-host';

// These three ship no types of their own: the shapes this example uses.
const require = createRequire(import.meta.url);
const convert = require('koa-convert') as (generatorMiddleware: unknown) => Koa.Middleware;
const genericSession = require('koa-generic-session') as (options: {
  key?: string;
  store: unknown;
  cookie?: Record<string, unknown>;
}) => Koa.Middleware;
const sessionStore = require('koa-session-store') as (options: {
  name?: string;
  store: unknown;
  cookie?: Record<string, unknown>;
}) => unknown;

const KEYS = [process.env['SESSION_SECRET'] ?? 'an example secret; set SESSION_SECRET in real deployments'];
const DAY_MS = 24 * 60 * 60 * 1000;

type SessionBag = Record<string, unknown> & { views?: number };

/** One Koa app: `/` counts views, `/logout` sets the session to null (the middleware deletes the document). */
function sessionApp(name: string, middleware: (app: Koa) => Koa.Middleware): Koa {
  const app = new Koa();
  app.keys = KEYS;
  app.use(middleware(app));
  app.use(async (ctx) => {
    const context = ctx as typeof ctx & { session: SessionBag | null };
    ctx.type = 'text';
    if (ctx.path === '/logout') {
      context.session = null;
      ctx.body = `${name}: logged out\n`;
      return;
    }
    if (ctx.path !== '/') {
      ctx.status = 404;
      ctx.body = `${name}: try / or /logout\n`;
      return;
    }
    const session = context.session!;
    session.views = (session.views ?? 0) + 1;
    ctx.body = `${name}: views: ${session.views}\n`;
  });
  return app;
}

function onStoreError(name: string) {
  return (error: Error & { code?: string }) => console.error(`${name} store: ${error.code ?? error.name}: ${error.message}`);
}

async function main(): Promise<void> {
  const { uri, description } = await exampleServer('mongo_session_example');

  // koa-session 7: the store is passed as its `store` option.
  const koaSessionStore = createStore({ uri, collection: 'koa_session_sessions' });
  koaSessionStore.on('error', onStoreError('koa-session'));

  // koa-generic-session: during an outage the store fails each call at once (it says `unavailable`, never
  // `disconnect`, whose handler in koa-generic-session 2.3 could end the app) and recovers by itself.
  const genericStore = new MongoDBStore({ uri, collection: 'koa_generic_sessions' });
  genericStore.on('error', onStoreError('koa-generic-session'));

  // koa-session-store is generator middleware: Koa 3 answers 404 to everything unless it is converted.
  const layer = createSessionStoreLayer({ uri, collection: 'koa_session_store_sessions', expirationTime: DAY_MS / 1000 });
  layer.on('error', onStoreError('koa-session-store'));

  const apps: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    '/koa-session': sessionApp('koa-session', (app) =>
      koaSession({ key: 'example.koa-session', store: koaSessionStore, maxAge: DAY_MS }, app),
    ).callback(),
    '/generic-session': sessionApp('koa-generic-session', () =>
      genericSession({ key: 'example.generic-session', store: genericStore, cookie: { maxAge: DAY_MS } }),
    ).callback(),
    '/session-store': sessionApp('koa-session-store', () =>
      convert(sessionStore({ name: 'example.session-store', store: layer, cookie: { maxAge: DAY_MS } })),
    ).callback(),
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    for (const [prefix, handle] of Object.entries(apps)) {
      if (url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`)) {
        // Each app sees paths relative to its mount point.
        req.url = url.slice(prefix.length) || '/';
        if (!req.url.startsWith('/')) req.url = `/${req.url}`;
        return handle(req, res);
      }
    }
    res.writeHead(url === '/' ? 200 : 404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(
      `${Object.keys(apps)
        .map((prefix) => `${prefix}/  (and ${prefix}/logout)`)
        .join('\n')}\n`,
    );
  });
  await serveExample(server, description, () => Promise.all([koaSessionStore.close(), genericStore.close(), closeConnections()]));
}

startExample(main);
