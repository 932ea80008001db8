/** Figures: medians over rounds, ratios, and the markdown table. */
import type { LoadResult, WorkloadName } from './load';
import type { StoreName } from './protocol';
import type { FloorResult, FloorShape } from './floor';

export const STORE_LABELS: Record<StoreName, string> = {
  ours: '@mongo-session/express',
  'ours-json': "@mongo-session/express, serializer: 'json'",
  'ours-policies': '@mongo-session/express, timeouts + device records',
  'connect-mongo': 'connect-mongo 6.0.0',
  'connect-mongo-touchAfter': 'connect-mongo 6.0.0, touchAfter',
  'connect-mongodb-session': 'connect-mongodb-session 5.0.0',
  memory: 'MemoryStore',
};

export const FLOOR_LABELS: Record<FloorShape, string> = {
  subdocument: "session as a subdocument, per-key $set (our default's commands)",
  'json-string': "session as one JSON string, whole $set (connect-mongo's and serializer: 'json''s commands)",
};

export interface RunRecord extends LoadResult {
  store: StoreName;
  workload: WorkloadName;
  round: number;
  peakRssBytes: number;
  /** CPU of the app process (express + store) per request, in ms. */
  appCpuMsPerRequest: number | undefined;
  /** CPU of the database server process per request, in ms; known when the harness can see its process. */
  serverCpuMsPerRequest: number | undefined;
}

export interface CommandCount {
  requests: number;
  perRequest: number;
  /** Counted commands by name, per request. */
  byName: Record<string, number>;
  lost: number;
}

export interface Summary {
  store: StoreName;
  workload: WorkloadName;
  rounds: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  lost: number;
  peakRssBytes: number;
  appCpuMsPerRequest: number | undefined;
  serverCpuMsPerRequest: number | undefined;
  commands: CommandCount | undefined;
}

export interface MemoryReport {
  store: StoreName;
  workload: WorkloadName;
  warmupRequests: number;
  requests: number;
  baselineRssBytes: number;
  maxRssBytes: number;
  finalRssBytes: number;
  maxDriftPercent: number;
  finalDriftPercent: number;
  samples: { atSeconds: number; rssBytes: number }[];
  errors: number;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  server: { kind: string; description: string; ttlIndexes: boolean; cpuMeasured: boolean };
  machine: { node: string; platform: string; cpus: number; cpuModel: string };
  options: Record<string, unknown>;
  deviations: Partial<Record<StoreName, string[]>>;
  crashes: Partial<Record<StoreName, string>>;
  runs: RunRecord[];
  summaries: Summary[];
  memory: MemoryReport | undefined;
  /** The driver alone sending a modifying request's commands: the server's own latency and cost. */
  floor: FloorResult[] | undefined;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medianOf(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length === 0 ? undefined : median(known);
}

export function summarize(runs: RunRecord[], stores: readonly StoreName[], workloads: readonly WorkloadName[]): Summary[] {
  const out: Summary[] = [];
  for (const workload of workloads) {
    for (const store of stores) {
      const mine = runs.filter((r) => r.store === store && r.workload === workload);
      if (mine.length === 0) continue;
      out.push({
        store,
        workload,
        rounds: mine.length,
        rps: median(mine.map((r) => r.rps)),
        p50: median(mine.map((r) => r.p50)),
        p99: median(mine.map((r) => r.p99)),
        errors: mine.reduce((s, r) => s + r.errors, 0),
        lost: mine.reduce((s, r) => s + r.lost, 0),
        peakRssBytes: Math.max(...mine.map((r) => r.peakRssBytes)),
        appCpuMsPerRequest: medianOf(mine.map((r) => r.appCpuMsPerRequest)),
        serverCpuMsPerRequest: medianOf(mine.map((r) => r.serverCpuMsPerRequest)),
        commands: undefined,
      });
    }
  }
  return out;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : '–';
const cpu = (ms: number | undefined) => (ms === undefined ? '–' : ms.toFixed(2));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)}`;

export function toMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  const find = (store: StoreName, workload: WorkloadName) =>
    report.summaries.find((s) => s.store === store && s.workload === workload);
  const workloads = [...new Set(report.summaries.map((s) => s.workload))];
  const o = report.options;
  lines.push(
    `Server: ${report.server.description} (${report.server.kind}${report.server.ttlIndexes ? '' : ', no TTL indexes'}); ` +
      `Node ${report.machine.node}, ${report.machine.cpus} × ${report.machine.cpuModel}; ` +
      `${String(o['rounds'])} rounds × ${String(o['durationS'])} s per store and workload, ${String(o['connections'])} connections, ` +
      `pool of ${String(o['pool'])} sessions; medians over rounds; ${report.finishedAt.slice(0, 10)}.`,
    '',
    '| workload | store | req/s | p50 ms | p99 ms | errors | peak RSS MB | app CPU ms/request | server CPU ms/request | commands/request |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const marks = new Map<StoreName, string>();
  let mark = 0;
  for (const [store, list] of Object.entries(report.deviations) as [StoreName, string[]][]) {
    if (list.length > 0) marks.set(store, '*'.repeat(++mark));
  }
  for (const workload of workloads) {
    for (const s of report.summaries.filter((x) => x.workload === workload)) {
      const crashed = report.crashes[s.store] ? ' (crashed)' : '';
      const errors = s.lost > 0 ? `${s.errors} (${s.lost} lost)` : String(s.errors);
      const commands = s.commands ? fixed(s.commands.perRequest, 2) : '–';
      lines.push(
        `| ${workload} | ${STORE_LABELS[s.store]}${marks.get(s.store) ?? ''}${crashed} | ${fixed(s.rps, 0)} | ${fixed(s.p50, 0)} | ${fixed(s.p99, 0)} | ${errors} | ${mb(s.peakRssBytes)} | ${cpu(s.appCpuMsPerRequest)} | ${cpu(s.serverCpuMsPerRequest)} | ${commands} |`,
      );
    }
  }
  lines.push('');
  for (const [store, m] of marks) lines.push(`${m} ${STORE_LABELS[store]}: ${report.deviations[store]!.join('; ')}.`);
  if (report.server.ttlIndexes === false)
    lines.push('@mongo-session/express falls back to a plain index and a sweep on this server (its default autoRemove).');
  lines.push(
    '"lost": answers 410, a seeded session the store no longer returned (its expiry was not extended in time).',
    'Commands/request: counted in a separate pass through the test-utils MongoProxy, after warm-up; hello, ping, endSessions, createIndexes and sweep deletes are not counted.',
    `CPU/request: user + system time of the app process and ${report.server.cpuMeasured ? 'of the server process' : 'not of the server (its process is not visible to the harness)'} during each timed run, divided by its requests; medians over rounds.`,
    `${STORE_LABELS['ours-json']}: a diagnostic row, our store with the session body stored as one JSON string (the document shape connect-mongo writes) instead of its default per-key subdocument.`,
    '',
    `${STORE_LABELS['ours-policies']}: issue #18's read path, the lifetime policies on; its commands/request must match ours.`,
    '',
    '| workload | ours / connect-mongo req/s | ours / connect-mongo p99 | ours / connect-mongo touchAfter req/s | ours / MemoryStore req/s | ours (json) / connect-mongo req/s | ours commands/request | ours (policies) commands/request |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  );
  for (const workload of workloads) {
    const ours = find('ours', workload);
    const cm = find('connect-mongo', workload);
    const cmt = find('connect-mongo-touchAfter', workload);
    const mem = find('memory', workload);
    const json = find('ours-json', workload);
    const policies = find('ours-policies', workload);
    const commandsOf = (summary: typeof ours) =>
      summary?.commands
        ? `${fixed(summary.commands.perRequest, 2)} (${Object.entries(summary.commands.byName)
            .map(([n, c]) => `${n} ${fixed(c, 2)}`)
            .join(', ')})`
        : '–';
    lines.push(
      `| ${workload} | ${ratio(ours?.rps, cm?.rps)} | ${ratio(ours?.p99, cm?.p99)} | ${ratio(ours?.rps, cmt?.rps)} | ${ratio(ours?.rps, mem?.rps)} | ${ratio(json?.rps, cm?.rps)} | ${commandsOf(ours)} | ${commandsOf(policies)} |`,
    );
  }
  lines.push('');
  const crashes = Object.entries(report.crashes);
  lines.push(crashes.length === 0 ? 'Crashes: none.' : `Crashes: ${crashes.map(([s, why]) => `${s}: ${why}`).join('; ')}.`);
  if (report.floor) {
    lines.push(
      '',
      `Server floor: a modifying request's two commands (find and update by _id) sent by the driver alone, no app and no store, ${String(o['connections'])} concurrent, same pool size, rounds and duration:`,
      '',
      '| document | find + update pairs/s | p50 ms | p99 ms | server CPU ms/pair |',
      '| --- | ---: | ---: | ---: | ---: |',
      ...report.floor.map(
        (f) =>
          `| ${FLOOR_LABELS[f.shape]} | ${fixed(f.pairsPerSecond, 0)} | ${fixed(f.p50, 1)} | ${fixed(f.p99, 0)} | ${cpu(f.serverCpuMsPerPair)} |`,
      ),
    );
  }
  const m = report.memory;
  if (m) {
    lines.push(
      '',
      `Memory (${STORE_LABELS[m.store]}, ${m.workload}): RSS after ${m.warmupRequests} warm-up requests ${mb(m.baselineRssBytes)} MB; over the next ` +
        `${m.requests} requests max ${mb(m.maxRssBytes)} MB (${m.maxDriftPercent >= 0 ? '+' : ''}${m.maxDriftPercent.toFixed(1)} %), ` +
        `final ${mb(m.finalRssBytes)} MB (${m.finalDriftPercent >= 0 ? '+' : ''}${m.finalDriftPercent.toFixed(1)} %); ${m.errors} errors.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
