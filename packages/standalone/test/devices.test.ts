/**
 * Device records and rotation at log-in through the standalone handle over real HTTP: the
 * `device` option of `connect()` sees the request that creates a session; `regenerate()` keeps
 * the record and the creation time (core regenerate); `destroyByOwner(owner, { except })` logs
 * out the other browsers.
 */
import { MongoClient } from 'mongodb';
import MongoSess from '@mongo-session/standalone';
import { closeServer, CookieClient, listen, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { q, sessionApp } from './helpers';

const dbName = uniqueDatabaseName('standalone_devices');
const uri = testUri(dbName);
const raw = new MongoClient(uri);
const server = sessionApp({ keys: ['a key'] });
let baseUrl: string;
const warnings: string[] = [];

beforeAll(async () => {
  await MongoSess.connect({
    uri,
    collection: 'devices',
    owner: (s) => s['user'] as string | undefined,
    device: (req) => {
      if (req.headers['user-agent'] === 'throws') throw new Error('no user agent today');
      return { userAgent: req.headers['user-agent'] ?? null };
    },
  });
  MongoSess.store!.on('warning', (w) => warnings.push(w.code));
  baseUrl = await listen(server);
});

afterAll(async () => {
  await closeServer(server);
  await MongoSess.close();
  await raw.db(dbName).dropDatabase();
  await raw.close();
});

const browser = (userAgent: string) => {
  const client = new CookieClient(baseUrl);
  return { client, get: (path: string) => client.get(path, { 'user-agent': userAgent }) };
};

it('keeps the user agent of the request that created the session, through the log-in rotation', async () => {
  const laptop = browser('Firefox on a laptop');
  await laptop.get(q('/set', { cart: 1 })); // an anonymous session first
  const before = await laptop.client.cookie('sess');
  const created = (await raw
    .db(dbName)
    .collection('devices')
    .findOne({ _id: before as never }))!['createdAt'];
  await laptop.get(q('/login', 'kim'));
  const after = await laptop.client.cookie('sess');
  expect(after).not.toBe(before);
  const phone = browser('Safari on a phone');
  await phone.get(q('/login', 'kim'));
  const listed = await MongoSess.listByOwner('kim');
  expect(listed.map((entry) => entry.device?.['userAgent']).sort()).toEqual(['Firefox on a laptop', 'Safari on a phone']);
  const laptopEntry = listed.find((entry) => entry.id === after)!;
  expect(laptopEntry.createdAt).toEqual(created); // rotation keeps the creation time
  // Log out the other devices: only the laptop stays.
  expect(await MongoSess.destroyByOwner('kim', { except: after! })).toBe(1);
  expect((await phone.get(q('/get', 'user'))).json<{ result: unknown }>().result).toBe('__undefined');
  expect((await laptop.get(q('/get', 'user'))).json<{ result: unknown }>().result).toBe('kim');
});

it('a device() that throws costs no session: saved without a record, DEVICE_FAILED', async () => {
  const odd = browser('throws');
  await odd.get(q('/login', 'lee'));
  expect((await odd.get(q('/get', 'user'))).json<{ result: unknown }>().result).toBe('lee');
  expect((await MongoSess.listByOwner('lee')).map((entry) => entry.device)).toEqual([undefined]);
  expect(warnings).toContain('DEVICE_FAILED');
});
