/**
 * `runSharedSuites(adapter)`: every shared suite that applies to the adapter's contract, as
 * Jest tests, in one call (keyv's test-suite is the model). See ./adapter.ts for the descriptor.
 */
import { MongoClient } from 'mongodb';
import { testUri, uniqueDatabaseName } from '../server';
import type { AdapterDescriptor } from './adapter';
import { conformanceSuite } from './conformance';
import { concurrencySuite } from './concurrency';
import { type SuiteContext, suiteContext } from './context';
import { hostileSuite } from './hostile';
import { securitySuite } from './security';

/** The shared suites, by the names `only` and `except` take. */
export const SHARED_SUITES = {
  conformance: conformanceSuite,
  'hostile input': hostileSuite,
  concurrency: concurrencySuite,
  security: securitySuite,
} as const satisfies Record<string, (ctx: SuiteContext) => void>;

export type SharedSuiteName = keyof typeof SHARED_SUITES;

export interface RunSharedSuitesOptions {
  /**
   * Register only these suites, or all but these (default: all). For splitting one adapter's
   * suites over two test files, `{ only: [...] }` in one and `{ except: [...] }` in the other, when
   * one file would run far longer than the others: Jest runs each file in a worker of its own.
   */
  only?: readonly SharedSuiteName[];
  except?: readonly SharedSuiteName[];
}

/** Registers the shared suites for one adapter, each in its own `describe`, on a database of their own. */
export function runSharedSuites(adapter: AdapterDescriptor, options: RunSharedSuitesOptions = {}): void {
  const names = (Object.keys(SHARED_SUITES) as SharedSuiteName[]).filter(
    (name) => (options.only?.includes(name) ?? true) && !options.except?.includes(name),
  );
  const prefix = `shared_${adapter.name.split('/').pop()}`;
  describe(`${adapter.name} (${adapter.contract})`, () => {
    for (const name of names) {
      // A database per suite: FerretDB keeps one SQLite file per database, so suites do not slow each other.
      const uri = testUri(uniqueDatabaseName(`${prefix}_${name.replace(' ', '_')}`));
      describe(name, () => {
        afterAll(async () => {
          const raw = new MongoClient(uri);
          await raw.db().dropDatabase();
          await raw.close();
        });
        SHARED_SUITES[name](suiteContext(adapter, uri));
      });
    }
  });
}

export type {
  AdapterDescriptor,
  AdapterStoreBase,
  Contract,
  ContractApis,
  DescriptorOf,
  Reply,
  RouteSession,
  RunningApp,
  SharedRoute,
  SharedStoreOptions,
  StandaloneStoreLike,
  StoreOf,
} from './adapter';
export { koaRoute, objectRouteSession, sharedRoute } from './routes';
export { policyScenarios } from './policies';
export type { PolicyApp, PolicyAppOptions } from './policies';
