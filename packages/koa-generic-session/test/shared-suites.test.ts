/** Every shared suite that applies to the koa-generic-session contract, through @mongo-session/koa-generic-session (see ./adapter.ts). */
import { runSharedSuites } from '@mongo-session/test-utils';
import { adapter } from './adapter';

runSharedSuites(adapter);
