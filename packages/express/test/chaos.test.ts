/**
 * Chaos, end to end (issue 9, part 2): an express 5 app under steady, bounded
 * load on 127.0.0.1 with sessions in a private FerretDB. The server is killed
 * with SIGKILL mid-load and restarted on the same port and data directory; then
 * the app starts while the server is down and the server comes up later.
 * Measured and printed: the slowest answer during the outage, the time from
 * "server accepts connections" to the first and to every client's success, and
 * how many acknowledged sessions are still readable.
 */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import session from 'express-session';
import { MongoStore } from '@mongo-session/express';
import {
  CookieClient,
  type FerretDBInstance,
  buildFerretDBLauncher,
  closeServer,
  freePort,
  listen,
  startFerretDB,
  testServer,
  trackProcessFailures,
} from '@mongo-session/test-utils';

const SELECTION_TIMEOUT_MS = 1000;
/** The bounds. */
const OUTAGE_ANSWER_BOUND_MS = SELECTION_TIMEOUT_MS + 1000;
const RECOVERY_BOUND_MS = 3000;
const CLIENTS = 12;
const SECRET = 'a secret of at least thirty-two characters!';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const instances = new Set<FerretDBInstance>();
const dataDirs: string[] = [];
let launcher: string;

beforeAll(async () => {
  launcher = testServer().launcher ?? (await buildFerretDBLauncher());
});

afterAll(async () => {
  await Promise.all([...instances].map((i) => i.stop()));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

async function start(port: number, dataDir: string): Promise<FerretDBInstance> {
  const instance = await startFerretDB({ launcher, port, dataDir });
  instances.add(instance);
  return instance;
}

async function kill(instance: FerretDBInstance): Promise<void> {
  await instance.kill();
  instances.delete(instance);
}

interface App {
  store: MongoStore;
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * /write?k=v sets a key and answers 200 only once the store acknowledged the
 * write (express-session would otherwise end the response even when saving
 * failed); /read returns the data. No session (store disconnected) is a 503.
 */
async function startApp(port: number): Promise<App> {
  const store = new MongoStore({
    uri: `mongodb://127.0.0.1:${port}/express_chaos`,
    collection: 'chaos',
    autoRemove: 'interval',
    connectionOptions: { serverSelectionTimeoutMS: SELECTION_TIMEOUT_MS, connectTimeoutMS: SELECTION_TIMEOUT_MS },
  });
  // An app that listens for errors (express-session needs none); counted to prove errors stay events.
  store.on('error', () => undefined);
  const app = express();
  app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.get('/write', (req, res) => {
    if (!req.session) return void res.status(503).json({ error: 'no session store' });
    const data = req.session as unknown as Record<string, unknown>;
    for (const [k, v] of new URL(req.url, 'http://x').searchParams) data[k] = v;
    req.session.save((error) => {
      if (error) return void res.status(503).json({ error: (error as { code?: string }).code ?? 'save failed' });
      res.json({ id: req.sessionID });
    });
  });
  app.get('/read', (req, res) => {
    if (!req.session) return void res.status(503).json({ error: 'no session store' });
    res.json(req.session);
  });
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(500).json({ error: (error as { code?: string }).code ?? 'error' });
  });
  const server: Server = createServer(app);
  const baseUrl = await listen(server);
  return {
    store,
    baseUrl,
    close: async () => {
      await closeServer(server);
      await store.close();
    },
  };
}

interface RequestRecord {
  client: number;
  started: number;
  ended: number;
  status: number;
}

/** Steady, bounded load: each client writes a new key, then reads, in a loop, until stopped. */
function runLoad(baseUrl: string) {
  const records: RequestRecord[] = [];
  const acked: { id: string; key: string; value: string; at: number }[] = [];
  let running = true;
  let counter = 0;
  const loops = Array.from({ length: CLIENTS }, async (_, client) => {
    const http = new CookieClient(baseUrl);
    while (running) {
      const key = `k${counter++}`;
      const value = `v${client}-${key}`;
      for (const path of [`/write?${key}=${value}`, '/read']) {
        const started = Date.now();
        let status = 0;
        let id: string | undefined;
        try {
          const res = await http.get(path);
          status = res.status;
          if (status === 200 && path.startsWith('/write')) id = res.json<{ id: string }>().id;
        } catch {
          status = -1; // the app itself did not answer
        }
        const ended = Date.now();
        records.push({ client, started, ended, status });
        if (id) acked.push({ id, key, value, at: ended });
      }
      await sleep(10);
    }
  });
  return {
    records,
    acked,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Waits until every client has had a successful request that started after `since`; resolves the times. */
async function waitForRecovery(records: RequestRecord[], since: number, limitMs: number) {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const firsts = new Map<number, number>();
    for (const r of records) {
      if (r.status === 200 && r.started >= since && !firsts.has(r.client)) firsts.set(r.client, r.ended - since);
    }
    if (firsts.size === CLIENTS || Date.now() > deadline) {
      const times = [...firsts.values()];
      return {
        first: times.length ? Math.min(...times) : Infinity,
        all: firsts.size === CLIENTS ? Math.max(...times) : Infinity,
      };
    }
    await sleep(50);
  }
}

/** The slowest answer to a request that was in flight or started while the server was down (timed from the outage start). */
function slowestOutageAnswer(
  records: RequestRecord[],
  downAt: number,
  upAt: number,
): { slowest: number; count: number; statuses: Record<string, number> } {
  const during = records.filter((r) => r.ended >= downAt && r.started <= upAt);
  const statuses: Record<string, number> = {};
  for (const r of during) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const slowest = Math.max(0, ...during.map((r) => r.ended - Math.max(r.started, downAt)));
  return { slowest, count: during.length, statuses };
}

it('SIGKILL mid-load, restart on the same port and data: no crash, bounded answers, fast recovery, no acknowledged session lost', async () => {
  const failures = trackProcessFailures();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'mongo-session-chaos-'));
  dataDirs.push(dataDir);
  let server = await start(port, dataDir);
  const app = await startApp(port);
  try {
    await app.store.core.ready();
    const load = runLoad(app.baseUrl);
    await sleep(1500);
    const killedAt = Date.now();
    await kill(server);
    const ackedBeforeKill = load.acked.filter((a) => a.at <= killedAt);
    await sleep(2500);
    server = await start(port, dataDir);
    const upAt = Date.now();
    const recovery = await waitForRecovery(load.records, upAt, 10_000);
    await sleep(500);
    await load.stop();

    const outage = slowestOutageAnswer(load.records, killedAt, upAt);
    const missing: string[] = [];
    for (const a of ackedBeforeKill) {
      const stored = await app.store.core.get(a.id);
      if (stored?.[a.key] !== a.value) missing.push(a.key);
    }
    const report = {
      requests: load.records.length,
      acknowledgedWritesBeforeKill: ackedBeforeKill.length,
      lostAfterRestart: missing.length,
      outageRequests: outage.count,
      outageStatuses: outage.statuses,
      slowestOutageAnswerMs: outage.slowest,
      firstSuccessAfterRestartMs: recovery.first,
      everyClientSucceededAfterMs: recovery.all,
      unhandledRejections: failures.unhandledRejections.length,
      uncaughtExceptions: failures.uncaughtExceptions.length,
    };
    console.log(`chaos (SIGKILL + restart): ${JSON.stringify(report)}`);

    expect(ackedBeforeKill.length).toBeGreaterThan(CLIENTS);
    expect(outage.count).toBeGreaterThan(0);
    expect(load.records.every((r) => r.status !== -1)).toBe(true); // the app always answered
    expect(outage.slowest).toBeLessThanOrEqual(OUTAGE_ANSWER_BOUND_MS);
    expect(recovery.first).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    expect(recovery.all).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    expect(missing).toEqual([]);
    expect(failures.unhandledRejections).toEqual([]);
    expect(failures.uncaughtExceptions).toEqual([]);
  } finally {
    failures.stop();
    await app.close();
  }
}, 60_000);

it('server down when the app starts, up later: no crash, bounded answers, sessions work within 3 s of the server starting', async () => {
  const failures = trackProcessFailures();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'mongo-session-chaos-'));
  dataDirs.push(dataDir);
  const startedAt = Date.now();
  const app = await startApp(port);
  try {
    const load = runLoad(app.baseUrl);
    await sleep(2500);
    await start(port, dataDir);
    const upAt = Date.now();
    const recovery = await waitForRecovery(load.records, upAt, 10_000);
    await sleep(500);
    await load.stop();

    const outage = slowestOutageAnswer(load.records, startedAt, upAt);
    const missing: string[] = [];
    for (const a of load.acked) {
      const stored = await app.store.core.get(a.id);
      if (stored?.[a.key] !== a.value) missing.push(a.key);
    }
    const report = {
      requests: load.records.length,
      outageRequests: outage.count,
      outageStatuses: outage.statuses,
      slowestOutageAnswerMs: outage.slowest,
      firstSuccessAfterStartMs: recovery.first,
      everyClientSucceededAfterMs: recovery.all,
      acknowledgedWrites: load.acked.length,
      lost: missing.length,
      unhandledRejections: failures.unhandledRejections.length,
      uncaughtExceptions: failures.uncaughtExceptions.length,
    };
    console.log(`chaos (server down at app start): ${JSON.stringify(report)}`);

    expect(outage.count).toBeGreaterThan(0);
    expect(load.records.every((r) => r.status !== -1)).toBe(true);
    expect(outage.slowest).toBeLessThanOrEqual(OUTAGE_ANSWER_BOUND_MS);
    expect(recovery.first).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    expect(recovery.all).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
    expect(load.acked.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect(failures.unhandledRejections).toEqual([]);
    expect(failures.uncaughtExceptions).toEqual([]);
  } finally {
    failures.stop();
    await app.close();
  }
}, 60_000);
