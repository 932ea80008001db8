import { closeSharedClients } from './connection';
import { globalState } from './registry';

/**
 * Closes every store still open and every client this library created, in
 * this process (both builds share the registry). Clients, Dbs and mongoose
 * connections passed in by the application are left open.
 */
export async function closeAll(): Promise<void> {
  const stores = [...globalState().stores];
  await Promise.allSettled(stores.map((store) => store.close()));
  await closeSharedClients();
}
