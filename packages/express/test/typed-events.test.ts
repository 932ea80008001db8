/**
 * The store's events are typed (`MongoStoreEvents`): listeners get their arguments' types,
 * names it never emits and wrong listeners do not compile (checked by `tsc`, see the
 * `@ts-expect-error` lines), and the events named arrive as typed.
 */
import { MongoStore, type MongoStoreEvents, type StoredSession } from '@mongo-session/express';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

it('on / once / emit are typed by MongoStoreEvents, and the typed events arrive with the session id', async () => {
  const store = new MongoStore({ uri: testUri(uniqueDatabaseName('express_typed_events')), collection: 'typed' });
  store.on('warning', (warning) => void warning.code.toUpperCase());
  const seen: string[] = [];
  store.on('create', (id) => seen.push(`create ${id.length}`));
  store.on('set', (id) => seen.push(`set ${id}`));
  store.once('destroy', (id) => seen.push(`destroy ${id}`));
  store.on('error', (error) => seen.push(error.code));
  // @ts-expect-error: a name this store never emits (koa-generic-session's, not ours)
  store.on('unavailable', () => undefined);
  // @ts-expect-error: `set` passes the session id, a string
  store.on('set', (_id: number) => undefined);
  // @ts-expect-error: `update` carries the session id
  store.emit('update');
  const events: (keyof MongoStoreEvents)[] = ['connect', 'disconnect', 'set'];
  try {
    await store.set('typed-1', { n: 1, cookie: { maxAge: 60_000 } });
    await store.destroy('typed-1');
    const listed: StoredSession[] = await store.listByOwner('nobody');
    expect({ seen, listed, events }).toEqual({
      seen: ['create 7', 'set typed-1', 'destroy typed-1'],
      listed: [],
      events: ['connect', 'disconnect', 'set'],
    });
  } finally {
    await store.close();
  }
});
