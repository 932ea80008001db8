/**
 * The BUILT package: `require` and `import` shapes (child processes in this package's directory,
 * so Node resolves the package by name through "exports"), and the README's js blocks run
 * against it.
 */
import { CORE_REEXPORTS, exportedNames } from '@mongo-session/test-utils/packaging';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CookieClient, testServer, uniqueDatabaseName } from '@mongo-session/test-utils';
import { runExample } from '@mongo-session/test-utils/run-example';

const packageDir = join(__dirname, '..');
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: packageDir, encoding: 'utf8' }).trim();

describe('the built package', () => {
  it('require() is the MongoDBStore class itself, callable without new', () => {
    const out = node([
      '-e',
      `const S = require('@mongo-session/koa-generic-session');
       const s = S({ uri: 'mongodb://127.0.0.1:1/x', connectionOptions: { serverSelectionTimeoutMS: 100 } });
       console.log(JSON.stringify([typeof S, S.name, S === S.MongoDBStore, S === S.default, s instanceof S,
         typeof s.get, typeof s.set, typeof s.destroy, typeof s.on]));
       s.close();`,
    ]);
    expect(JSON.parse(out)).toEqual([
      'function',
      'MongoDBStore',
      true,
      true,
      true,
      'function',
      'function',
      'function',
      'function',
    ]);
  });

  it('import gives the class as default and as the named export MongoDBStore', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import S, { MongoDBStore } from '@mongo-session/koa-generic-session';
       import C from '@mongo-session/koa-generic-session';
       console.log(JSON.stringify([typeof S, S === MongoDBStore, S === C]));`,
    ]);
    expect(JSON.parse(out)).toEqual(['function', true, true]);
  });
});

describe('README js blocks run against the built package', () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const server = testServer().uri.replace(/\/$/, '');

  it('has the Usage and the Migration examples', () => {
    expect(blocks).toHaveLength(2);
  });

  it.each(blocks.map((block, i) => [i, block] as const))('block %i answers a real request', async (_i, block) => {
    const source = block.replace(
      /mongodb:\/\/(localhost|127\.0\.0\.1):27017\/\w+/g,
      `${server}/${uniqueDatabaseName('kgs_readme')}`,
    );
    let status = 0;
    let text = '';
    const run = await runExample(packageDir, source, {
      visit: async (base) => {
        const response = await new CookieClient(base).get('/');
        status = response.status;
        text = response.text;
      },
    });
    expect(status).toBe(200);
    expect(text).toMatch(/views: 1|Hello \{/);
    expect(run.stderr).not.toMatch(/session store:/);
  });
});

it("require() and import() give the same named exports, the core's error tree among them", () => {
  const { required, imported } = exportedNames(join(__dirname, '..'), '@mongo-session/koa-generic-session');
  expect(imported).toEqual(expect.arrayContaining([...CORE_REEXPORTS]));
  expect(required).toEqual(expect.arrayContaining(imported));
});
