/**
 * The benchmark harness in smoke mode: about a second per store, two workloads
 * (mixed; modifying, which adds the server-floor pass), against the test server
 * with databases of its own. No timing assertions: it must finish, list every
 * store, and crash none. Runs the BUILT packages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { testServer, uniqueDatabaseName } from '@mongo-session/test-utils';

const BENCH_DIR = resolve(__dirname, '..');
const LABELS = [
  '@mongo-session/express',
  "@mongo-session/express, serializer: 'json'",
  'connect-mongo 6.0.0',
  'connect-mongo 6.0.0, touchAfter',
  'connect-mongodb-session 5.0.0',
  'MemoryStore',
  '@mongo-session/express, timeouts + device records',
];

let child: ChildProcess | undefined;
let outDir: string | undefined;

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((done) => child!.once('exit', done));
    child.kill('SIGTERM'); // the harness kills its app children on SIGTERM
    await exited;
  }
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

test('pnpm bench --smoke completes with a row for every store and no crash', async () => {
  outDir = mkdtempSync(join(tmpdir(), 'mongo-session-bench-'));
  const args = [
    '--import',
    'tsx',
    'src/main.ts',
    '--smoke',
    '--workloads',
    'mixed,modifying',
    '--out',
    outDir,
    '--db-prefix',
    uniqueDatabaseName('bench_smoke'),
  ];
  child = spawn(process.execPath, args, {
    cwd: BENCH_DIR,
    env: { ...process.env, MONGODB_URI: testServer().uri, MONGO_SESSION_TEST_SERVER: 'uri' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child!.once('exit', (c) => done(c)));
  if (code !== 0) throw new Error(`bench --smoke exited with ${code}:\n${output.slice(-3000)}`);

  const markdown = readFileSync(join(outDir, 'latest.md'), 'utf8');
  const rows = markdown.split('\n').filter((line) => line.startsWith('| mixed |'));
  for (const label of LABELS) {
    expect(rows.some((row) => row.split('|')[2]!.trim().replace(/\*+$/, '') === label)).toBe(true);
  }
  expect(markdown).toContain('Crashes: none.');
  expect(output).toContain('| workload | store | req/s |');

  const report = JSON.parse(readFileSync(join(outDir, 'latest.json'), 'utf8')) as {
    crashes: Record<string, string>;
    floor?: { shape: string; pairsPerSecond: number }[];
    summaries: { store: string; workload: string; rps: number; appCpuMsPerRequest?: number; commands?: { perRequest: number } }[];
  };
  expect(report.crashes).toEqual({});
  expect(
    report.summaries
      .filter((s) => s.workload === 'mixed')
      .map((s) => s.store)
      .sort(),
  ).toEqual(
    [
      'connect-mongo',
      'connect-mongo-touchAfter',
      'connect-mongodb-session',
      'memory',
      'ours',
      'ours-json',
      'ours-policies',
    ].sort(),
  );
  // The lifetime policies add no command to a request (lastSeenAt rides on the writes there are).
  const perRequest = (store: string) =>
    report.summaries.find((s) => s.store === store && s.workload === 'mixed')!.commands!.perRequest;
  expect(perRequest('ours-policies')).toBeLessThanOrEqual(perRequest('ours') + 0.05);
  for (const summary of report.summaries) {
    expect(summary.rps).toBeGreaterThan(0);
    expect(summary.appCpuMsPerRequest).toBeGreaterThan(0);
    expect(summary.commands).toBeDefined();
  }
  // The server-floor pass runs with the modifying workload: both document shapes.
  expect(report.floor?.map((f) => f.shape).sort()).toEqual(['json-string', 'subdocument']);
  for (const f of report.floor!) expect(f.pairsPerSecond).toBeGreaterThan(0);
  expect(markdown).toContain('Server floor');
}, 240_000);
