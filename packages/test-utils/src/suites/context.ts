/** What each shared suite gets: the adapter, its test database, and stores opened on it. */
import type { AdapterDescriptor, StoreOf } from './adapter';

export interface SuiteContext<A extends AdapterDescriptor = AdapterDescriptor> {
  readonly adapter: A;
  /** The database of this `runSharedSuites` call (dropped after it). */
  readonly uri: string;
  /** The adapter's store on `collection` of that database, with extra options (security options, `lifetimeMs`). */
  open(collection: string, extra?: Record<string, unknown>): Promise<StoreOf<A['contract']>>;
}

export function suiteContext<A extends AdapterDescriptor>(adapter: A, uri: string): SuiteContext<A> {
  return {
    adapter,
    uri,
    open: async (collection, extra = {}) =>
      (await adapter.makeStore({ uri, collection, autoRemove: 'interval', ...extra })) as unknown as StoreOf<A['contract']>,
  };
}
