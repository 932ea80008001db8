/**
 * Plain node:http with sessions in MongoDB through @mongo-session/standalone (no framework).
 *
 *   /        counts your visits (session.get / session.set)
 *   /end     ends the session: deletes the document and clears the cookie (session.end)
 *
 * Server: MONGODB_URI when set, else the test server resolver (mongodb-memory-server,
 * else an embedded FerretDB built with Go), which is stopped again on SIGINT / SIGTERM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import MongoSess from '@mongo-session/standalone';
import { setupTestServer, teardownTestServer, withDatabase } from '@mongo-session/test-utils/server';

// The first key signs; older keys still verify (and their cookies get re-signed), so keys can be rotated.
const KEYS = [process.env['SESSION_SECRET'] ?? 'an example secret; set SESSION_SECRET in real deployments'];

/** The server to keep sessions in, and how to describe it without printing credentials. */
async function resolveServer(): Promise<{ uri: string; description: string }> {
  const given = process.env['MONGODB_URI'];
  if (given) return { uri: given, description: `MONGODB_URI ${given.replace(/\/\/[^@/]*@/, '//***@')}` };
  const server = await setupTestServer();
  return { uri: withDatabase(server.uri, 'mongo_session_example'), description: server.description };
}

async function main(): Promise<void> {
  const { uri, description } = await resolveServer();
  await MongoSess.connect({ uri, collection: 'standalone_sessions' });

  const server = createServer(async (req, res) => {
    const session = MongoSess(req, res, { name: 'example.sid', keys: KEYS });
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    try {
      if (path === '/end') {
        await session.end();
        res.end('session ended\n');
      } else if (path === '/') {
        const visits = (Number(await session.get('visits')) || 0) + 1;
        await session.set({ visits });
        res.end(`visits: ${visits}\n`);
      } else {
        res.writeHead(404).end('try / or /end\n');
      }
    } catch (error) {
      // MongoDB unreachable: answer 503 rather than crash; the store reconnects by itself.
      const code = (error as { code?: string }).code;
      if (!res.headersSent) res.writeHead(code === 'MONGO_SESSION_CONNECTION' ? 503 : 500);
      res.end('sessions are unavailable right now\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  console.log(`mongo-session example listening on http://127.0.0.1:${port} (sessions in ${description})`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1); // a second signal: give up waiting
    stopping = true;
    console.error(`${signal}: stopping`);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await MongoSess.close();
    await teardownTestServer();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop(signal).catch((error: unknown) => {
        console.error('error while stopping:', error);
        process.exitCode = 1;
      });
    });
  }
}

main().catch(async (error: unknown) => {
  console.error(error);
  await teardownTestServer().catch(() => undefined);
  process.exit(1);
});
