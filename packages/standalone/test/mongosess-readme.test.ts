/**
 * MongoSess's own README example (issue #16): test/fixtures/mongosess-readme-example.cjs is the
 * example of the mongosess 0.4.0 README, verbatim but for the package name in its first require.
 * It runs here as a real http server in this process (its `require('@mongo-session/standalone')`
 * is this package's source) and is driven over HTTP by CookieClient. Substituted at run time, each
 * exactly once: `host: 'localhost'` and `port: 12345` by the test server's host and port, and
 * `server.listen(3000)` by `server.listen(0)` (a free port).
 */
import * as http from 'node:http';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Keygrip from 'keygrip';
import { MongoClient } from 'mongodb';
import MongoSess from '@mongo-session/standalone';
import { CookieClient, closeServer, testServer, trackProcessFailures, type HttpResponse } from '@mongo-session/test-utils';

const example = readFileSync(join(__dirname, 'fixtures', 'mongosess-readme-example.cjs'), 'utf8');
const README_KEYS = ['secret1', 'secret2'];
let mongo: MongoClient;
let running: { server: http.Server; client: CookieClient } | undefined;

beforeAll(() => {
  mongo = new MongoClient(testServer().uri);
});

afterEach(async () => {
  if (!running) return;
  const store = MongoSess.store;
  await closeServer(running.server); // the example closes MongoSess on the server's 'close'
  await store?.close();
  running = undefined;
});

afterAll(async () => {
  await MongoSess.close();
  await mongo.close();
});

/** Replaces the one occurrence of `from`; fails if there is none or several (the example changed). */
function substitute(source: string, from: string, to: string): string {
  const parts = source.split(from);
  if (parts.length !== 2) throw new Error(`expected "${from}" once in the example, found it ${parts.length - 1} times`);
  return parts.join(to);
}

/**
 * Runs `source` as a CommonJS module whose require gives this package (from source), keygrip,
 * and node's http whose servers pass each response through `respond` first. Resolves once the
 * example's server listens.
 */
async function runExample(
  source: string,
  respond?: (res: http.ServerResponse) => void,
): Promise<{ server: http.Server; client: CookieClient }> {
  const server = new URL(testServer().uri);
  let code = substitute(source, "host: 'localhost'", `host: '${server.hostname}'`);
  code = substitute(code, 'port: 12345', `port: ${server.port}`);
  code = substitute(code, 'server.listen(3000)', 'server.listen(0)');
  const created = new Promise<http.Server>((resolve) => {
    const createServer = (handler: http.RequestListener): http.Server => {
      const made = http.createServer((req, res) => {
        respond?.(res);
        handler(req, res);
      });
      resolve(made);
      return made;
    };
    const modules: Record<string, unknown> = {
      '@mongo-session/standalone': MongoSess,
      keygrip: Keygrip,
      http: Object.create(http, { createServer: { value: createServer } }),
    };
    const requireModule = (name: string): unknown => {
      if (!(name in modules)) throw new Error(`the example required "${name}"`);
      return modules[name];
    };
    const module = { exports: {} };
    new Function('require', 'module', 'exports', code)(requireModule, module, module.exports);
  });
  const made = await created;
  if (!made.listening) await once(made, 'listening');
  running = { server: made, client: new CookieClient(`http://127.0.0.1:${(made.address() as AddressInfo).port}/`) };
  return running;
}

/** Waits until `done()` holds (the continuations after the first answer run after the response). */
async function until(done: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 5000; !done(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Each of the four snippets, verbatim, runs for its own path: `/`, `/some-time-later`, `/even-later`, `/and-eventually`. */
function oneSnippetPerRequest(source: string): string {
  let code = substitute(source, '    // Set some data.\n', "    if (req.url === '/') {\n    // Set some data.\n");
  let snippets = 1;
  code = code.replace(/\n {4}\/\*\n {5}\* (.+?)\n {5}\*\/\n/g, (_, words: string) => {
    snippets++;
    const path = words.toLowerCase().replace(/\W+/g, ' ').trim().replaceAll(' ', '-');
    return `\n    } else if (req.url === '/${path}') {\n`;
  });
  if (snippets !== 4) throw new Error(`expected four snippets in the example, found ${snippets}`);
  return substitute(code, '  })\n\n  server.listen', '    }\n  })\n\n  server.listen');
}

const cookieNames = (res: HttpResponse): string[] => res.setCookies.map((line) => line.split('=')[0]!);
const sessions = () => mongo.db('example').collection<{ _id: string }>('sessions');

describe("MongoSess's README example, verbatim", () => {
  /**
   * The example's handler calls set, get, del and end at once, and each continuation answers
   * the request (writeHead + end). Node 20 throws ERR_HTTP_HEADERS_SENT from a second writeHead;
   * MongoSess's promise library (pinky-promise) swallowed such throws, this package does not
   * (packaging.test.ts runs the example as it is in a plain node process). Here a second answer
   * is recorded instead and, as under MongoSess, changes nothing.
   */
  function recordLateAnswers(late: string[]) {
    return (res: http.ServerResponse): void => {
      const writeHead = res.writeHead.bind(res);
      const end = res.end.bind(res);
      res.writeHead = ((...args: Parameters<typeof writeHead>) =>
        res.headersSent ? res : writeHead(...args)) as typeof res.writeHead;
      res.end = ((body?: unknown) => {
        if (!res.writableEnded) return end(body as string);
        late.push(String(body));
        return res;
      }) as typeof res.end;
    };
  }

  it('answers every request, runs set, get, del and end in order, and never crashes', async () => {
    const failures = trackProcessFailures();
    const late: string[] = [];
    try {
      const { client } = await runExample(example, recordLateAnswers(late));
      const events: string[] = [];
      for (const event of ['create', 'update', 'touch', 'destroy'] as const)
        MongoSess.store!.on(event, (id: string) => events.push(`${event} ${id}`));
      for (let request = 0; request < 3; request++) {
        late.length = 0;
        events.length = 0;
        const res = await client.get('/');
        expect({ status: res.status, text: res.text }).toEqual({ status: 200, text: 'Your name is John Doe.' });
        // The cookie is named by cookieName and signed with keys; end() in the same handler clears it.
        expect(cookieNames(res)).toEqual(['sessionCookie', 'sessionCookie.sig']);
        expect(res.setCookies.every((line) => /expires=Thu, 01 Jan 1970/i.test(line))).toBe(true);
        await until(() => late.length === 3 && events.length === 3, 'the late continuations');
        // get saw what set wrote, del removed it, end ended the session: in the order called.
        expect(late).toEqual(['Hello, john doe.', 'You no longer have a name.', 'Goodbye!']);
        const id = events[0]!.split(' ')[1]!;
        expect(events).toEqual([`create ${id}`, `update ${id}`, `destroy ${id}`]);
        expect(await sessions().findOne({ _id: id })).toBeNull();
      }
      expect(failures.uncaughtExceptions).toEqual([]);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
    }
  });
});

describe('the same example, one snippet per request, as its comments ("Some time later...") say', () => {
  it('keeps the session across requests under the README cookie options, then ends it', async () => {
    const failures = trackProcessFailures();
    try {
      const { client } = await runExample(oneSnippetPerRequest(example));
      const first = await client.get('/');
      expect(first.text).toBe('Your name is John Doe.');
      expect(cookieNames(first)).toEqual(['sessionCookie', 'sessionCookie.sig']);
      expect(first.setCookies.some((line) => /expires=|max-age=/i.test(line))).toBe(false); // expires: 0
      const id = (await client.cookie('sessionCookie'))!;
      expect(new Keygrip(README_KEYS).verify(`sessionCookie=${id}`, (await client.cookie('sessionCookie.sig'))!)).toBe(true);
      expect(await sessions().findOne({ _id: id })).toMatchObject({ session: { name: 'john doe' } });

      const later = await client.get('/some-time-later');
      expect({ text: later.text, setCookies: later.setCookies }).toEqual({ text: 'Hello, john doe.', setCookies: [] });
      // Another browser has a session of its own.
      expect((await new CookieClient(client.baseUrl).get('/some-time-later')).text).toBe('Hello, undefined.');
      // A forged signature reads nothing.
      const forger = new CookieClient(client.baseUrl);
      await forger.setCookie('sessionCookie', id);
      await forger.setCookie('sessionCookie.sig', 'forged0000000000000000000');
      expect((await forger.get('/some-time-later')).text).toBe('Hello, undefined.');

      expect((await client.get('/even-later')).text).toBe('You no longer have a name.');
      expect((await client.get('/some-time-later')).text).toBe('Hello, undefined.');
      expect(await client.cookie('sessionCookie')).toBe(id);

      const goodbye = await client.get('/and-eventually');
      expect(goodbye.text).toBe('Goodbye!');
      expect(await client.cookie('sessionCookie')).toBeUndefined();
      expect(await sessions().findOne({ _id: id })).toBeNull();
      expect((await client.get('/some-time-later')).text).toBe('Hello, undefined.');
      expect(failures.uncaughtExceptions).toEqual([]);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
    }
  });
});

describe('a browser logged in under MongoSess, after the switch', () => {
  /**
   * MongoSess stored `{ _id: <ObjectId hex string>, createdAt: Date, ...the keys given to set() }`
   * (no `session`, `expires` or `v` field; its lifetime was a TTL index on `createdAt`) and sent
   * `<cookieName>=<that id>` plus `<cookieName>.sig`, a Keygrip signature of `name=value` (cookies
   * 0.3, keygrip 1.0: the same HMAC-SHA1 as keygrip 1.1's). The cookie is accepted and the document
   * read: the browser stays logged in, and the document stays in MongoSess's shape.
   * (test/mongosess-migration.test.ts runs MongoSess itself both ways.)
   */
  it('its signed cookie and its document are read; a write keeps the document in its shape', async () => {
    const failures = trackProcessFailures();
    try {
      const { client } = await runExample(oneSnippetPerRequest(example));
      const warnings: string[] = [];
      MongoSess.store!.on('warning', (w) => warnings.push(w.code));
      const legacyId = '5c9910d7789c5a93aabbccdd';
      const legacy = { _id: legacyId, createdAt: new Date(), name: 'jane doe' };
      await sessions().deleteOne({ _id: legacyId });
      await sessions().insertOne(legacy);
      await client.setCookie('sessionCookie', legacyId);
      await client.setCookie('sessionCookie.sig', new Keygrip(README_KEYS).sign(`sessionCookie=${legacyId}`));

      expect((await client.get('/some-time-later')).text).toBe('Hello, jane doe.');
      expect((await client.get('/')).text).toBe('Your name is John Doe.');
      expect(await client.cookie('sessionCookie')).toBe(legacyId);
      expect((await client.get('/some-time-later')).text).toBe('Hello, john doe.');
      expect(await sessions().findOne({ _id: legacyId })).toEqual({ ...legacy, name: 'john doe' });
      expect(warnings).toEqual([]);
      await sessions().deleteOne({ _id: legacyId });
      expect(failures.uncaughtExceptions).toEqual([]);
      expect(failures.unhandledRejections).toEqual([]);
    } finally {
      failures.stop();
    }
  });
});
