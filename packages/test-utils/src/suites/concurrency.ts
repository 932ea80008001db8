/** The overlapping-requests scenarios (../concurrency-scenarios.ts) through the adapter's framework. */
import { formatCounts, runConcurrencyScenarios } from '../concurrency-scenarios';
import type { RunningApp, StoreOf } from './adapter';
import type { SuiteContext } from './context';
import { sharedRoute } from './routes';

export function concurrencySuite(ctx: SuiteContext): void {
  const { adapter } = ctx;
  let store: StoreOf<typeof adapter.contract> | undefined;
  let app: RunningApp | undefined;
  beforeAll(async () => {
    store = await ctx.open('overlap');
    store.on('warning', () => undefined); // WRITE_AFTER_DESTROY is expected here
    app = await adapter.serve(store as never, sharedRoute(), { signed: true });
  });
  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('50 overlapping requests keep 50 keys; a deleted key stays deleted; a write racing a destroy does not resurrect', async () => {
    const counts = await runConcurrencyScenarios(app!.baseUrl, adapter.cookies);
    console.log(formatCounts({ [adapter.name]: counts }));
    expect(counts).toEqual({ keptOf50: 50, deletedKeyStayedDeleted: true, slowKeysKeptOf10: 10, destroyedStayedDestroyed: true });
  });
}
