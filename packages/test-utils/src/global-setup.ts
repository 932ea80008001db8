import { setupTestServer } from './server';

export default async function globalSetup(): Promise<void> {
  await setupTestServer();
}
