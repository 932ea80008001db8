/**
 * The BUILT package: `require` and `import` shapes (child processes in this package's directory,
 * so Node resolves the package by name through "exports"). The README's examples are run by
 * packages/test-utils/test/readme-examples.test.ts.
 */
import { adapterExportNames, exportedNames } from '@mongo-session/test-utils/packaging';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

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

it("require() and import() give the same named exports, the core's error tree among them", () => {
  const { required, imported } = exportedNames(join(__dirname, '..'), '@mongo-session/koa-session-store');
  expect(imported).toEqual(expect.arrayContaining(adapterExportNames()));
  expect(required).toEqual(expect.arrayContaining(imported));
});
