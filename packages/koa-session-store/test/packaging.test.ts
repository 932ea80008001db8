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
  it('require() is { create, closeConnections, default } plus the named exports', () => {
    const out = node([
      '-e',
      `const m = require('@mongo-session/koa-session-store');
       const s = m.create({ port: 1, connectionOptions: { serverSelectionTimeoutMS: 100 } });
       console.log(JSON.stringify([['create', 'closeConnections', 'default'].filter((k) => k in m).sort(), typeof m.create, typeof m.closeConnections,
         m.default.create === m.create, m.default.closeConnections === m.closeConnections,
         typeof s.load, typeof s.save, typeof s.remove, typeof s.on]));
       m.closeConnections();`,
    ]);
    expect(JSON.parse(out)).toEqual([
      ['closeConnections', 'create', 'default'],
      'function',
      'function',
      true,
      true,
      'function',
      'function',
      'function',
      'function',
    ]);
  });

  it('import gives named exports and a default { create, closeConnections }', () => {
    const out = node([
      '--input-type=module',
      '-e',
      `import d, { create, closeConnections, KoaSessionStoreLayer } from '@mongo-session/koa-session-store';
       console.log(JSON.stringify([typeof create, typeof closeConnections, typeof KoaSessionStoreLayer, d.create === create, d.closeConnections === closeConnections]));`,
    ]);
    expect(JSON.parse(out)).toEqual(['function', 'function', 'function', true, true]);
  });
});

describe('README js blocks run against the built package', () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const server = testServer().uri.replace(/\/$/, '');

  it('has the Usage and the Migration examples', () => {
    expect(blocks).toHaveLength(2);
  });

  it.each(blocks.map((block, i) => [i, block] as const))('block %i counts views over real requests', async (_i, block) => {
    const source = block.replace(
      /mongodb:\/\/(localhost|127\.0\.0\.1):27017\/\w+/g,
      `${server}/${uniqueDatabaseName('kss_readme')}`,
    );
    const bodies: string[] = [];
    const run = await runExample(packageDir, source, {
      visit: async (base) => {
        const client = new CookieClient(base);
        for (let i = 0; i < 2; i++) bodies.push((await client.get('/')).text);
      },
    });
    expect(bodies).toEqual(['1 views', '2 views']);
    expect(run.stderr).not.toMatch(/session store:/);
  });
});

it("require() and import() give the same named exports, the core's error tree among them", () => {
  const { required, imported } = exportedNames(join(__dirname, '..'), '@mongo-session/koa-session-store');
  expect(imported).toEqual(expect.arrayContaining([...CORE_REEXPORTS]));
  expect(required).toEqual(expect.arrayContaining(imported));
});
