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
import MongoSess from '@mongo-session/standalone';
import { exampleServer, serveExample, startExample } from '@mongo-session/test-utils/example-host';

// The first key signs; older keys still verify (and their cookies get re-signed), so keys can be rotated.
const KEYS = [process.env['SESSION_SECRET'] ?? 'an example secret; set SESSION_SECRET in real deployments'];

async function main(): Promise<void> {
  const { uri, description } = await exampleServer('mongo_session_example');
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
  await serveExample(server, description, () => MongoSess.close());
}

startExample(main);
