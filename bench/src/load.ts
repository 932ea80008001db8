/** Workloads, session seeding by real requests, and autocannon runs on 127.0.0.1. */
import autocannon from 'autocannon';

export type WorkloadName = 'read-only' | 'modifying' | 'new-session' | 'mixed' | 'short-maxAge';
// new-session last: it grows every collection, which slows servers that scan (FerretDB) for the workloads after it.
export const WORKLOAD_NAMES: readonly WorkloadName[] = ['read-only', 'modifying', 'mixed', 'short-maxAge', 'new-session'];

export interface Workload {
  name: WorkloadName;
  /** Which seeded pool the requests rotate over; 'none' sends no cookie. */
  pool: 'long' | 'short' | 'none';
  /** The path of the i-th request. */
  path(i: number): string;
  description: string;
}

export const WORKLOADS: Record<WorkloadName, Workload> = {
  'read-only': { name: 'read-only', pool: 'long', path: () => '/read', description: 'the handler only reads' },
  modifying: { name: 'modifying', pool: 'long', path: () => '/inc', description: 'counter++' },
  'new-session': { name: 'new-session', pool: 'none', path: () => '/new', description: 'no cookie; the handler sets a key' },
  // Every tenth request modifies: exactly 90/10, so command counts are exact too.
  mixed: {
    name: 'mixed',
    pool: 'long',
    path: (i) => (i % 10 === 9 ? '/inc' : '/read'),
    description: '90 % read-only, 10 % modifying',
  },
  'short-maxAge': {
    name: 'short-maxAge',
    pool: 'short',
    path: () => '/short',
    description: 'read-only on sessions with a short cookie maxAge (touch writes)',
  },
};

/** Creates `count` sessions by real requests and returns their cookie headers. */
export async function seedSessions(
  port: number,
  path: '/seed' | '/seed-short',
  count: number,
  concurrency = 10,
): Promise<string[]> {
  const cookies: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const response = await fetch(`http://127.0.0.1:${port}${path}`);
      await response.text();
      const setCookie = response.headers.getSetCookie()[0];
      if (response.status !== 200 || !setCookie) throw new Error(`seeding ${path} failed: HTTP ${response.status}`);
      cookies.push(setCookie.split(';')[0]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return cookies;
}

export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts and non-2xx answers (lost sessions included). */
  errors: number;
  /** 410 answers: a seeded session the store no longer had. */
  lost: number;
}

export interface LoadOptions {
  port: number;
  workload: Workload;
  cookies: string[];
  connections: number;
  durationS?: number;
  amount?: number;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { port, workload, cookies, connections } = options;
  if (workload.pool !== 'none' && cookies.length === 0) throw new Error(`${workload.name}: no seeded sessions`);
  let i = 0;
  const result: autocannon.Result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    pipelining: 1,
    timeout: 10,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationS ?? 3 }),
    requests: [
      {
        method: 'GET',
        // Each request takes the next path and, round-robin, the next session of the pool.
        setupRequest: (request) => {
          const n = i++;
          const headers: Record<string, string> = { ...(request.headers as Record<string, string> | undefined) };
          if (workload.pool !== 'none') headers['cookie'] = cookies[n % cookies.length]!;
          return { ...request, path: workload.path(n), headers };
        },
      },
    ],
  });
  const codes = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  const requests = result.requests.total;
  return {
    requests,
    durationS: result.duration,
    rps: result.duration > 0 ? requests / result.duration : 0,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    lost: codes['410']?.count ?? 0,
  };
}
