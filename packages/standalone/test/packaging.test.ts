/**
 * The BUILT package (dist + cjs), loaded by child `node` processes inside the
 * package directory (Node resolves the package's own name through "exports"):
 * module shapes, the completed seed example and MongoSess's README example as it is. This
 * README's own examples are run by packages/test-utils/test/readme-examples.test.ts.
 */
import { adapterExportNames, exportedNames } from '@mongo-session/test-utils/packaging';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CookieClient, freePort, testServer, uniqueDatabaseName, type HttpResponse } from '@mongo-session/test-utils';

const pkgDir = join(__dirname, '..');

function runNode(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, args, {
    cwd: pkgDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitForOutput(output: () => string, pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = output().match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('require() gives MongoSess itself, with .MongoSess, .default, connect, close and disconnect', async () => {
  const script = `
    const M = require('@mongo-session/standalone');
    console.log(JSON.stringify([typeof M, M.MongoSess === M, M.default === M, typeof M.connect, M.disconnect === M.close, typeof M.Session, M.StandaloneErrorCode.HeadersSent]));`;
  const run = runNode(['-e', script]);
  expect(await run.exited).toBe(0);
  expect(JSON.parse(run.output().trim())).toEqual([
    'function',
    true,
    true,
    'function',
    true,
    'function',
    'MONGO_SESSION_HEADERS_SENT',
  ]);
});

it('import() gives a default export and the named exports', async () => {
  const script = `
    import MongoSess, * as ns from '@mongo-session/standalone';
    console.log(JSON.stringify([typeof MongoSess, ns.MongoSess === MongoSess, typeof ns.connect, typeof ns.close, ns.disconnect === ns.close, typeof ns.Session, typeof ns.SessionUsageError]));`;
  const run = runNode(['--input-type=module', '-e', script]);
  expect(await run.exited).toBe(0);
  expect(JSON.parse(run.output().trim())).toEqual(['function', true, 'function', 'function', true, 'function', 'function']);
});

it('the seed example, completed, counts visits per browser and logs out', async () => {
  const server = new URL(testServer().uri);
  const run = runNode(['example/mongosess-example.cjs'], {
    MONGO_HOST: server.hostname,
    MONGO_PORT: server.port,
    MONGO_DB: uniqueDatabaseName('standalone_seed'),
    PORT: '0',
  });
  try {
    const [, url] = await waitForOutput(run.output, /listening on (\S+)/);
    const browser = new CookieClient(url!);
    expect((await browser.get('/')).text).toBe('Visits: 1\n');
    expect((await browser.get('/')).text).toBe('Visits: 2\n');
    expect((await new CookieClient(url!).get('/')).text).toBe('Visits: 1\n');
    const cookieLine = (await new CookieClient(url!).get('/')).setCookies.find((l) => l.startsWith('sess='));
    expect(cookieLine).not.toMatch(/expires=/i); // expires: 0 in the example
    expect((await browser.get('/logout')).text).toBe('Bye\n');
    expect((await browser.get('/')).text).toBe('Visits: 1\n');
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
  }
});

it("MongoSess's README example as it is, in plain node: answers the first request, then stops at its own second writeHead", async () => {
  // Verbatim but for the package name (test/mongosess-readme.test.ts runs it in-process); here only
  // the MongoDB host and port and the HTTP port are substituted. Its handler answers each request
  // four times: Node 20 throws ERR_HTTP_HEADERS_SENT at the second writeHead. MongoSess's promise
  // library swallowed that throw; this package lets a callback's exception reach the app.
  const mongo = new URL(testServer().uri);
  const port = await freePort();
  const source = readFileSync(join(pkgDir, 'test/fixtures/mongosess-readme-example.cjs'), 'utf8')
    .replace("host: 'localhost'", `host: '${mongo.hostname}'`)
    .replace('port: 12345', `port: ${mongo.port}`)
    .replace('server.listen(3000)', `server.listen(${port})`);
  const run = runNode(['-e', source]);
  try {
    let answer: HttpResponse | undefined;
    for (const deadline = Date.now() + 20_000; answer === undefined && Date.now() < deadline; ) {
      answer = await new CookieClient(`http://127.0.0.1:${port}/`)
        .get('/')
        .catch(() => new Promise<undefined>((r) => setTimeout(() => r(undefined), 100)));
    }
    expect(answer?.text).toBe('Your name is John Doe.');
    // Its cookie options were taken: the cookie set, then cleared by end(), is cookieName's, signed.
    expect(answer?.setCookies.map((line) => line.split('=')[0])).toEqual(['sessionCookie', 'sessionCookie.sig']);
    expect(await run.exited).not.toBe(0);
    expect(run.output()).toMatch(/ERR_HTTP_HEADERS_SENT/);
    expect(run.output()).not.toMatch(/MONGO_SESSION_|InvalidOptionError|Unknown option/);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
  }
});

it("require() and import() give the same named exports, the core's error tree among them", () => {
  const { required, imported } = exportedNames(join(__dirname, '..'), '@mongo-session/standalone');
  expect(imported).toEqual(expect.arrayContaining(adapterExportNames()));
  expect(required).toEqual(expect.arrayContaining(imported));
});
