/**
 * Every shared suite that applies to the koa-session-store contract, through @mongo-session/koa-session-store (see
 * ./adapter.ts), but conformance: that one runs in shared-suites-conformance.test.ts, so that
 * neither file runs far longer than the other test files.
 */
import { runSharedSuites } from '@mongo-session/test-utils';
import { adapter } from './adapter';

runSharedSuites(adapter, { except: ['conformance'] });
