import MongoDBStore from '@mongo-session/koa-generic-session';
import { testUri, trackProcessFailures, uniqueDatabaseName } from '@mongo-session/test-utils';

const uri = testUri(uniqueDatabaseName('koa_generic_session_store'));
const unreachable = { uri: 'mongodb://127.0.0.1:1/x', connectionOptions: { serverSelectionTimeoutMS: 300 } };

describe('seed constructor callback and events', () => {
  it('the callback fires once with null when connected; connect is forwarded', async () => {
    const calls: unknown[] = [];
    const store = new MongoDBStore({ uri, collection: 'cb' }, (error) => calls.push(error));
    const connected = new Promise<void>((resolve) => store.once('connect', () => resolve()));
    try {
      await store.ready();
      await connected;
      await new Promise((r) => setTimeout(r, 50));
      expect(calls).toEqual([null]);
      expect(store.connected).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('an unreachable server: the callback gets the error once, the error event fires, operations reject', async () => {
    const calls: { code?: string }[] = [];
    const errors: { code?: string; message: string }[] = [];
    // Called without `new`, as the seed allowed.
    const store = (MongoDBStore as unknown as (o: object, cb: (e: Error | null) => void) => InstanceType<typeof MongoDBStore>)(
      unreachable,
      (error) => calls.push(error as { code?: string }),
    );
    store.on('error', (error) => errors.push(error));
    try {
      await expect(store.get('koa:sess:x')).rejects.toMatchObject({ code: 'MONGO_SESSION_CONNECTION' });
      await new Promise((r) => setTimeout(r, 100));
      expect(calls.map((e) => e.code)).toEqual(['MONGO_SESSION_CONNECTION']);
      expect(errors.map((e) => e.code)).toEqual(['MONGO_SESSION_CONNECTION']);
    } finally {
      await store.close();
    }
  });

  it('with neither callback nor error listener, a failed connection does not crash', async () => {
    const failures = trackProcessFailures();
    const store = new MongoDBStore(unreachable);
    try {
      await expect(store.set('koa:sess:x', { a: 1 }, 1000)).rejects.toMatchObject({ code: 'MONGO_SESSION_CONNECTION' });
      await new Promise((r) => setTimeout(r, 500));
      expect(failures.unhandledRejections).toEqual([]);
      expect(failures.uncaughtExceptions).toEqual([]);
    } finally {
      failures.stop();
      await store.close();
    }
  });

  it('invalid options throw synchronously, naming the option', () => {
    expect(() => new MongoDBStore({ uri, collection: '' })).toThrow(expect.objectContaining({ option: 'collection' }));
  });
});
