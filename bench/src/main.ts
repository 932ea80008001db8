/**
 * `pnpm bench`: @mongo-session/express against connect-mongo, connect-mongodb-session
 * and MemoryStore, each in an express 5 + express-session app of its own (a child
 * process), loaded by autocannon from this process. See options.ts for the flags.
 *
 * Passes: timed (stores alternating within each round, medians over rounds), command
 * counting (through MongoProxy, apart so it does not skew the timings), memory (our store).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { MongoProxy } from '@mongo-session/test-utils/proxy';
import { setupTestServer, teardownTestServer, withDatabase, type TestServerInfo } from '@mongo-session/test-utils/server';
import { killAllApps, startApp, type AppChild } from './children';
import { processCpuMs } from './cpu';
import { measureFloor, type FloorResult, type FloorShape } from './floor';
import { type LoadResult, runLoad, seedSessions, WORKLOADS, type WorkloadName } from './load';
import { parseOptions, type BenchOptions } from './options';
import { STORE_NAMES, type AppConfig, type StoreName } from './protocol';
import { summarize, toMarkdown, type BenchReport, type CommandCount, type MemoryReport, type RunRecord } from './report';

const DB_KEYS: Record<StoreName, string> = {
  ours: 'ours',
  'ours-json': 'oursj',
  'ours-policies': 'oursp',
  'connect-mongo': 'cm',
  'connect-mongo-touchAfter': 'cmta',
  'connect-mongodb-session': 'cms',
  memory: 'mem',
};
/** Not per-request work: connection handshakes and monitoring, index setup, expiry sweeps (no workload destroys sessions). */
const UNCOUNTED = new Set([
  'hello',
  'ismaster',
  'isMaster',
  'ping',
  'endSessions',
  'createIndexes',
  'buildInfo',
  'saslStart',
  'saslContinue',
  'delete',
  'listIndexes',
]);

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

function databaseName(options: BenchOptions, pass: 't' | 'c' | 'm', store: StoreName): string {
  return `${options.databasePrefix}_${pass}_${DB_KEYS[store]}`;
}

async function probeTtlIndexes(uri: string, database: string): Promise<boolean> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    const col = client.db(database).collection('ttl_probe');
    await col.createIndex({ at: 1 }, { expireAfterSeconds: 3600 });
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 238) return false;
    throw error;
  } finally {
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  }
}

async function dropDatabases(uri: string, names: string[]): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    for (const name of names) await client.db(name).dropDatabase();
  } finally {
    await client.close();
  }
}

function appConfig(options: BenchOptions, store: StoreName, uri: string, noTtlIndexes: boolean): AppConfig {
  return {
    store,
    uri,
    noTtlIndexes,
    maxAgeMs: options.maxAgeMs,
    shortMaxAgeMs: options.shortMaxAgeMs,
    touchAfterSeconds: options.touchAfterSeconds,
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const startedAt = new Date().toISOString();
  const server: TestServerInfo = await setupTestServer();
  const ttlIndexes = await probeTtlIndexes(server.uri, `${options.databasePrefix}_probe`);
  log(`server: ${server.description}${ttlIndexes ? '' : ' (no TTL indexes)'}`);
  const floorDatabase = (shape: FloorShape) => `${options.databasePrefix}_f_${shape === 'subdocument' ? 'sub' : 'json'}`;
  const allDatabases = [
    ...STORE_NAMES.flatMap((s) => (['t', 'c', 'm'] as const).map((p) => databaseName(options, p, s))),
    floorDatabase('subdocument'),
    floorDatabase('json-string'),
  ];
  await dropDatabases(server.uri, allDatabases);

  const crashes: Partial<Record<StoreName, string>> = {};
  const deviations: Partial<Record<StoreName, string[]>> = {};
  const runs: RunRecord[] = [];
  const { connections, pool, stores } = options;
  const execArgv = (store: StoreName) =>
    options.cpuProf
      ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProf, '--cpu-prof-name', `${store}-${Date.now()}.cpuprofile`]
      : [];

  // ------------------------------------------------------------ timed pass
  const apps = new Map<StoreName, AppChild>();
  const longPools = new Map<StoreName, string[]>();
  const alive = (store: StoreName) => {
    const app = apps.get(store);
    const why = app?.crashed();
    if (why && !crashes[store]) {
      crashes[store] = why;
      log(`${store} crashed: ${why}`);
    }
    return app !== undefined && !why;
  };
  try {
    for (const store of stores) {
      const app = await startApp(
        appConfig(options, store, withDatabase(server.uri, databaseName(options, 't', store)), !ttlIndexes),
        execArgv(store),
      );
      apps.set(store, app);
      deviations[store] = app.deviations;
      if (options.workloads.some((w) => WORKLOADS[w].pool === 'long'))
        longPools.set(store, await seedSessions(app.port, '/seed', pool));
    }
    const cookiesFor = async (store: StoreName, workload: WorkloadName) => {
      const kind = WORKLOADS[workload].pool;
      if (kind === 'none') return [];
      if (kind === 'long') return longPools.get(store)!;
      return seedSessions(apps.get(store)!.port, '/seed-short', pool);
    };
    for (const workload of options.workloads) {
      if (options.warmupS > 0) {
        for (const store of stores) {
          if (!alive(store)) continue;
          const app = apps.get(store)!;
          await runLoad({
            port: app.port,
            workload: WORKLOADS[workload],
            cookies: await cookiesFor(store, workload),
            connections,
            durationS: options.warmupS,
          });
        }
      }
      for (let round = 1; round <= options.rounds; round++) {
        for (const store of stores) {
          if (!alive(store)) continue;
          const app = apps.get(store)!;
          const cookies = await cookiesFor(store, workload);
          app.resetPeak();
          const appCpuBefore = (await app.sample()).cpuMicros;
          const serverCpuBefore = processCpuMs(server.pid);
          const result = await runLoad({
            port: app.port,
            workload: WORKLOADS[workload],
            cookies,
            connections,
            durationS: options.durationS,
          });
          const serverCpuAfter = processCpuMs(server.pid);
          const { peakRss, cpuMicros } = await app.sample();
          const perRequest = (ms: number | undefined) =>
            ms === undefined || result.requests === 0 ? undefined : ms / result.requests;
          runs.push({
            ...result,
            store,
            workload,
            round,
            peakRssBytes: peakRss,
            appCpuMsPerRequest: perRequest((cpuMicros - appCpuBefore) / 1000),
            serverCpuMsPerRequest: perRequest(
              serverCpuBefore === undefined || serverCpuAfter === undefined ? undefined : serverCpuAfter - serverCpuBefore,
            ),
          });
          log(
            `${workload} r${round} ${store}: ${result.rps.toFixed(0)} req/s p50 ${result.p50} p99 ${result.p99} errors ${result.errors}`,
          );
        }
      }
    }
    for (const store of stores) alive(store);
  } finally {
    await Promise.all([...apps.values()].map((a) => a.stop()));
  }
  const summaries = summarize(runs, stores, options.workloads);

  // ------------------------------------------------------------ server floor (modifying: where the server sets the pace)
  let floor: FloorResult[] | undefined;
  if (options.workloads.includes('modifying')) {
    floor = await measureFloor({
      uri: server.uri,
      databaseName: floorDatabase,
      pool,
      connections,
      durationS: options.durationS,
      rounds: options.rounds,
      serverPid: server.pid,
    });
    for (const f of floor)
      log(`floor ${f.shape}: ${f.pairsPerSecond.toFixed(0)} pairs/s p50 ${f.p50.toFixed(1)} p99 ${f.p99.toFixed(1)}`);
  }

  // ------------------------------------------------------------ command counting pass
  const proxy = await MongoProxy.fromUri(server.uri);
  try {
    for (const store of stores) {
      if (crashes[store]) continue;
      const app = await startApp(appConfig(options, store, proxy.uri(databaseName(options, 'c', store)), !ttlIndexes));
      try {
        const longPool = options.workloads.some((w) => WORKLOADS[w].pool === 'long')
          ? await seedSessions(app.port, '/seed', pool)
          : [];
        for (const workload of options.workloads) {
          const kind = WORKLOADS[workload].pool;
          const cookies = kind === 'long' ? longPool : kind === 'short' ? await seedSessions(app.port, '/seed-short', pool) : [];
          await runLoad({
            port: app.port,
            workload: WORKLOADS[workload],
            cookies,
            connections,
            amount: Math.min(200, options.countRequests),
          });
          proxy.resetCounts();
          const result = await runLoad({
            port: app.port,
            workload: WORKLOADS[workload],
            cookies,
            connections,
            amount: options.countRequests,
          });
          const counted = Object.entries(proxy.counts()).filter(([name]) => !UNCOUNTED.has(name));
          const total = counted.reduce((s, [, n]) => s + n, 0);
          const commands: CommandCount = {
            requests: result.requests,
            perRequest: total / result.requests,
            byName: Object.fromEntries(counted.map(([name, n]) => [name, n / result.requests])),
            lost: result.lost,
          };
          const summary = summaries.find((s) => s.store === store && s.workload === workload);
          if (summary) summary.commands = commands;
          log(`commands ${workload} ${store}: ${commands.perRequest.toFixed(2)}/request ${JSON.stringify(proxy.counts())}`);
        }
      } finally {
        if (app.crashed()) crashes[store] = app.crashed();
        await app.stop();
      }
    }
  } finally {
    await proxy.close();
  }

  // ------------------------------------------------------------ memory pass
  let memory: MemoryReport | undefined;
  if (options.memoryRequests > 0 && stores.includes('ours')) {
    const workload: WorkloadName = 'mixed';
    const app = await startApp(
      appConfig(options, 'ours', withDatabase(server.uri, databaseName(options, 'm', 'ours')), !ttlIndexes),
    );
    try {
      const cookies = await seedSessions(app.port, '/seed', pool);
      const warmupRequests = Math.max(10_000, Math.round(options.memoryRequests / 10));
      log(`memory: ${warmupRequests} warm-up requests, then ${options.memoryRequests} sampled`);
      await runLoad({ port: app.port, workload: WORKLOADS[workload], cookies, connections, amount: warmupRequests });
      const baseline = (await app.sample()).rss;
      const started = Date.now();
      const samples: { atSeconds: number; rssBytes: number }[] = [];
      const timer = setInterval(() => {
        void app
          .sample()
          .then((s) => samples.push({ atSeconds: (Date.now() - started) / 1000, rssBytes: s.rss }))
          .catch(() => undefined);
      }, 1000);
      let result: LoadResult;
      try {
        result = await runLoad({
          port: app.port,
          workload: WORKLOADS[workload],
          cookies,
          connections,
          amount: options.memoryRequests,
        });
      } finally {
        clearInterval(timer);
      }
      const final = (await app.sample()).rss;
      samples.push({ atSeconds: (Date.now() - started) / 1000, rssBytes: final });
      const max = Math.max(...samples.map((s) => s.rssBytes));
      memory = {
        store: 'ours',
        workload,
        warmupRequests,
        requests: result.requests,
        baselineRssBytes: baseline,
        maxRssBytes: max,
        finalRssBytes: final,
        maxDriftPercent: ((max - baseline) / baseline) * 100,
        finalDriftPercent: ((final - baseline) / baseline) * 100,
        samples,
        errors: result.errors,
      };
      log(
        `memory: baseline ${(baseline / 2 ** 20).toFixed(0)} MB, max ${(max / 2 ** 20).toFixed(0)} MB, drift ${memory.maxDriftPercent.toFixed(1)} %`,
      );
    } finally {
      if (app.crashed()) crashes.ours ??= app.crashed();
      await app.stop();
    }
  }

  await dropDatabases(server.uri, allDatabases).catch(() => undefined);
  const cpu = cpus();
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    server: {
      kind: server.kind,
      description: server.description,
      ttlIndexes,
      cpuMeasured: processCpuMs(server.pid) !== undefined,
    },
    machine: { node: process.version, platform: process.platform, cpus: cpu.length, cpuModel: cpu[0]?.model.trim() ?? 'unknown' },
    options: { ...options },
    deviations,
    crashes,
    runs,
    summaries,
    memory,
    floor,
  };
  const markdown = toMarkdown(report);
  const outDir = options.outDir ?? fileURLToPath(new URL('../results', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), markdown);
  process.stdout.write(markdown);
  log(`wrote ${join(outDir, 'latest.json')} and latest.md`);
  return Object.keys(crashes).length === 0 ? 0 : 1;
}

let shuttingDown = false;
async function shutdown(code: number): Promise<never> {
  if (!shuttingDown) {
    shuttingDown = true;
    killAllApps();
    await teardownTestServer().catch(() => undefined);
  }
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the apps and the server`);
    void shutdown(130);
  });
}

main().then(
  (code) => shutdown(code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return shutdown(1);
  },
);
