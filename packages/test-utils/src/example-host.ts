/**
 * What every runnable example does around its app: find a server the way the tests do,
 * listen on PORT and print the URL, and stop everything it started on SIGINT / SIGTERM.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setupTestServer, teardownTestServer, withDatabase } from './server';

/** MONGODB_URI when set, else the test server resolver; described without credentials. */
export async function exampleServer(databaseName: string): Promise<{ uri: string; description: string }> {
  const given = process.env['MONGODB_URI'];
  if (given) return { uri: given, description: `MONGODB_URI ${given.replace(/\/\/[^@/]*@/, '//***@')}` };
  const server = await setupTestServer();
  return { uri: withDatabase(server.uri, databaseName), description: server.description };
}

/**
 * Listens on PORT (default 3000) on 127.0.0.1, prints the one line the example tests wait
 * for, and on a signal closes the server, then the stores (`closeStores`), then the server
 * the resolver started. A second signal exits at once.
 */
export async function serveExample(server: Server, description: string, closeStores: () => Promise<unknown>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  console.log(`mongo-session example listening on http://127.0.0.1:${port} (sessions in ${description})`);
  let stoppingSince: number | undefined;
  const stop = async (signal: NodeJS.Signals) => {
    // A second signal a moment later is the same Ctrl-C delivered twice (terminal and parent);
    // one after that is someone insisting.
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince > 1000) process.exit(1);
      return;
    }
    stoppingSince = Date.now();
    console.error(`${signal}: stopping`);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await closeStores();
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

/** Runs an example's main; on a startup failure stops what the resolver started and exits 1. */
export function startExample(main: () => Promise<void>): void {
  main().catch(async (error: unknown) => {
    console.error(error);
    await teardownTestServer().catch(() => undefined);
    process.exit(1);
  });
}
