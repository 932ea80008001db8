/**
 * The test server resolver. Order:
 *   1. MONGODB_URI, when set (a real mongod in the public CI);
 *   2. a real mongod from mongodb-memory-server-core (MONGOMS_SYSTEM_BINARY, or its download);
 *   3. FerretDB v1.24.2 with its SQLite handler, embedded in our Go launcher
 *      (./ferretdb), built once per source hash and cached outside the repo.
 * `MONGO_SESSION_TEST_SERVER=uri|memory|ferretdb` forces one of them.
 *
 * Jest's global setup resolves the server once and hands it to the workers
 * through the environment (see {@link testServer}).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type TestServerKind = 'uri' | 'memory' | 'ferretdb';

export interface TestServerInfo {
  kind: TestServerKind;
  uri: string;
  /** e.g. "FerretDB 1.24.2 (wire version of MongoDB 7.0.42)" or "MongoDB 8.0.4". */
  description: string;
  /** FerretDB only: the launcher binary, so tests can start private instances. */
  launcher?: string;
  pid?: number;
  dataDir?: string;
}

const ENV_KEY = 'MONGO_SESSION_TEST_SERVER_INFO';
// Jest runs this file as CommonJS; the examples and the benchmark run it as ESM through tsx.
const HERE = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
const LAUNCHER_SOURCE = resolve(HERE, '..', 'ferretdb');

function log(message: string): void {
  process.stderr.write(`[test-server] ${message}\n`);
}

/** The server resolved by the global setup, as seen from a test worker. */
export function testServer(): TestServerInfo {
  const raw = process.env[ENV_KEY];
  if (!raw) throw new Error('No test server: run the tests through Jest (its global setup resolves the server).');
  return JSON.parse(raw) as TestServerInfo;
}

/** A connection string for a database of its own, named after the test file or purpose. */
export function testUri(databaseName: string): string {
  return withDatabase(testServer().uri, databaseName);
}

export function withDatabase(uri: string, databaseName: string): string {
  const url = new URL(uri);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

/** A database name unique to one test file (FerretDB and mongod limit names to 63 bytes). */
export function uniqueDatabaseName(prefix: string): string {
  const clean = prefix.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
  return `${clean}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

// ------------------------------------------------------------------ FerretDB

function cacheRoot(): string {
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'mongo-session');
}

function launcherHash(): string {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(readFileSync(join(LAUNCHER_SOURCE, file)));
  const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
  hash.update(goVersion.stdout ?? '');
  return hash.digest('hex').slice(0, 16);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Builds the launcher once per source hash, under a lock shared by concurrent runs. */
export async function buildFerretDBLauncher(): Promise<string> {
  if (spawnSync('go', ['version']).status !== 0) {
    throw new Error('FerretDB needs Go on PATH to build its launcher; set MONGODB_URI to use another server.');
  }
  const dir = join(cacheRoot(), `ferretdb-${launcherHash()}`);
  const binary = join(dir, 'ferretdb-launcher');
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, 'build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another run is building; a lock older than 20 minutes is stale.
      if (existsSync(binary)) return binary;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 20 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* the lock went away meanwhile */
      }
      await sleep(1000);
    }
  }
  try {
    if (existsSync(binary)) return binary;
    log('building the FerretDB v1.24.2 launcher (first time only; a cold build takes a few minutes)...');
    const started = Date.now();
    const partial = `${binary}.partial`;
    const code = await new Promise<number | null>((done) => {
      const child = spawn('go', ['build', '-trimpath', '-buildvcs=false', '-o', partial, '.'], {
        cwd: LAUNCHER_SOURCE,
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const ticker = setInterval(() => log(`still building... ${Math.round((Date.now() - started) / 1000)} s`), 30_000);
      child.on('exit', (c) => {
        clearInterval(ticker);
        done(c);
      });
      child.on('error', () => {
        clearInterval(ticker);
        done(-1);
      });
    });
    if (code !== 0) throw new Error(`go build of the FerretDB launcher failed (exit ${code}).`);
    renameSync(partial, binary);
    log(`built the FerretDB launcher in ${Math.round((Date.now() - started) / 1000)} s: ${binary}`);
    return binary;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface FerretDBInstance {
  readonly uri: string;
  readonly port: number;
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** SIGTERM, wait for exit, and remove the data directory if this call created it. */
  stop(): Promise<void>;
  /** SIGKILL, and wait for exit: a crash. */
  kill(): Promise<void>;
}

/**
 * Starts a FerretDB on 127.0.0.1. With `port` and `dataDir` of an instance
 * that was killed, this is a restart on the same address and data (the caller
 * then owns that directory).
 */
export async function startFerretDB(
  options: { launcher?: string; port?: number; dataDir?: string } = {},
): Promise<FerretDBInstance> {
  const launcher = options.launcher ?? testServer().launcher;
  if (!launcher) throw new Error('No FerretDB launcher: the test server is not FerretDB.');
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'mongo-session-ferretdb-'));
  const ownsDataDir = options.dataDir === undefined;
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const child = spawn(launcher, ['-listen', `127.0.0.1:${port}`, '-data', dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    const ready = await new Promise<string | null>((done) => {
      let out = '';
      const timer = setTimeout(() => done(null), 30_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /^ready (\S+)/m.exec(out);
        if (match) {
          clearTimeout(timer);
          done(match[1]!);
        }
      });
      child.once('exit', () => {
        clearTimeout(timer);
        done(null);
      });
    });
    if (!ready) {
      child.kill('SIGKILL');
      await exited;
      // A port taken between freePort() and listen: pick another, unless the caller fixed it.
      if (options.port === undefined && attempt < 3) continue;
      throw new Error(`FerretDB did not start on port ${port}: ${stderr.trim().slice(-1000)}`);
    }
    const stopWith = async (signal: NodeJS.Signals) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    };
    return {
      uri: `mongodb://127.0.0.1:${port}/`,
      port,
      dataDir,
      process: child,
      stop: async () => {
        await stopWith('SIGTERM');
        if (ownsDataDir) rmSync(dataDir, { recursive: true, force: true });
      },
      kill: () => stopWith('SIGKILL'),
    };
  }
}

// ------------------------------------------------------------------ resolution

async function describeServer(uri: string): Promise<string> {
  const { MongoClient } = await import('mongodb');
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 10_000 });
  try {
    const info = await client.db('admin').command({ buildInfo: 1 });
    const ferret = info['ferretdbVersion'];
    if (ferret === undefined) return `MongoDB ${String(info['version'])}`;
    // The embedded build reports "unknown"; the launcher's go.mod pins the version.
    const version = ferret === 'unknown' ? 'v1.24.2' : String(ferret);
    return `FerretDB ${version} (answers as MongoDB ${String(info['version'])})`;
  } finally {
    await client.close();
  }
}

/**
 * Whether mongodb-memory-server can have a mongod: a binary given or already downloaded,
 * or a download host that resolves. Asked first so that, where nothing can be downloaded,
 * the resolver says so in one line instead of a download error's stack after seconds.
 */
async function memoryServerCanRun(): Promise<boolean> {
  if (process.env['MONGOMS_SYSTEM_BINARY']) return true;
  const cached = join(homedir(), '.cache', 'mongodb-binaries');
  if (existsSync(cached) && readdirSync(cached).some((name) => name.startsWith('mongod'))) return true;
  const mirror = process.env['MONGOMS_DOWNLOAD_MIRROR'] ?? 'https://fastdl.mongodb.org';
  const host = new URL(mirror).hostname;
  const { lookup } = await import('node:dns/promises');
  const timeout = new Promise<false>((done) => setTimeout(() => done(false), 3000).unref());
  return Promise.race([
    lookup(host).then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
}

async function tryMemoryServer(): Promise<{ uri: string; stop: () => Promise<void> } | null> {
  if (!(await memoryServerCanRun())) {
    log('no mongod from mongodb-memory-server-core: none installed or cached, and its download host is out of reach');
    return null;
  }
  try {
    const { MongoMemoryServer } = await import('mongodb-memory-server-core');
    log('trying a real mongod from mongodb-memory-server-core...');
    const server = await MongoMemoryServer.create({ instance: { ip: '127.0.0.1' } });
    return { uri: server.getUri(), stop: async () => void (await server.stop()) };
  } catch (error) {
    log(`no mongod from mongodb-memory-server-core (${(error as Error).name}: ${(error as Error).message.split('\n')[0]})`);
    return null;
  }
}

// Global setup and teardown are separate modules in one process: keep the stopper on globalThis.
const STOP_KEY = Symbol.for('@mongo-session/test-utils/stop-server');
const holder = globalThis as unknown as Record<symbol, (() => Promise<void>) | undefined>;

/** Jest global setup: resolve the server once, publish it to the workers through the environment. */
export async function setupTestServer(): Promise<TestServerInfo> {
  const forced = process.env['MONGO_SESSION_TEST_SERVER'] as TestServerKind | undefined;
  let info: TestServerInfo | undefined;
  const givenUri = process.env['MONGODB_URI'];
  if (givenUri && (!forced || forced === 'uri')) {
    info = { kind: 'uri', uri: givenUri, description: '' };
  }
  if (!info && (!forced || forced === 'memory')) {
    const memory = await tryMemoryServer();
    if (memory) {
      info = { kind: 'memory', uri: memory.uri, description: '' };
      holder[STOP_KEY] = memory.stop;
    }
  }
  if (!info) {
    const launcher = await buildFerretDBLauncher();
    const dataDir = mkdtempSync(join(tmpdir(), 'mongo-session-ferretdb-'));
    const instance = await startFerretDB({ launcher, dataDir });
    info = { kind: 'ferretdb', uri: instance.uri, description: '', launcher, pid: instance.process.pid!, dataDir };
    holder[STOP_KEY] = async () => {
      await instance.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  info.description = await describeServer(info.uri);
  log(`tests run against ${info.description} at ${info.uri} (${info.kind})`);
  process.env[ENV_KEY] = JSON.stringify(info);
  return info;
}

export async function teardownTestServer(): Promise<void> {
  const stop = holder[STOP_KEY];
  holder[STOP_KEY] = undefined;
  await stop?.();
}
