/** The adapter as the shared suites see it (test-utils/src/suites/adapter.ts): express 5 + express-session. */
import { createServer } from 'node:http';
import express from 'express';
import session from 'express-session';
import { MongoStore, type MongoStoreOptions } from '@mongo-session/express';
import { type AdapterDescriptor, closeServer, listen, objectRouteSession } from '@mongo-session/test-utils';
import type { ExpressStoreLike } from '@mongo-session/test-utils/conformance/express-session';
import { SECRET } from './apps';

export const adapter: AdapterDescriptor = {
  name: '@mongo-session/express',
  contract: 'express-session',
  makeStore: (options) => new MongoStore(options as MongoStoreOptions) as never,
  memoryStore: () => new session.MemoryStore() as unknown as ExpressStoreLike,
  async serve(store, route) {
    const app = express();
    app.use(session({ store: store as never, secret: SECRET, resave: false, saveUninitialized: false }));
    app.use((req, res) => {
      const s = req.session as unknown as Record<string, unknown>;
      const view = objectRouteSession(s, {
        hidden: ['cookie'],
        destroy: () => new Promise<void>((resolve, reject) => req.session.destroy((e) => (e ? reject(e) : resolve()))),
      });
      void route(new URL(req.url, 'http://app'), view).then((reply) =>
        res.status(reply.status).type(reply.contentType).send(reply.body),
      );
    });
    const server = createServer(app);
    return { baseUrl: await listen(server), close: () => closeServer(server) };
  },
  cookies: ['connect.sid'],
  // `s:<id>.<signature>`, URL-encoded.
  sessionIdOf: (value) => decodeURIComponent(value).slice(2, decodeURIComponent(value).lastIndexOf('.')),
};
