/**
 * The BUILT package (run `npx tsup` / `pnpm build` first): the shapes `require` and `import` give.
 * The README's examples are run by packages/test-utils/test/readme-examples.test.ts.
 */
import { adapterExportNames, exportedNames } from '@mongo-session/test-utils/packaging';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_DIR } from './apps';

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: PACKAGE_DIR, encoding: 'utf8', timeout: 30_000 });

it('require() gives the factory carrying MongoStore and default; the class is callable without new', () => {
  const result = node([
    '-e',
    `const f = require('@mongo-session/express'); const session = require('express-session');
     const S = f(session);
     const s = S({ uri: 'mongodb://127.0.0.1:9/x' });
     console.log(JSON.stringify([typeof f, typeof f.MongoStore, f.default === f, S === f(session),
       s instanceof S, s instanceof f.MongoStore, s instanceof session.Store, typeof f.MongoStore.create]));
     s.close();`,
  ]);
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual(['function', 'function', true, true, true, true, true, 'function']);
});

it('import() gives the factory as default and MongoStore as a named export', () => {
  const result = node([
    '--input-type=module',
    '-e',
    `import f, { MongoStore, ErrorCode } from '@mongo-session/express'; import session from 'express-session';
     console.log(JSON.stringify([typeof f, f.MongoStore === MongoStore, MongoStore.prototype instanceof session.Store,
       typeof ErrorCode.InvalidOption]));`,
  ]);
  expect(result.stderr).toBe('');
  expect(JSON.parse(result.stdout)).toEqual(['function', true, true, 'string']);
});

it("require() and import() give the same named exports, the core's error tree among them", () => {
  const { required, imported } = exportedNames(join(__dirname, '..'), '@mongo-session/express');
  expect(imported).toEqual(expect.arrayContaining(adapterExportNames()));
  expect(required).toEqual(expect.arrayContaining(imported));
});
