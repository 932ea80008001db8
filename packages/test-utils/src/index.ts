export {
  buildFerretDBLauncher,
  freePort,
  startFerretDB,
  testServer,
  testUri,
  uniqueDatabaseName,
  withDatabase,
} from './server';
export type { FerretDBInstance, TestServerInfo, TestServerKind } from './server';
export { MongoProxy } from './proxy';
export {
  coreContractChecks,
  registerChecks,
  failingChecks,
  MapCoreStore,
  withBrokenDestroy,
  withIgnoredExpiry,
} from './conformance/core';
export type { Check, CoreStoreLike } from './conformance/core';
export { trackProcessFailures } from './process-failures';
export type { ProcessFailures } from './process-failures';
export { CookieClient, closeServer, listen } from './http';
export type { HttpResponse } from './http';
export { koaRoute, objectRouteSession, policyScenarios, runSharedSuites, SHARED_SUITES, sharedRoute } from './suites';
export type {
  AdapterDescriptor,
  AdapterStoreBase,
  Contract,
  PolicyApp,
  PolicyAppOptions,
  Reply,
  RouteSession,
  RunningApp,
  RunSharedSuitesOptions,
  SharedRoute,
  SharedStoreOptions,
  SharedSuiteName,
  StoreOf,
} from './suites';
