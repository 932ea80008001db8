/**
 * A hung server: it accepts connections and never answers (the proxy's black hole).
 * Every operation must fail within its deadline, the work waiting on MongoDB must stay
 * bounded, and the store must find the server again soon after it answers again.
 */
import { MongoClient } from 'mongodb';
import { ErrorCode, SessionStore } from '@mongo-session/core';
import { MongoProxy, testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** A full collection (the flag above exposes `gc` to new contexts). */
const collectGarbage = runInNewContext('gc') as () => void;

const database = uniqueDatabaseName('core_hung');
let proxy: MongoProxy;

beforeAll(async () => {
  proxy = await MongoProxy.fromUri(testUri(database));
});

afterAll(async () => {
  proxy.forward();
  await proxy.close();
  const raw = new MongoClient(testUri(database));
  await raw.db().dropDatabase();
  await raw.close();
});

/** Settles with how long `work` took and how it ended, never rejecting. */
async function timed<T>(work: Promise<T>): Promise<{ ms: number; value?: T; error?: { code?: unknown; message: string } }> {
  const started = Date.now();
  try {
    const value = await work;
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error: error as { code?: unknown; message: string } };
  }
}

describe('a hung server', () => {
  it('fails each operation within operationTimeoutMs, bounds pending work, and recovers within 3 s', async () => {
    const failures = trackProcessFailures();
    const store = new SessionStore({
      uri: proxy.uri(database),
      collection: 'hung',
      autoRemove: 'interval',
      operationTimeoutMs: 1000,
      maxPendingOperations: 200,
    });
    const events: string[] = [];
    store.on('disconnect', () => events.push('disconnect'));
    store.on('connect', () => events.push('connect'));
    store.on('warning', () => undefined);
    try {
      await store.ready();
      await store.set('kept', { user: 'ada' });

      proxy.blackHole();
      // One wave of ordinary operations: each answers within the deadline plus scheduling slack.
      const wave = await Promise.all([
        timed(store.get('kept')),
        timed(store.set('kept', { user: 'ada', n: 1 })),
        timed(store.touch('kept')),
        timed(store.destroy('other')),
      ]);
      for (const result of wave) {
        expect(result.error?.code).toBe(ErrorCode.Connection);
        expect(result.ms).toBeLessThan(1000 + 1000);
      }
      expect(wave[0]!.error!.message).toMatch(/did not answer within 1000 ms \(operationTimeoutMs\)/);
      expect(events).toContain('disconnect');

      // A flood: no more than maxPendingOperations wait on MongoDB; the rest fail at once.
      // Retained memory, not garbage the collector has not reached yet on a busy machine.
      collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      const flood = await Promise.all(Array.from({ length: 3000 }, (_, i) => timed(store.get(`flood-${i}`))));
      expect(store.pendingOperations).toBeLessThanOrEqual(200);
      const refused = flood.filter((r) => /maxPendingOperations/.test(r.error?.message ?? ''));
      expect(refused.length).toBeGreaterThanOrEqual(2800);
      expect(flood.every((r) => r.error?.code === ErrorCode.Connection && r.ms < 2000)).toBe(true);
      collectGarbage();
      const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 1048576;
      expect(heapGrowthMb).toBeLessThan(64);

      const healed = Date.now();
      proxy.forward();
      let recoveredMs = -1;
      while (Date.now() - healed < 10_000) {
        const attempt = await timed(store.get('kept'));
        if (attempt.value) {
          recoveredMs = Date.now() - healed;
          // The set that timed out may still land once the server answers (its outcome is unknown, as after any timeout).
          expect(attempt.value).toMatchObject({ user: 'ada' });
          expect([undefined, 1]).toContain((attempt.value as { n?: number }).n);
          break;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      console.log(
        `hung server: first wave failed in ${wave.map((r) => r.ms).join('/')} ms; flood of 3000: ${refused.length} refused at once, ` +
          `heap +${heapGrowthMb.toFixed(1)} MB; served again ${recoveredMs} ms after the server answered`,
      );
      expect(recoveredMs).toBeGreaterThanOrEqual(0);
      expect(recoveredMs).toBeLessThan(3000);
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
      proxy.forward();
      await store.close();
    }
  });
});
