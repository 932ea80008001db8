/** Figures: medians over rounds, ratios, and the markdown table. */
import type { LoadResult, WorkloadName } from './load';
import type { StoreName } from './protocol';

export const STORE_LABELS: Record<StoreName, string> = {
  ours: '@mongo-session/express',
  'connect-mongo': 'connect-mongo 6.0.0',
  'connect-mongo-touchAfter': 'connect-mongo 6.0.0, touchAfter',
  'connect-mongodb-session': 'connect-mongodb-session 5.0.0',
  memory: 'MemoryStore',
};

export interface RunRecord extends LoadResult {
  store: StoreName;
  workload: WorkloadName;
  round: number;
  peakRssBytes: number;
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
  server: { kind: string; description: string; ttlIndexes: boolean };
  machine: { node: string; platform: string; cpus: number; cpuModel: string };
  options: Record<string, unknown>;
  deviations: Partial<Record<StoreName, string[]>>;
  crashes: Partial<Record<StoreName, string>>;
  runs: RunRecord[];
  summaries: Summary[];
  memory: MemoryReport | undefined;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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
        commands: undefined,
      });
    }
  }
  return out;
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${(a / b).toFixed(2)}x` : '–');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)}`;

export function toMarkdown(report: BenchReport): string {
  const lines: string[] = [];
  const find = (store: StoreName, workload: WorkloadName) => report.summaries.find((s) => s.store === store && s.workload === workload);
  const workloads = [...new Set(report.summaries.map((s) => s.workload))];
  const o = report.options;
  lines.push(
    `Server: ${report.server.description} (${report.server.kind}${report.server.ttlIndexes ? '' : ', no TTL indexes'}); ` +
      `Node ${report.machine.node}, ${report.machine.cpus} × ${report.machine.cpuModel}; ` +
      `${String(o['rounds'])} rounds × ${String(o['durationS'])} s per store and workload, ${String(o['connections'])} connections, ` +
      `pool of ${String(o['pool'])} sessions; medians over rounds; ${report.finishedAt.slice(0, 10)}.`,
    '',
    '| workload | store | req/s | p50 ms | p99 ms | errors | peak RSS MB | commands/request |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
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
        `| ${workload} | ${STORE_LABELS[s.store]}${marks.get(s.store) ?? ''}${crashed} | ${fixed(s.rps, 0)} | ${fixed(s.p50, 0)} | ${fixed(s.p99, 0)} | ${errors} | ${mb(s.peakRssBytes)} | ${commands} |`,
      );
    }
  }
  lines.push('');
  for (const [store, m] of marks) lines.push(`${m} ${STORE_LABELS[store]}: ${report.deviations[store]!.join('; ')}.`);
  if (report.server.ttlIndexes === false) lines.push('@mongo-session/express falls back to a plain index and a sweep on this server (its default autoRemove).');
  lines.push(
    '"lost": answers 410, a seeded session the store no longer returned (its expiry was not extended in time).',
    'Commands/request: counted in a separate pass through the test-utils MongoProxy, after warm-up; hello, ping, endSessions, createIndexes and sweep deletes are not counted.',
    '',
    '| workload | ours / connect-mongo req/s | ours / connect-mongo p99 | ours / connect-mongo touchAfter req/s | ours / MemoryStore req/s | ours commands/request |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const workload of workloads) {
    const ours = find('ours', workload);
    const cm = find('connect-mongo', workload);
    const cmt = find('connect-mongo-touchAfter', workload);
    const mem = find('memory', workload);
    const byName = ours?.commands
      ? `${fixed(ours.commands.perRequest, 2)} (${Object.entries(ours.commands.byName)
          .map(([n, c]) => `${n} ${fixed(c, 2)}`)
          .join(', ')})`
      : '–';
    lines.push(`| ${workload} | ${ratio(ours?.rps, cm?.rps)} | ${ratio(ours?.p99, cm?.p99)} | ${ratio(ours?.rps, cmt?.rps)} | ${ratio(ours?.rps, mem?.rps)} | ${byName} |`);
  }
  lines.push('');
  const crashes = Object.entries(report.crashes);
  lines.push(crashes.length === 0 ? 'Crashes: none.' : `Crashes: ${crashes.map(([s, why]) => `${s}: ${why}`).join('; ')}.`);
  const m = report.memory;
  if (m) {
    lines.push(
      '',
      `Memory (${STORE_LABELS[m.store]}, ${m.workload}): RSS after ${m.warmupRequests} warm-up requests ${mb(m.baselineRssBytes)} MB; over the next ` +
        `${m.requests} requests max ${mb(m.maxRssBytes)} MB (${m.maxDriftPercent >= 0 ? '+' : ''}${m.maxDriftPercent.toFixed(1)} %), ` +
        `final ${mb(m.finalRssBytes)} MB (${m.finalDriftPercent >= 0 ? '+' : ''}${m.finalDriftPercent.toFixed(1)} %); ${m.errors} errors.`,
    );
  }
  return lines.join('\n') + '\n';
}
