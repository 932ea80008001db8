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

it("require() and import() give the same named exports, the core's error tree among them", () => {
  const { required, imported } = exportedNames(join(__dirname, '..'), '@mongo-session/koa-generic-session');
  expect(imported).toEqual(expect.arrayContaining(adapterExportNames()));
  expect(required).toEqual(expect.arrayContaining(imported));
});
