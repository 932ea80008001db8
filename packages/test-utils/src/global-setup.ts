import { setupTestServer } from './server';

export default async function globalSetup(): Promise<void> {
  // Workers inherit this: the stores' process warnings (one per code) only when a report is asked for.
  if (process.env['MONGO_SESSION_TEST_REPORT'] !== '1') process.env['NODE_NO_WARNINGS'] = '1';
  await setupTestServer();
}
