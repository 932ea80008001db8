/**
 * One benchmarked app: express 5 + express-session over one store, in a child
 * process of its own, so its RSS is the store's and the load generator does not
 * share its event loop. Config comes in BENCH_APP_CONFIG; the parent talks over IPC.
 */
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import express, { type Request, type Response } from 'express';
import session from 'express-session';
import type { AppConfig, ChildMessage, ParentMessage } from './protocol';

const require = createRequire(import.meta.url);
const config = JSON.parse(process.env['BENCH_APP_CONFIG'] ?? 'null') as AppConfig | null;
if (!config) throw new Error('app.ts runs as a child of the benchmark harness (BENCH_APP_CONFIG is missing).');

function send(message: ChildMessage): void {
  process.send?.(message);
}

// The store emits errors only to listeners; count them (never print contents).
let storeErrors = 0;

function buildStore(cfg: AppConfig): { store: session.Store; deviations: string[] } {
  switch (cfg.store) {
    case 'ours': {
      const { MongoStore } = require('@mongo-session/express') as typeof import('@mongo-session/express');
      const store = new MongoStore({ uri: cfg.uri });
      // Defaults; the TTL fallback warning on FerretDB is expected.
      store.on('warning', () => undefined);
      return { store: store as unknown as session.Store, deviations: [] };
    }
    case 'ours-json': {
      // A diagnostic row: our store with the body as one JSON string, the document shape connect-mongo writes.
      const { MongoStore } = require('@mongo-session/express') as typeof import('@mongo-session/express');
      const store = new MongoStore({ uri: cfg.uri, serializer: 'json' });
      store.on('warning', () => undefined);
      return { store: store as unknown as session.Store, deviations: [] };
    }
    case 'ours-policies': {
      // Issue #18's read path: idle and absolute timeouts on, a device record on each new session.
      const { MongoStore } = require('@mongo-session/express') as typeof import('@mongo-session/express');
      const store = new MongoStore({
        uri: cfg.uri,
        idleTimeoutMs: 30 * 60_000,
        absoluteTimeoutMs: 12 * 3_600_000,
        device: (req) => ({ userAgent: req.headers['user-agent'] ?? null }),
      });
      store.on('warning', () => undefined);
      return {
        store: store as unknown as session.Store,
        deviations: ['idleTimeoutMs 30 min, absoluteTimeoutMs 12 h, a device record per new session'],
      };
    }
    case 'connect-mongo':
    case 'connect-mongo-touchAfter': {
      // connect-mongo 6.0.0's ESM entry is missing from its tarball: require it.
      const { MongoStore } = require('connect-mongo') as { MongoStore: { create(options: object): session.Store } };
      const options: Record<string, unknown> = { mongoUrl: cfg.uri };
      const deviations: string[] = [];
      if (cfg.store === 'connect-mongo-touchAfter') {
        options['touchAfter'] = cfg.touchAfterSeconds;
        deviations.push(`touchAfter: ${cfg.touchAfterSeconds}`);
      }
      if (cfg.noTtlIndexes) {
        // Its TTL index creation has no error handling: an unhandled rejection on a server without TTL indexes.
        options['autoRemove'] = 'disabled';
        deviations.push("autoRemove: 'disabled'");
      }
      return { store: MongoStore.create(options), deviations };
    }
    case 'connect-mongodb-session': {
      const factory = require('connect-mongodb-session') as (s: typeof session) => new (options: object) => session.Store;
      const MongoDBStore = factory(session);
      const store = new MongoDBStore({ uri: cfg.uri, collection: 'sessions' });
      // Without a listener it throws on errors (its TTL index on FerretDB).
      store.on('error', () => void storeErrors++);
      return { store, deviations: cfg.noTtlIndexes ? ['error listener (TTL index refused)'] : ['error listener'] };
    }
    case 'memory':
      return { store: new session.MemoryStore(), deviations: [] };
  }
}

declare module 'express-session' {
  interface SessionData {
    seeded?: boolean;
    counter?: number;
    created?: number;
  }
}

const { store, deviations } = buildStore(config);
const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use(
  session({
    secret: 'benchmark secret, not a real one',
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { maxAge: config.maxAgeMs },
  }),
);
app.get('/seed', (req: Request, res: Response) => {
  req.session.seeded = true;
  req.session.counter = 0;
  res.send('seeded');
});
app.get('/seed-short', (req: Request, res: Response) => {
  req.session.cookie.maxAge = config.shortMaxAgeMs;
  req.session.seeded = true;
  req.session.counter = 0;
  res.send('seeded');
});
// 410 marks a seeded session the store lost (expired while in use, or never stored).
app.get(['/read', '/short'], (req: Request, res: Response) => {
  if (!req.session.seeded) return void res.status(410).send('lost');
  res.send(String(req.session.counter ?? 0));
});
app.get('/inc', (req: Request, res: Response) => {
  if (!req.session.seeded) return void res.status(410).send('lost');
  req.session.counter = (req.session.counter ?? 0) + 1;
  res.send(String(req.session.counter));
});
app.get('/new', (req: Request, res: Response) => {
  req.session.created = 1;
  res.send('new');
});

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}, 50);

const server = app.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: (server.address() as AddressInfo).port, deviations });
});
server.keepAliveTimeout = 60_000;

async function stop(): Promise<void> {
  clearInterval(sampler);
  server.closeAllConnections();
  server.close();
  const closable = store as unknown as { close?: () => unknown; client?: { close(): Promise<void> } };
  try {
    await Promise.race([Promise.resolve(closable.close?.()), new Promise((r) => setTimeout(r, 3000).unref())]);
  } catch {
    /* exiting anyway */
  }
  process.exit(0);
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'resetPeak') {
    peakRss = process.memoryUsage.rss();
  } else if (message.type === 'sample') {
    const rss = process.memoryUsage.rss();
    peakRss = Math.max(peakRss, rss);
    const cpu = process.cpuUsage();
    send({ type: 'sample', rss, peakRss, storeErrors, cpuMicros: cpu.user + cpu.system });
  } else if (message.type === 'stop') {
    void stop();
  }
});
// The parent died or closed the channel: never linger.
process.on('disconnect', () => void stop());
