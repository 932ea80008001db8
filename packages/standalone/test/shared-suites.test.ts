/** Every shared suite that applies to the standalone contract, through @mongo-session/standalone (see ./adapter.ts). */
import { runSharedSuites } from '@mongo-session/test-utils';
import { adapter } from './adapter';

runSharedSuites(adapter);
