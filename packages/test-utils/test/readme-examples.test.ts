/**
 * Every ```js / ```cjs / ```mjs / ```ts block of README.md and packages/<name>/README.md, run as
 * written against the BUILT packages (`pnpm build` first) by the runner in
 * packages/test-utils/src/readme-examples.ts: JavaScript as ESM when it has a static import/export,
 * else as CommonJS; TypeScript typechecked as ESM under `module: nodenext`, then run.
 *
 * What the runner changes in a block, and nothing else:
 * - `mongodb://localhost:27017/<db>` (or 127.0.0.1): the test server's address, and a database of
 *   this run's own named after `<db>` (a collection in the path and a query string stay);
 * - `host: 'localhost', port: 27017`: the test server's host and port;
 * - `.listen(3000` / `.listen({ port: 3000`: port 0; a preloaded hook reports the port taken.
 *
 * A server example gets two GET / requests from one browser (cookie jar), then SIGTERM. Every
 * `// prints: <text>` comment of a block must appear in its output. A program example must exit 0
 * by itself. A block marked `<!-- fragment -->` is only typechecked (TypeScript) or parsed.
 *
 * Every package README's Usage section opens with its first example in two forms, both run: a ```ts
 * block (ESM, strict, nodenext) and a ```js block in CommonJS, with the same expected answers.
 */
import { join } from 'node:path';
import { CookieClient, type HttpResponse, testServer } from '@mongo-session/test-utils';
import {
  blockName,
  type CodeBlock,
  codeBlocks,
  expectedPrints,
  moduleKind,
  packageDirOf,
  REPO_ROOT,
  readmeFiles,
  runBlock,
} from '@mongo-session/test-utils/readme-examples';

interface Expected {
  /** The bodies of the two requests, in order. */
  bodies: (string | RegExp)[];
  /** The session cookie's name, when the block names it. */
  cookie?: string;
}

/**
 * What each server example answers. A server example missing here must still answer 200 twice;
 * an entry naming no block fails (rename it with the heading).
 */
const ANSWERS: Record<string, Expected> = {
  'README.md § Express (express-session) #0': { bodies: ['views: 1', 'views: 2'], cookie: 'connect.sid' },
  'README.md § Connect #0': { bodies: ['views: 1', 'views: 2'], cookie: 'connect.sid' },
  'README.md § Fastify (@fastify/session) #0': { bodies: ['views: 1', 'views: 2'], cookie: 'sessionId' },
  'README.md § Koa (koa-session) #0': { bodies: ['views: 1', 'views: 2'], cookie: 'koa.sess' },
  'README.md § Koa (koa-generic-session) #0': { bodies: ['views: 1', 'views: 2'], cookie: 'koa.sid' },
  'README.md § Koa (koa-session-store) #0': { bodies: ['views: 1', 'views: 2'], cookie: 'koa:sess' },
  'README.md § Plain node:http #0': { bodies: ['views: 1', 'views: 2'], cookie: 'sid' },
  'packages/express/README.md § Usage #0': { bodies: ['views: 1', 'views: 2'], cookie: 'connect.sid' },
  'packages/express/README.md § Usage #1': { bodies: ['views: 1', 'views: 2'], cookie: 'connect.sid' },
  'packages/express/README.md § Migrating from connect-mongodb-session #0': {
    bodies: [/^Hello \{"cookie":/, /^Hello \{"cookie":/],
    cookie: 'connect.sid',
  },
  'packages/express/README.md § Migrating from connect-mongo #0': { bodies: ['ok', 'ok'], cookie: 'connect.sid' },
  'packages/koa/README.md § Usage #0': { bodies: ['views: 1', 'views: 2'], cookie: 'koa.sess' },
  'packages/koa/README.md § Usage #1': { bodies: ['views: 1', 'views: 2'], cookie: 'koa.sess' },
  'packages/koa/README.md § Migrating from koa-redis / koa-session-mongoose #0': { bodies: ['1', '2'], cookie: 'koa.sess' },
  'packages/koa-generic-session/README.md § Usage #0': { bodies: ['views: 1', 'views: 2'], cookie: 'koa.sid' },
  'packages/koa-generic-session/README.md § Usage #1': { bodies: ['views: 1', 'views: 2'], cookie: 'koa.sid' },
  'packages/koa-generic-session/README.md § Migrating from koa-mongodb-session #0': {
    bodies: [/^Hello \{"cookie":/, /^Hello \{"cookie":/],
  },
  'packages/koa-session-store/README.md § Usage #0': { bodies: ['1 views', '2 views'], cookie: 'koa:sess' },
  'packages/koa-session-store/README.md § Usage #1': { bodies: ['1 views', '2 views'], cookie: 'koa:sess' },
  'packages/koa-session-store/README.md § Migrating from koa-session-mongo #0': { bodies: ['1 views', '2 views'] },
  'packages/standalone/README.md § Usage #0': { bodies: ['Visits: 1\n', 'Visits: 2\n'], cookie: 'sid' },
  'packages/standalone/README.md § Usage #1': { bodies: ['Visits: 1\n', 'Visits: 2\n'], cookie: 'sid' },
  'packages/standalone/README.md § Migrating from MongoSess #0': { bodies: ['OK\n', 'OK\n'], cookie: 'sid' },
};

/** The blocks marked `<!-- fragment -->`: kept few, and each one deliberate. */
const FRAGMENTS = [
  'packages/core/README.md § Connecting #0',
  'packages/core/README.md § Connecting #1',
  'packages/standalone/README.md § Log-in: rotate the id #0',
];

/** What the examples' own error listeners print (`session store: ...`), and what Node prints for a crash. */
const TROUBLE = /session store:|Uncaught|Unhandled|^\w*Error\b|^\s+at /m;

const blocks: CodeBlock[] = readmeFiles().flatMap((file) => codeBlocks(join(REPO_ROOT, file)));
const uri = testServer().uri;

describe('the README blocks', () => {
  it('are found in the root README and in every package README', () => {
    const files = new Set(blocks.map((b) => b.file));
    expect([...files].sort()).toEqual(readmeFiles().sort());
  });

  it('the root README has a runnable example for every adapter', () => {
    const used = new Set(blocks.filter((b) => b.file === 'README.md' && !b.fragment).map((b) => packageDirOf(b)));
    for (const name of ['express', 'koa', 'koa-generic-session', 'koa-session-store', 'standalone']) {
      expect(used).toContain(join(REPO_ROOT, 'packages', name));
    }
  });

  it('the fragments are exactly the listed ones', () => {
    expect(blocks.filter((b) => b.fragment).map(blockName)).toEqual(FRAGMENTS);
  });

  it('every expected answer names a block', () => {
    const names = new Set(blocks.map(blockName));
    expect(Object.keys(ANSWERS).filter((name) => !names.has(name))).toEqual([]);
  });
});

/** What a package README's Usage forms must show, beyond running (issue #17). */
const USAGE_MUST_SHOW: Record<string, { ts?: string[]; cjs?: string[] }> = {
  'packages/express/README.md': {
    ts: ["declare module 'express-session'", 'interface SessionData', 'if (!req.session)', '503'],
    cjs: ['if (!req.session)', '503'],
  },
  // koa-session 7: `require('koa-session')` is { createSession, default, SessionOptions }, not the middleware.
  'packages/koa/README.md': { ts: ["from 'koa-session'"], cjs: ["const { createSession } = require('koa-session')"] },
};

describe.each(readmeFiles().filter((file) => file.startsWith('packages/')))('%s § Usage', (file) => {
  const usage = blocks.filter((b) => b.file === file && b.heading === 'Usage');
  const [ts, cjs] = usage;

  it('shows the first example twice: TypeScript (ESM, nodenext), then CommonJS, both run', () => {
    expect(usage.map((b) => ({ kind: moduleKind(b), fragment: b.fragment }))).toEqual([
      { kind: 'ts', fragment: false },
      { kind: 'cjs', fragment: false },
    ]);
    // ESM imports only in the TypeScript form, `require` only in the CommonJS one.
    expect(ts!.code).toMatch(/^import\s/m);
    expect(ts!.code).not.toMatch(/\brequire\(/);
    expect(cjs!.code).toMatch(/\brequire\(/);
    expect(cjs!.code).not.toMatch(/^\s*(?:import|export)\s/m);
  });

  it('the two forms behave alike: the same expected answers, or the same printed text', () => {
    const [tsName, cjsName] = [blockName(ts!), blockName(cjs!)];
    expect(ANSWERS[cjsName]).toEqual(ANSWERS[tsName]);
    expect(expectedPrints(cjs!.code)).toEqual(expectedPrints(ts!.code));
    // Something to compare: a server's answers, or a program's output.
    expect(ANSWERS[tsName] !== undefined || expectedPrints(ts!.code).length > 0).toBe(true);
  });

  it('the forms show what the issue asks of this package', () => {
    for (const text of USAGE_MUST_SHOW[file]?.ts ?? []) expect(ts!.code).toContain(text);
    for (const text of USAGE_MUST_SHOW[file]?.cjs ?? []) expect(cjs!.code).toContain(text);
  });
});

describe.each(blocks.map((b) => [blockName(b), b] as const))('%s', (name, block) => {
  if (block.fragment) {
    it(`${block.language === 'ts' ? 'typechecks' : 'parses'} (a fragment)`, async () => {
      const run = await runBlock(block, uri);
      expect(run.typeErrors).toEqual([]);
      if (block.language !== 'ts') expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    });
    return;
  }

  it(`runs as written (${moduleKind(block) === 'ts' ? 'TypeScript, nodenext' : moduleKind(block) === 'esm' ? 'ESM' : 'CommonJS'}, line ${block.line})`, async () => {
    const answers: HttpResponse[] = [];
    const run = await runBlock(block, uri, {
      visit: async (baseUrl) => {
        const browser = new CookieClient(baseUrl);
        for (let i = 0; i < 2; i++) answers.push(await browser.get('/'));
      },
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.typeErrors).toEqual([]);
    for (const text of expectedPrints(block.code)) expect(output).toContain(text);
    if (run.baseUrl === undefined) {
      // A program: it ends by itself, successfully.
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(TROUBLE) });
      expect(ANSWERS[name]).toBeUndefined();
      return;
    }
    // A server: it answered both requests, and was still running until stopped.
    expect({ code: run.code, statuses: answers.map((a) => a.status) }).toEqual({ code: null, statuses: [200, 200] });
    const expected = ANSWERS[name];
    if (expected) {
      expect(answers.map((a) => a.text)).toEqual(
        expected.bodies.map((body) => (typeof body === 'string' ? body : expect.stringMatching(body))),
      );
      if (expected.cookie) expect(answers[0]!.setCookies.map((line) => line.split('=')[0])).toContain(expected.cookie);
    }
    if (expectedPrints(block.code).length === 0) expect(run.stderr).not.toMatch(TROUBLE);
  });
});
