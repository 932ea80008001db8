/** The koa-session-store conformance suite through @mongo-session/koa-session-store (the rest: shared-suites.test.ts). */
import { runSharedSuites } from '@mongo-session/test-utils';
import { adapter } from './adapter';

runSharedSuites(adapter, { only: ['conformance'] });
