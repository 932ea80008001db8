/**
 * The `mongo-session` command, run as users run it: the BUILT bin (pnpm test builds first),
 * in a child process, against the real test server.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { type Collection, type Document, MongoClient } from 'mongodb';
import { testServer, testUri, uniqueDatabaseName } from '@mongo-session/test-utils';
import { SessionStore } from '@mongo-session/core';

const BIN = resolve(__dirname, '..', 'dist', 'cli.cjs');
const DATABASE = uniqueDatabaseName('core_cli');
const URI = testUri(DATABASE);
const HOUR = 60 * 60 * 1000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd ?? resolve(__dirname, '..'), env: { ...process.env, MONGO_SESSION_URI: undefined, ...options.env } },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** Runs a command with --json against one collection and parses its output. */
async function json(collection: string, args: string[], options?: { cwd?: string }): Promise<Document> {
  const result = await run([...args, '--uri', URI, '--collection', collection, '--json'], options);
  expect({ code: result.code, stderr: result.code === 0 ? '' : result.stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(result.stdout) as Document;
}

let client: MongoClient;
const stores: SessionStore[] = [];

function storeFor(collection: string): SessionStore {
  const store = new SessionStore({
    uri: URI,
    collection,
    autoRemove: 'disabled',
    owner: (session) => (typeof session['user'] === 'string' ? session['user'] : undefined),
  });
  stores.push(store);
  return store;
}

function collection(name: string): Collection<Document> {
  return client.db(DATABASE).collection(name);
}

/** Every document, sorted by _id: to show that a command changed nothing. */
async function everything(col: Collection<Document>): Promise<Document[]> {
  return col.find({}).sort({ _id: 1 }).toArray();
}

const inAnHour = () => new Date(Date.now() + HOUR);
const anHourAgo = () => new Date(Date.now() - HOUR);

beforeAll(async () => {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: build first (pnpm test builds; or pnpm --filter @mongo-session/core build).`);
  client = await new MongoClient(URI).connect();
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await client.close();
});

describe('usage', () => {
  it('prints help for the command and for each subcommand (exit 0); no command or an unknown one is a usage error (exit 2)', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    const commands = ['stats', 'list', 'purge', 'ensure-indexes', 'import'];
    const helps = await Promise.all(commands.map((command) => run([command, '--help'])));
    commands.forEach((command, i) => {
      expect(top.stdout).toContain(command);
      expect(helps[i]).toMatchObject({ code: 0, stdout: expect.stringContaining(`Usage: mongo-session ${command}`) });
    });
    expect((await run(['help', 'purge'])).stdout).toBe(helps[2]!.stdout);
    expect((await run([])).code).toBe(2);
    const unknown = await run(['frobnicate']);
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown command "frobnicate"') });
  });

  it('refuses unknown options, bad values, missing choices and a missing connection string with exit 2', async () => {
    const cases: [string[], string][] = [
      [['stats', '--uri', URI, '--bogus'], 'bogus'],
      [['stats', '--uri', URI, '--top', 'many'], '--top'],
      [['purge', '--uri', URI], 'exactly one of'],
      [['purge', '--uri', URI, '--expired', '--all'], 'exactly one of'],
      [['purge', '--uri', URI, '--all'], '--yes'],
      [['import', '--uri', URI], '--from'],
      [['import', '--uri', URI, '--from', 'koa-session-mongo'], '--from'],
      [['import', '--uri', URI, '--from', 'connect-mongodb-session', '--peer-secret', 'x'], '--peer-secret'],
      [['ensure-indexes', '--uri', URI, '--auto-remove', 'sometimes'], '--auto-remove'],
      [['stats'], 'MONGO_SESSION_URI'],
      [['stats', '--uri', 'http://user:hunter2@example.com'], 'not a valid'],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    cases.forEach(([args, named], i) => {
      expect({ args, code: results[i]!.code }).toEqual({ args, code: 2 });
      expect(results[i]!.stderr).toContain(named);
      expect(results[i]!.stderr).not.toContain('hunter2');
    });
  });

  it('takes the connection string from MONGO_SESSION_URI; an unreachable server fails with exit 1', async () => {
    const fromEnv = await run(['stats', '--collection', 'cli_env', '--json'], { env: { MONGO_SESSION_URI: URI } });
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({ collection: 'cli_env', documents: 0 });
    const unreachable = await run(['stats', '--uri', 'mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=300']);
    expect(unreachable).toMatchObject({ code: 1, stderr: expect.stringContaining('could not reach the server') });
  });
});

describe('stats, list and purge', () => {
  const name = 'cli_seeded';
  const SECRET_VALUE = 'the-cart-holds-a-secret';

  beforeAll(async () => {
    const store = storeFor(name);
    await store.set('ada-1', { user: 'ada', cart: [SECRET_VALUE] }, { ttlMs: HOUR });
    await store.set('ada-2', { user: 'ada' }, { ttlMs: HOUR });
    await store.set('bob-1', { user: 'bob' }, { ttlMs: HOUR });
    await store.set('cy-1', { user: 'cy' }, { ttlMs: HOUR });
    await store.set('old-ours', { user: 'ada' }, { ttlMs: HOUR });
    await collection(name).updateOne({ _id: 'old-ours' as never }, { $set: { expires: anHourAgo() } });
    expect(await store.destroyByOwner('bob')).toBe(1);
    await collection(name).insertMany([
      { _id: 'cm-live', session: JSON.stringify({ user: 'zed', cookie: {} }), expires: inAnHour() },
      { _id: 'cm-old', session: JSON.stringify({ cookie: {} }), expires: anHourAgo() },
      { _id: 'cms-live', session: { cookie: {} }, expires: inAnHour() },
      { _id: 'unknown', something: 'else' },
    ] as never[]);
  });

  it('stats counts live, expired and revoked documents by format, owners, and the size', async () => {
    const stats = await json(name, ['stats']);
    expect(stats).toMatchObject({
      collection: name,
      documents: 9,
      live: 5, // ada-1, ada-2, cy-1, cm-live, cms-live
      expired: 2, // old-ours, cm-old
      tombstones: { inForce: 1, expired: 0 },
      other: 1,
      owners: {
        withLiveSessions: 2,
        top: [
          { owner: 'ada', sessions: 2 },
          { owner: 'cy', sessions: 1 },
        ],
      },
    });
    expect(stats['byFormat']).toEqual({
      'mongo-session': { live: 3, expired: 1 },
      'connect-mongo (JSON string)': { live: 1, expired: 1 },
      'connect-mongodb-session / connect-mongo stringify: false (BSON)': { live: 1, expired: 0 },
    });
    expect(stats['size'].bytes).toBeGreaterThan(0);
    expect(['documents', 'collStats']).toContain(stats['size'].source);
    const text = await run(['stats', '--uri', URI, '--collection', name, '--top', '1']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('live sessions:   5');
    expect(text.stdout).toContain('ada: 2');
    expect(text.stdout).not.toContain('cy: 1');
  });

  it('list --owner prints ids, expiry and state, never contents unless --show-data', async () => {
    const text = await run(['list', '--uri', URI, '--collection', name, '--owner', 'ada']);
    expect(text.code).toBe(0);
    const lines = text.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t'));
    expect(lines.map(([id, , state]) => [id, state])).toEqual([
      ['ada-1', 'live'],
      ['ada-2', 'live'],
      ['old-ours', 'expired'],
    ]);
    expect(Number.isNaN(Date.parse(lines[0]![1]!))).toBe(false);
    expect(text.stdout).not.toContain(SECRET_VALUE);

    const listed = await json(name, ['list', '--owner', 'ada', '--show-data']);
    expect(listed['sessions'][0]).toMatchObject({ id: 'ada-1', state: 'live', session: { user: 'ada', cart: [SECRET_VALUE] } });
    const all = await json(name, ['list', '--limit', '2']);
    expect(all).toMatchObject({ truncated: true, sessions: [{ id: 'ada-1' }, { id: 'ada-2' }] });
    const revoked = (await json(name, ['list', '--limit', '0']))['sessions'].find((s: Document) => s['id'] === 'bob-1');
    expect(revoked).toMatchObject({ state: 'revoked' });
  });

  it('purge --dry-run counts and deletes nothing; --expired, --owner and --all --yes delete in batches with progress', async () => {
    const col = collection(name);
    const before = await everything(col);
    expect(await json(name, ['purge', '--expired', '--dry-run'])).toEqual({ matched: 2, deleted: 0, dryRun: true });
    expect(await json(name, ['purge', '--all', '--dry-run'])).toMatchObject({ matched: 9, deleted: 0 });
    expect(await everything(col)).toEqual(before);

    const expired = await run(['purge', '--uri', URI, '--collection', name, '--expired', '--batch-size', '1']);
    expect(expired.code).toBe(0);
    expect(expired.stdout).toContain('deleted 2 document(s)');
    // stderr is a pipe here: plain progress lines, one per batch.
    expect(expired.stderr.trim().split('\n')).toEqual(['purge: 1/2 (50%)', 'purge: 2/2 (100%)']);
    expect(await col.countDocuments({ _id: { $in: ['old-ours', 'cm-old'] } as never })).toBe(0);

    expect(await json(name, ['purge', '--owner', 'ada', '--quiet'])).toMatchObject({ deleted: 2 });
    expect(await col.countDocuments({ owner: 'ada' })).toBe(0);
    expect(await json(name, ['purge', '--all', '--yes', '--quiet'])).toMatchObject({ deleted: 5 });
    expect(await col.countDocuments({})).toBe(0);
  });
});

describe('ensure-indexes', () => {
  it("creates the store's indexes and says when the server refuses TTL indexes", async () => {
    const name = 'cli_indexes';
    const result = await json(name, ['ensure-indexes', '--owner-index']);
    const indexes = await collection(name).listIndexes().toArray();
    const keys = indexes.map((index) => Object.keys(index['key']).join(','));
    expect(keys).toEqual(expect.arrayContaining(['expires', 'owner']));
    if (testServer().kind === 'ferretdb') {
      // FerretDB refuses TTL indexes: a plain index, and the store's sweep.
      expect(result).toMatchObject({ ttl: 'refused', expiry: 'interval', error: null });
      const text = await run(['ensure-indexes', '--uri', URI, '--collection', name]);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain('REFUSED');
      expect(text.stdout).toContain('sweep');
    } else {
      expect(result).toMatchObject({ ttl: 'created', expiry: 'native', error: null });
      expect(indexes.find((index) => Object.keys(index['key']).join() === 'expires')?.['expireAfterSeconds']).toBe(0);
    }
    // Idempotent.
    expect(await json(name, ['ensure-indexes', '--owner-index'])).toMatchObject({ ttl: result['ttl'] });
  });
});

describe('import', () => {
  const bodyOf = (i: number) => ({ user: `u${i % 3}`, n: i, cookie: { maxAge: HOUR } });

  it('rewrites connect-mongo documents in batches, resumably, keeping bodies and expiry; --dry-run changes nothing', async () => {
    const name = 'cli_import_cm';
    const col = collection(name);
    const expiry = new Map<string, Date>();
    const peers = Array.from({ length: 25 }, (_, i) => {
      const expires = new Date(Date.now() + HOUR + i * 1000);
      expiry.set(`cm-${String(i).padStart(2, '0')}`, expires);
      return { _id: `cm-${String(i).padStart(2, '0')}`, session: JSON.stringify(bodyOf(i)), expires };
    });
    // Ours first: a store that finds peer documents writes new sessions in their shape.
    await storeFor(name).set('ours', { user: 'u0', mine: true });
    await col.insertMany([
      ...peers,
      { _id: 'cm-expired', session: JSON.stringify({ n: -1 }), expires: anHourAgo() },
      { _id: 'cm-garbage', session: '{not json', expires: inAnHour() },
      { _id: 'cms-1', session: { n: 100 }, expires: inAnHour() },
    ] as never[]);

    const before = await everything(col);
    expect(await json(name, ['import', '--from', 'connect-mongo', '--dry-run', '--quiet'])).toEqual({
      from: 'connect-mongo',
      dryRun: true,
      imported: 25,
      expired: 1,
      unreadable: 1,
      remaining: 27,
    });
    expect(await everything(col)).toEqual(before);

    // Stopped after 10, then resumed.
    const first = await run([
      'import',
      '--uri',
      URI,
      '--collection',
      name,
      '--from',
      'connect-mongo',
      '--limit',
      '10',
      '--batch-size',
      '4',
    ]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('rewrote 10 connect-mongo session(s)');
    expect(first.stdout).toContain('17 connect-mongo document(s) remain');
    expect(first.stderr).toContain('import: 10/10 (100%)');
    expect(await col.countDocuments({ v: 1 })).toBe(11);
    const second = await json(name, ['import', '--from', 'connect-mongo', '--quiet', '--owner-key', 'user']);
    expect(second).toMatchObject({ imported: 15, expired: 1, unreadable: 1, remaining: 2 });
    expect(await json(name, ['import', '--from', 'connect-mongo', '--quiet'])).toMatchObject({ imported: 0, remaining: 2 });

    const reader = new SessionStore({ uri: URI, collection: name, autoRemove: 'disabled' });
    stores.push(reader);
    for (let i = 0; i < 25; i++) {
      const id = `cm-${String(i).padStart(2, '0')}`;
      const doc = await col.findOne({ _id: id as never });
      expect(doc).toMatchObject({ v: 1, expires: expiry.get(id), createdAt: expect.any(Date) });
      expect(typeof doc!['session']).toBe('object'); // our lossless subdocument, no longer a JSON string
      expect(await reader.get(id)).toEqual(bodyOf(i));
      // --owner-key set the owner of the sessions the second run rewrote.
      if (i >= 10) expect(doc!['owner']).toBe(`u${i % 3}`);
    }
    const untouched = await col.findOne({ _id: 'cms-1' as never });
    expect(untouched).toMatchObject({ session: { n: 100 } });
    expect(untouched).not.toHaveProperty('v');
    expect(await col.findOne({ _id: 'ours' as never })).toMatchObject({ v: 1 });
    expect(await json(name, ['import', '--from', 'connect-mongodb-session', '--quiet'])).toMatchObject({
      imported: 1,
      remaining: 0,
    });
    expect(await reader.get('cms-1')).toEqual({ n: 100 });
  });

  it("imports connect-mongo's encrypted sessions with --peer-secret, and leaves them without it", async () => {
    const name = 'cli_import_crypto';
    const col = collection(name);
    // Encrypted as connect-mongo 6 encrypts (its kruptein, installed with it).
    const expressDir = resolve(__dirname, '..', '..', 'express');
    const fromConnectMongo = createRequire(createRequire(resolve(expressDir, 'package.json')).resolve('connect-mongo'));
    const kruptein = fromConnectMongo('kruptein')({ hashing: 'sha512', encodeas: 'base64' });
    const encrypt = (body: object): string => {
      let out = '';
      kruptein.set('squirrel', JSON.stringify(body), (error: unknown, ciphertext: string) => {
        if (error) throw error;
        out = ciphertext;
      });
      return out;
    };
    await col.insertOne({ _id: 'sealed', session: encrypt({ user: 'ada', n: 1 }), expires: inAnHour() } as never);

    const without = await run(['import', '--uri', URI, '--collection', name, '--from', 'connect-mongo', '--json', '--quiet'], {
      cwd: expressDir,
    });
    expect(without.code).toBe(0);
    expect(JSON.parse(without.stdout)).toMatchObject({ imported: 0, unreadable: 1, remaining: 1 });
    expect(without.stderr).toContain('CORRUPT_DOCUMENT');
    expect(without.stderr).not.toContain('sealed');

    const withSecret = await json(name, ['import', '--from', 'connect-mongo', '--peer-secret', 'squirrel', '--quiet'], {
      cwd: expressDir,
    });
    expect(withSecret).toMatchObject({ imported: 1, unreadable: 0, remaining: 0 });
    const reader = new SessionStore({ uri: URI, collection: name, autoRemove: 'disabled' });
    stores.push(reader);
    expect(await reader.get('sealed')).toEqual({ user: 'ada', n: 1 });
  });
});
