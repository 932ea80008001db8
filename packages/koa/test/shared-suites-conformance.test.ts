/** The koa-session conformance suite through @mongo-session/koa (the rest: shared-suites.test.ts). */
import { runSharedSuites } from '@mongo-session/test-utils';
import { adapter } from './adapter';

runSharedSuites(adapter, { only: ['conformance'] });
