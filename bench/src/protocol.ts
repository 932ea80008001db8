/** Messages between the harness (parent) and one app child (IPC). */
export type StoreName =
  | 'ours'
  | 'ours-json'
  | 'ours-policies'
  | 'connect-mongo'
  | 'connect-mongo-touchAfter'
  | 'connect-mongodb-session'
  | 'memory';

export const STORE_NAMES: readonly StoreName[] = [
  'ours',
  'ours-json',
  'ours-policies',
  'connect-mongo',
  'connect-mongo-touchAfter',
  'connect-mongodb-session',
  'memory',
];

export interface AppConfig {
  store: StoreName;
  /** Connection string with the store's own database (unused by MemoryStore). */
  uri: string;
  /** The server refuses TTL indexes (FerretDB): peers that would crash get their workaround. */
  noTtlIndexes: boolean;
  /** express-session cookie maxAge for every session. */
  maxAgeMs: number;
  /** cookie maxAge of sessions seeded for the short-maxAge workload. */
  shortMaxAgeMs: number;
  /** connect-mongo `touchAfter` (seconds) of the tuned row. */
  touchAfterSeconds: number;
}

export type ParentMessage = { type: 'resetPeak' } | { type: 'sample' } | { type: 'stop' };

export type ChildMessage =
  | { type: 'ready'; port: number; deviations: string[] }
  | { type: 'sample'; rss: number; peakRss: number; storeErrors: number; cpuMicros: number }
  | { type: 'fatal'; message: string };
