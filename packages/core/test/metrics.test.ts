import { execFileSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { resolve } from 'node:path';
import { metrics } from '@opentelemetry/api';
import { type DataPoint, type Histogram, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { MongoClient } from 'mongodb';
import {
  OPERATION_CHANNEL,
  OPERATION_NAMES,
  type OperationMessage,
  SESSION_CHANNEL,
  type SessionMessage,
  SessionStore,
  type SessionStoreOptions,
  type StoreWarning,
} from '@mongo-session/core';
import { MongoProxy, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { instrumentOpenTelemetry } from '../src/opentelemetry';

const database = uniqueDatabaseName('core_metrics');
const uri = testUri(database);
const SECRET_A = 'metrics-test-secret-a-0123456789abcdef';
const SECRET_B = 'metrics-test-secret-b-0123456789abcdef';
const stores: SessionStore[] = [];
let collections = 0;
const raw = new MongoClient(uri);

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await raw.db().dropDatabase();
  await raw.close();
});

function open(options: Partial<SessionStoreOptions> = {}): SessionStore {
  // Sweeping (not a TTL index, which some test servers refuse with a warning) keeps warnings to what a test causes.
  const store = new SessionStore({ uri, collection: `metrics_${++collections}`, autoRemove: 'interval', ...options });
  stores.push(store);
  return store;
}

/** What the two channels publish about one collection, from now until `stop()`. */
function record(collection: string) {
  const sessions: SessionMessage[] = [];
  const operations: OperationMessage[] = [];
  const onSession = (message: unknown) => {
    if ((message as SessionMessage).collection === collection) sessions.push(message as SessionMessage);
  };
  const onOperation = (message: unknown) => {
    if ((message as OperationMessage).collection === collection) operations.push(message as OperationMessage);
  };
  subscribe(SESSION_CHANNEL, onSession);
  subscribe(OPERATION_CHANNEL, onOperation);
  return {
    sessions,
    operations,
    events: () => sessions.map((message) => message.event),
    stop() {
      unsubscribe(SESSION_CHANNEL, onSession);
      unsubscribe(OPERATION_CHANNEL, onOperation);
    },
  };
}

/** Ids and data that no message may carry. */
const ID = 'metrics-session-id-4f9c2a71b3';
const NEW_ID = 'metrics-rotated-id-8d1e5b0c62';
const BODY = { user: 'ada', card: 'card-number-4111111111111111' };

function expectNoSecrets(messages: object[]): void {
  const text = JSON.stringify(messages);
  for (const secret of [ID, NEW_ID, 'ada', BODY.card, 'grace']) expect(text).not.toContain(secret);
}

describe('diagnostics channels', () => {
  it('publish each session event and each operation, in order, without ids or data', async () => {
    const store = open();
    await store.ready();
    const seen = record(store.options.collection);
    try {
      expect(await store.get('metrics-absent-id')).toBeNull();
      await store.set(ID, BODY);
      expect(await store.get(ID)).toEqual(BODY);
      const first = await store.load(ID);
      await store.set(ID, { ...BODY, user: 'grace' }, { snapshot: first!.snapshot });
      const second = await store.load(ID);
      // Unchanged, and within the lazy-touch window: neither write reaches the server.
      await store.set(ID, { ...BODY, user: 'grace' }, { snapshot: second!.snapshot });
      await store.touch(ID, { snapshot: second!.snapshot });
      await store.touch(ID);
      await store.touch(ID, { snapshot: second!.snapshot, touchAfterMs: 0 });
      expect(await store.regenerate(ID, NEW_ID)).toBe(true);
      const read = await store.read(NEW_ID);
      expect(read.session).toEqual({ ...BODY, user: 'grace' });
      await store.destroy(NEW_ID);
      expect((await store.read(NEW_ID)).session).toBeNull();
    } finally {
      seen.stop();
    }
    expect(seen.events()).toEqual([
      'miss',
      'create',
      'hit',
      'hit',
      'update',
      'hit',
      'touch-skipped',
      'touch-skipped',
      'touch',
      'touch',
      'destroy',
      'create',
      'hit',
      'destroy',
      'miss',
    ]);
    expect(seen.sessions.every((message) => Object.keys(message).sort().join() === 'collection,event')).toBe(true);
    expect(seen.operations.map(({ operation, outcome }) => `${operation}:${outcome}`)).toEqual([
      'read:ok',
      'set:ok',
      'read:ok',
      'read:ok',
      'set:ok',
      'read:ok',
      'set:ok',
      'touch:ok',
      'touch:ok',
      'touch:ok',
      'regenerate:ok',
      'read:ok',
      'destroy:ok',
      'read:ok',
    ]);
    for (const message of seen.operations) {
      expect(Object.keys(message).sort()).toEqual(['collection', 'durationMs', 'operation', 'outcome']);
      expect(typeof message.durationMs).toBe('number');
      expect(message.durationMs).toBeGreaterThanOrEqual(0);
    }
    expectNoSecrets([...seen.sessions, ...seen.operations]);
  });

  it('name every collection-wide operation as documented', async () => {
    const store = open({ owner: (session) => session['user'] as string | undefined });
    await store.ready();
    const seen = record(store.options.collection);
    try {
      await store.set(ID, BODY);
      await store.all();
      await store.length();
      await store.listByOwner('ada');
      await store.countByOwner('ada');
      await store.destroyByOwner('ada');
      await store.sweepExpired();
      await store.clear();
    } finally {
      seen.stop();
    }
    expect(seen.operations.map((message) => message.operation)).toEqual([
      'set',
      'all',
      'length',
      'listByOwner',
      'countByOwner',
      'destroyByOwner',
      'sweepExpired',
      'clear',
    ]);
    const documented = new Set<string>(Object.values(OPERATION_NAMES));
    expect(seen.operations.every((message) => documented.has(message.operation))).toBe(true);
    expectNoSecrets(seen.operations);
  });

  it('publish a decryption failure (a session sealed with another secret) and a miss', async () => {
    const writer = open({ crypto: { secret: SECRET_A } });
    const reader = open({ collection: writer.options.collection, crypto: { secret: SECRET_B } });
    const warnings: StoreWarning[] = [];
    reader.on('warning', (warning) => warnings.push(warning));
    await Promise.all([writer.ready(), reader.ready()]);
    const seen = record(writer.options.collection);
    try {
      await writer.set(ID, BODY);
      expect(await reader.get(ID)).toBeNull();
      expect(await reader.all()).toEqual([]);
      expect(await writer.get(ID)).toEqual(BODY);
    } finally {
      seen.stop();
    }
    expect(seen.events()).toEqual(['create', 'decryption-failed', 'miss', 'decryption-failed', 'hit']);
    expect(warnings.map((warning) => warning.code)).toEqual(['DECRYPTION_FAILED', 'DECRYPTION_FAILED']);
    expectNoSecrets(seen.sessions);
  });

  it('publish sessions a lifetime policy ended, with the reason and never the id', async () => {
    const store = open({
      idleTimeoutMs: 30 * 60_000,
      maxSessionsPerOwner: 1,
      owner: (session) => session['user'] as string | undefined,
    });
    await store.ready();
    const seen = record(store.options.collection);
    try {
      await store.set(ID, BODY);
      await store.set(NEW_ID, BODY); // the same owner: the first session is evicted
      // Idle for an hour, as far as the document says.
      await raw
        .db()
        .collection<{ _id: string }>(store.options.collection)
        .updateOne({ _id: NEW_ID }, { $set: { lastSeenAt: new Date(Date.now() - 60 * 60_000) } });
      expect(await store.get(NEW_ID)).toBeNull();
    } finally {
      seen.stop();
    }
    expect(seen.sessions.map(({ event, reason }) => (reason ? `${event}:${reason}` : event))).toEqual([
      'create',
      'create',
      'expired:evicted',
      'expired:idle',
      'miss',
    ]);
    expectNoSecrets(seen.sessions);
  });

  it('publish the outcome of a failed operation and of one past its deadline', async () => {
    const proxy = await MongoProxy.fromUri(uri);
    const store = open({ uri: proxy.uri(database), operationTimeoutMs: 500 });
    store.on('warning', () => undefined);
    try {
      await store.ready();
      const seen = record(store.options.collection);
      try {
        await store.set(ID, BODY);
        proxy.failCommand('find', { code: 2, codeName: 'BadValue' }, { times: 1 });
        await expect(store.get(ID)).rejects.toThrow();
        proxy.blackHole();
        await expect(store.get(ID)).rejects.toThrow(/operationTimeoutMs/);
      } finally {
        proxy.forward();
        seen.stop();
      }
      expect(seen.operations.map(({ operation, outcome }) => `${operation}:${outcome}`)).toEqual([
        'set:ok',
        'read:error',
        'read:timeout',
      ]);
      expect(seen.events()).toEqual(['create']);
      expectNoSecrets(seen.operations);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  it('publish nothing to a subscriber that left', async () => {
    const store = open();
    const seen = record(store.options.collection);
    await store.set(ID, BODY);
    seen.stop();
    await store.get(ID);
    expect(seen.events()).toEqual(['create']);
    expect(seen.operations.map((message) => message.operation)).toEqual(['set']);
  });
});

/** A reader the test collects from itself: what an exporter would be given. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}

  /** Data points of one instrument for one collection. */
  async points(name: string, collection: string): Promise<DataPoint<unknown>[]> {
    const { resourceMetrics } = await this.collect();
    const metric = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).find((m) => m.descriptor.name === name);
    return ((metric?.dataPoints ?? []) as DataPoint<unknown>[]).filter((point) => point.attributes['collection'] === collection);
  }

  /** `mongo_session.sessions` of one collection, as { event: count }. */
  async sessionCounts(collection: string): Promise<Record<string, number>> {
    const points = await this.points('mongo_session.sessions', collection);
    return Object.fromEntries(points.map((point) => [String(point.attributes['event']), point.value as number]));
  }

  /** `mongo_session.operation.duration` of one collection, as { "operation:outcome": count }, checking each point. */
  async durationCounts(collection: string): Promise<Record<string, number>> {
    const points = await this.points('mongo_session.operation.duration', collection);
    const counts: Record<string, number> = {};
    for (const point of points) {
      const histogram = point.value as Histogram;
      expect(typeof histogram.sum).toBe('number');
      expect(histogram.sum).toBeGreaterThanOrEqual(0);
      expect(histogram.min).toBeGreaterThanOrEqual(0);
      counts[`${point.attributes['operation']}:${point.attributes['outcome']}`] = histogram.count;
    }
    return counts;
  }
}

describe('instrumentOpenTelemetry', () => {
  /** Hit, miss, create, update and a skipped touch, then two reads after `stop`. */
  async function drive(store: SessionStore, stop: () => void): Promise<void> {
    await store.ready();
    await store.get('metrics-absent-id');
    await store.set(ID, BODY);
    const loaded = await store.load(ID);
    await store.set(ID, { ...BODY, user: 'grace' }, { snapshot: loaded!.snapshot });
    const again = await store.load(ID);
    await store.touch(ID, { snapshot: again!.snapshot });
    stop();
    await store.get(ID);
    await store.get('metrics-absent-id');
  }

  const expectedSessions = { miss: 1, create: 1, hit: 2, update: 1, 'touch-skipped': 1 };
  const expectedDurations = { 'read:ok': 3, 'set:ok': 2, 'touch:ok': 1 };

  it('records the session counter and the duration histogram with the meter it is given, until stopped', async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    try {
      const store = open();
      await drive(store, instrumentOpenTelemetry({ meter: provider.getMeter('metrics-test') }));
      const collection = store.options.collection;
      expect(await reader.sessionCounts(collection)).toEqual(expectedSessions);
      expect(await reader.durationCounts(collection)).toEqual(expectedDurations);
      const { resourceMetrics } = await reader.collect();
      const descriptors = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics).map((m) => m.descriptor);
      expect(descriptors.map(({ name, unit }) => ({ name, unit }))).toEqual(
        expect.arrayContaining([
          { name: 'mongo_session.sessions', unit: '{event}' },
          { name: 'mongo_session.operation.duration', unit: 'ms' },
        ]),
      );
      expectNoSecrets(resourceMetrics.scopeMetrics);
    } finally {
      await provider.shutdown();
    }
  });

  it("uses @opentelemetry/api's global meter provider when given no meter", async () => {
    const reader = new CollectingReader();
    const provider = new MeterProvider({ readers: [reader] });
    expect(metrics.setGlobalMeterProvider(provider)).toBe(true);
    try {
      const store = open();
      await drive(store, instrumentOpenTelemetry());
      expect(await reader.sessionCounts(store.options.collection)).toEqual(expectedSessions);
      expect(await reader.durationCounts(store.options.collection)).toEqual(expectedDurations);
      const { resourceMetrics } = await reader.collect();
      expect(resourceMetrics.scopeMetrics.map((scope) => scope.scope.name)).toEqual(['@mongo-session/core']);
    } finally {
      metrics.disable();
      await provider.shutdown();
    }
  });
});

describe('the built package', () => {
  // Runs against the BUILT package (pnpm test builds first), in a child node inside packages/core.
  const run = (args: string[]) =>
    execFileSync(process.execPath, args, { cwd: resolve(__dirname, '..'), encoding: 'utf8' })
      .trim()
      .split('\n')
      .pop();

  it('gives instrumentOpenTelemetry to import and require from @mongo-session/core/opentelemetry', () => {
    const imported = run([
      '--input-type=module',
      '-e',
      `const m = await import('@mongo-session/core/opentelemetry'); console.log(typeof m.instrumentOpenTelemetry)`,
    ]);
    const required = run(['-e', `console.log(typeof require('@mongo-session/core/opentelemetry').instrumentOpenTelemetry)`]);
    expect([imported, required]).toEqual(['function', 'function']);
  });

  it('never loads @opentelemetry/api from the main entry', () => {
    const loaded = run([
      '-e',
      `const core = require('@mongo-session/core');
       console.log(JSON.stringify({ channel: core.SESSION_CHANNEL, otel: Object.keys(require.cache).filter((f) => f.includes('@opentelemetry')).length }))`,
    ]);
    expect(JSON.parse(loaded!)).toEqual({ channel: 'mongo-session:session', otel: 0 });
  });
});
