/** Every shared suite that applies to the express contract, through @mongo-session/express (see ./adapter.ts). */
import { runSharedSuites } from '@mongo-session/test-utils';
import { adapter } from './adapter';

runSharedSuites(adapter);
