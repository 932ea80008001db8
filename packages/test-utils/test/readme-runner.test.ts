/**
 * The README runner itself can fail: it finds the blocks and the fragment marks, applies only the
 * documented substitutions, and reports an example that does not run, does not typecheck or does
 * not answer, with real child processes and the real test server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CookieClient, testServer } from '@mongo-session/test-utils';
import {
  type CodeBlock,
  codeBlocks,
  moduleKind,
  REPO_ROOT,
  runBlock,
  substituteExample,
} from '@mongo-session/test-utils/readme-examples';

const uri = testServer().uri;
const core = (code: string, language: CodeBlock['language'] = 'js', fragment = false): CodeBlock => ({
  file: 'packages/core/README.md',
  line: 1,
  language,
  heading: 'Test',
  index: 0,
  code,
  fragment,
});

describe('codeBlocks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'readme-runner-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes js / cjs / mjs / ts blocks with their heading, index and fragment mark; skips the others', () => {
    const file = join(dir, 'README.md');
    writeFileSync(
      file,
      [
        '# T',
        '## Usage',
        '```sh',
        'npm install x',
        '```',
        '```js',
        'a();',
        '```',
        '<!-- fragment -->',
        '',
        '```ts',
        'b();',
        '```',
        '## Other',
        '```text',
        'c',
        '```',
        '```mjs',
        'await d();',
        '```',
      ].join('\n'),
    );
    const found = codeBlocks(file).map(({ line, language, heading, index, code, fragment }) => ({
      line,
      language,
      heading,
      index,
      code,
      fragment,
    }));
    expect(found).toEqual([
      { line: 6, language: 'js', heading: 'Usage', index: 0, code: 'a();\n', fragment: false },
      { line: 11, language: 'ts', heading: 'Usage', index: 1, code: 'b();\n', fragment: true },
      { line: 18, language: 'mjs', heading: 'Other', index: 0, code: 'await d();\n', fragment: false },
    ]);
  });
});

describe('moduleKind and substituteExample', () => {
  it('a js block with a static import is ESM; require() and dynamic import() are CommonJS', () => {
    expect(moduleKind({ language: 'js', code: "import x from 'y';\n" })).toBe('esm');
    expect(moduleKind({ language: 'js', code: "const x = require('y');\nimport('z');\n" })).toBe('cjs');
    expect(moduleKind({ language: 'ts', code: "const x = require('y');\n" })).toBe('ts');
  });

  it('changes the MongoDB address, the database name and the port, and nothing else', () => {
    const out = substituteExample(
      [
        "connect('mongodb://localhost:27017/myapp/sessions'); connect('mongodb://127.0.0.1:27017/app?w=1');",
        "({ host: 'localhost', port: 27017, db: 'example' }); connect('mongodb://bad.host:27000/x');",
        'app.listen(3000); app.listen({ port: 8080 });',
      ].join('\n'),
      'mongodb://u:p@10.1.2.3:4567/?directConnection=true',
    );
    expect(out).toMatch(
      /^connect\('mongodb:\/\/u:p@10\.1\.2\.3:4567\/readme_myapp_\d+_\w+\/sessions\?directConnection=true'\); connect\('mongodb:\/\/u:p@10\.1\.2\.3:4567\/readme_app_\d+_\w+\?w=1'\);\n/,
    );
    expect(out).toContain("({ host: '10.1.2.3', port: 4567, db: 'example' }); connect('mongodb://bad.host:27000/x');");
    expect(out).toContain('app.listen(0); app.listen({ port: 0 });');
  });
});

describe('runBlock', () => {
  it('CommonJS with top-level await (the old core README example) fails', async () => {
    const run = await runBlock(core("const { SessionStore } = require('@mongo-session/core');\nawait Promise.resolve();\n"), uri);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/SyntaxError/);
  });

  it('an ESM program against the test server runs and exits 0', async () => {
    const run = await runBlock(
      core(
        "import { SessionStore } from '@mongo-session/core';\n" +
          "const store = new SessionStore({ uri: 'mongodb://localhost:27017/app' });\n" +
          "await store.set('a', { n: 1 }, { ttlMs: 60000 });\n" +
          "console.log((await store.load('a')).session.n); // prints: 1\n" +
          'await store.close();\n',
      ),
      uri,
    );
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: '1\n' });
  });

  it('TypeScript is typechecked under nodenext before it runs: a type error is reported, not run', async () => {
    const run = await runBlock(
      core("import { SessionStore } from '@mongo-session/core';\nconst n: number = 'x';\nconsole.log('ran');\n", 'ts'),
      uri,
    );
    expect(run.typeErrors).toEqual([expect.stringMatching(/2:7 Type 'string' is not assignable to type 'number'/)]);
    expect(run.stdout).toBe('');
  });

  it('TypeScript that typechecks runs as ESM (top-level await)', async () => {
    const run = await runBlock(
      core(
        "import { SessionStore } from '@mongo-session/core';\nconst n: number = await Promise.resolve(SessionStore.name.length);\nconsole.log(n);\n",
        'ts',
      ),
      uri,
    );
    expect({ typeErrors: run.typeErrors, code: run.code, stdout: run.stdout }).toEqual({
      typeErrors: [],
      code: 0,
      stdout: '12\n',
    });
  });

  it('a fragment is only parsed: a syntax error fails, an undefined name does not run', async () => {
    expect((await runBlock(core('undefinedThing(;\n', 'js', true), uri)).code).not.toBe(0);
    const run = await runBlock(core("undefinedThing(); console.log('ran');\n", 'js', true), uri);
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: '' });
  });

  it('a server gets the real requests of the visit, then is stopped; a failing visit rejects', async () => {
    const server = core(
      "require('@mongo-session/core');\nrequire('node:http').createServer((req, res) => res.end('hi ' + req.url)).listen(3000);\n",
    );
    let body = '';
    const run = await runBlock(server, uri, {
      visit: async (base) => {
        body = (await new CookieClient(base).get('/x')).text;
      },
    });
    expect({ body, code: run.code, listening: run.baseUrl?.startsWith('http://127.0.0.1:') }).toEqual({
      body: 'hi /x',
      code: null,
      listening: true,
    });
    await expect(
      runBlock(server, uri, {
        visit: async () => {
          throw new Error('wrong answer');
        },
      }),
    ).rejects.toThrow(/wrong answer/);
  });

  it('leaves no file behind in the package directory', async () => {
    const { readdirSync } = await import('node:fs');
    expect(
      readdirSync(join(REPO_ROOT, 'packages', 'core')).filter((f) => f.startsWith(`.readme-example-${process.pid}-`)),
    ).toEqual([]);
  });
});
