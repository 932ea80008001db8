/**
 * Switching logs nobody out: sessions written by connect-mongo 6 (JSON string)
 * and connect-mongodb-session 5 (BSON) through real express apps are read by
 * ours from the same collection, and the first write rewrites them in our format.
 */
import { MongoClient } from 'mongodb';
import session from 'express-session';
import { MongoStore } from '@mongo-session/express';
import { CookieClient, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { type RunningApp, startApp } from './apps';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ConnectMongo = require('connect-mongo').MongoStore as { create(options: Record<string, unknown>): session.Store & { close(): Promise<void> } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const connectMongoDBSession = require('connect-mongodb-session') as (s: typeof session) => new (options: Record<string, unknown>) => session.Store & { client: MongoClient };

const database = uniqueDatabaseName('express_switching');
const uri = testUri(database);
const raw = new MongoClient(uri);
const cleanups: (() => Promise<unknown>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await raw.db().dropDatabase();
  await raw.close();
});

async function started(store: session.Store): Promise<RunningApp> {
  const app = await startApp('express5', { store, cookie: { maxAge: 3_600_000 } });
  cleanups.push(() => app.close());
  return app;
}

/** Writes a session with `oldStore`, then reads and changes it through ours. */
async function switchFrom(oldStore: session.Store, collection: string) {
  const oldApp = await started(oldStore);
  const browser = new CookieClient(oldApp.baseUrl);
  await browser.get('/set?user=ada&plan=pro');
  const id = (await browser.get('/id')).json<{ id: string }>().id;
  const before = await raw.db().collection(collection).findOne({ _id: id as never });
  await oldApp.close();

  const ours = new MongoStore({ uri, collection, autoRemove: 'disabled' });
  cleanups.push(() => ours.close());
  const newApp = await started(ours);
  const sameBrowser = new CookieClient(newApp.baseUrl);
  await sameBrowser.setCookie('connect.sid', (await browser.cookie('connect.sid'))!);
  const read = (await sameBrowser.get('/get')).json();
  const changed = (await sameBrowser.get('/set?visits=1')).json();
  const after = await raw.db().collection(collection).findOne({ _id: id as never });
  return { before, read, changed, after, id: (await sameBrowser.get('/id')).json<{ id: string }>().id, expected: id };
}

it('reads and rewrites sessions written by connect-mongo 6 (JSON string body)', async () => {
  const old = ConnectMongo.create({ mongoUrl: uri, collectionName: 'from_connect_mongo', autoRemove: 'disabled' });
  cleanups.push(() => old.close());
  const result = await switchFrom(old, 'from_connect_mongo');
  expect(typeof result.before!['session']).toBe('string');
  expect(result.before!['v']).toBeUndefined();
  expect(result.id).toBe(result.expected);
  expect(result.read).toEqual({ user: 'ada', plan: 'pro' });
  expect(result.changed).toEqual({ user: 'ada', plan: 'pro', visits: '1' });
  expect(result.after).toMatchObject({ v: 1, session: { user: 'ada', plan: 'pro', visits: '1' } });
});

it('reads and rewrites sessions written by connect-mongodb-session 5 (BSON body)', async () => {
  const Old = connectMongoDBSession(session);
  const old = new Old({ uri, collection: 'from_cmds' });
  old.on('error', () => undefined);
  cleanups.push(() => old.client.close());
  const result = await switchFrom(old, 'from_cmds');
  expect(typeof result.before!['session']).toBe('object');
  expect(result.before!['v']).toBeUndefined();
  expect(result.id).toBe(result.expected);
  expect(result.read).toEqual({ user: 'ada', plan: 'pro' });
  expect(result.changed).toEqual({ user: 'ada', plan: 'pro', visits: '1' });
  expect(result.after).toMatchObject({ v: 1, session: { user: 'ada', plan: 'pro', visits: '1' } });
});
