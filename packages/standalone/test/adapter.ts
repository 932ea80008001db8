/**
 * The adapter as the shared suites see it (test-utils/src/suites/adapter.ts): MongoSess on
 * node:http. The store is process-wide: each suite connects it and closes it again.
 */
import { createServer } from 'node:http';
import MongoSess, { type ConnectOptions } from '@mongo-session/standalone';
import { type AdapterDescriptor, closeServer, listen } from '@mongo-session/test-utils';

export const adapter: AdapterDescriptor = {
  name: '@mongo-session/standalone',
  contract: 'standalone',
  async makeStore(options) {
    const core = await MongoSess.connect(options as ConnectOptions);
    return {
      session: (req, res, sessionOptions) => MongoSess(req, res, sessionOptions),
      on: (event, listener) => core.on(event as 'warning', listener),
      close: () => MongoSess.close(),
      listByOwner: (owner) => MongoSess.listByOwner(owner),
      countByOwner: (owner) => MongoSess.countByOwner(owner),
      destroyByOwner: (owner) => MongoSess.destroyByOwner(owner),
    };
  },
  async serve(store, route, { signed }) {
    const server = createServer((req, res) => {
      const s = store.session(req, res, signed ? { keys: ['a cookie signing key'] } : {});
      route(new URL(req.url ?? '/', 'http://app'), {
        async read() {
          const { _id, createdAt, ...data } = ((await s.get()) ?? {}) as Record<string, unknown>;
          return data;
        },
        set: (values) => s.set(values),
        del: (keys) => s.del(...keys),
        destroy: () => s.end(),
      }).then((reply) => res.writeHead(reply.status, { 'content-type': reply.contentType }).end(reply.body));
    });
    return { baseUrl: await listen(server), close: () => closeServer(server) };
  },
  cookies: ['sess', 'sess.sig'],
};
