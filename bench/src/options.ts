/** Command-line flags (and BENCH_* environment variables) of `pnpm bench`. */
import { WORKLOAD_NAMES, type WorkloadName } from './load';
import { STORE_NAMES, type StoreName } from './protocol';

export interface BenchOptions {
  smoke: boolean;
  durationS: number;
  warmupS: number;
  rounds: number;
  connections: number;
  pool: number;
  countRequests: number;
  memoryRequests: number;
  workloads: WorkloadName[];
  stores: StoreName[];
  outDir: string | undefined;
  databasePrefix: string;
  cpuProf: string | undefined;
  maxAgeMs: number;
  shortMaxAgeMs: number;
  touchAfterSeconds: number;
}

export const USAGE = `pnpm bench [-- flags]     (from the repository root; builds the packages first)
  --duration S          seconds per timed run (default 3; env BENCH_DURATION)
  --warmup S            seconds of warm-up per store and workload (default 1; env BENCH_WARMUP)
  --rounds N            timed rounds, stores alternating within each (default 3; env BENCH_ROUNDS)
  --connections N       autocannon connections, at most 20 (default 10; env BENCH_CONNECTIONS)
  --pool N              seeded sessions per workload (default 200; env BENCH_POOL)
  --count-requests N    requests per workload in the command-counting pass (default 1000; env BENCH_COUNT_REQUESTS)
  --memory-requests N   requests of the memory pass on our store, 0 skips it (default 200000; env BENCH_MEMORY_REQUESTS)
  --workloads a,b       subset of ${WORKLOAD_NAMES.join(', ')}
  --stores a,b          subset of ${STORE_NAMES.join(', ')} (ratios need ours and connect-mongo)
  --out DIR             where latest.json and latest.md go (default bench/results)
  --db-prefix NAME      database name prefix (default mongo_session_bench; env BENCH_DB_PREFIX)
  --cpu-prof DIR        run the app children with node --cpu-prof into DIR
  --smoke               about a second per store, one workload, no memory pass
Server: MONGODB_URI when set, else the test-server resolver (mongodb-memory-server, else embedded FerretDB).`;

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    }
    if (!arg.startsWith('--')) throw new Error(`Unexpected argument "${arg}".\n${USAGE}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'smoke') flags.set(name, 'true');
    else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`Flag --${name} needs a value.\n${USAGE}`);
      flags.set(name, value);
    }
  }
  const smoke = flags.get('smoke') === 'true' || env['BENCH_SMOKE'] === '1';
  const num = (flag: string, envName: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = flags.get(flag) ?? env[envName];
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max)
      throw new Error(`--${flag} must be a number from ${min} to ${max}; received "${raw}".`);
    return value;
  };
  const workloads = (flags.get('workloads')?.split(',') ?? (smoke ? ['mixed'] : [...WORKLOAD_NAMES])).map((w) => {
    if (!(WORKLOAD_NAMES as readonly string[]).includes(w))
      throw new Error(`Unknown workload "${w}"; known: ${WORKLOAD_NAMES.join(', ')}.`);
    return w as WorkloadName;
  });
  const stores = (flags.get('stores')?.split(',') ?? [...STORE_NAMES]).map((name) => {
    if (!(STORE_NAMES as readonly string[]).includes(name))
      throw new Error(`Unknown store "${name}"; known: ${STORE_NAMES.join(', ')}.`);
    return name as StoreName;
  });
  for (const known of flags.keys()) {
    if (
      ![
        'smoke',
        'duration',
        'warmup',
        'rounds',
        'connections',
        'pool',
        'count-requests',
        'memory-requests',
        'workloads',
        'stores',
        'out',
        'db-prefix',
        'cpu-prof',
      ].includes(known)
    ) {
      throw new Error(`Unknown flag --${known}.\n${USAGE}`);
    }
  }
  return {
    smoke,
    durationS: num('duration', 'BENCH_DURATION', smoke ? 1 : 3, 0.2, 600),
    warmupS: num('warmup', 'BENCH_WARMUP', smoke ? 0 : 1, 0, 600),
    rounds: num('rounds', 'BENCH_ROUNDS', smoke ? 1 : 3, 1, 100),
    connections: num('connections', 'BENCH_CONNECTIONS', smoke ? 4 : 10, 1, 20),
    pool: num('pool', 'BENCH_POOL', smoke ? 20 : 200, 1, 100_000),
    countRequests: num('count-requests', 'BENCH_COUNT_REQUESTS', smoke ? 50 : 1000, 10, 1_000_000),
    memoryRequests: num('memory-requests', 'BENCH_MEMORY_REQUESTS', smoke ? 0 : 200_000, 0, 100_000_000),
    workloads,
    stores,
    outDir: flags.get('out'),
    databasePrefix: flags.get('db-prefix') ?? env['BENCH_DB_PREFIX'] ?? 'mongo_session_bench',
    cpuProf: flags.get('cpu-prof'),
    maxAgeMs: 24 * 60 * 60 * 1000,
    shortMaxAgeMs: 10_000,
    touchAfterSeconds: 3600,
  };
}
