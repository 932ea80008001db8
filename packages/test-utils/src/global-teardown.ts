import { teardownTestServer } from './server';

export default async function globalTeardown(): Promise<void> {
  await teardownTestServer();
}
