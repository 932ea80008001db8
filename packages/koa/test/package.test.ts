/**
 * The BUILT package, loaded the way users load it: `require` and `import` in a
 * child node process inside the package directory (Node resolves the package's
 * own name through "exports").
 */
import { join } from 'node:path';
import { adapterExportNames, exportedNames } from '@mongo-session/test-utils/packaging';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

const packageDir = resolve(__dirname, '..');
const uri = testUri(uniqueDatabaseName('koa_package'));

function runNode(code: string, module: boolean): unknown {
  const args = module ? ['--input-type=module', '-e', code] : ['-e', code];
  const out = execFileSync(process.execPath, args, {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, URI: uri },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const probe = (load: string) => `
${load}
const describe = (v) => typeof v;
const store = m.createStore({ uri: process.env.URI, collection: 'shape' });
const result = {
  module: describe(m),
  createStore: describe(m.createStore),
  defaultIsCreateStore: m.default === m.createStore || m.default === m,
  KoaSessionStore: describe(m.KoaSessionStore),
  instance: store instanceof m.KoaSessionStore,
  methods: ['get', 'set', 'destroy', 'close', 'ready', 'on', 'once', 'off'].filter((k) => typeof store[k] === 'function'),
};
await store.set('shape-1', { a: 1, _expire: Date.now() + 60000, _maxAge: 60000 }, 70000, { changed: true, ctx: {}, rolling: false });
result.roundTrip = await store.get('shape-1', 70000, { ctx: {}, rolling: false });
await store.destroy('shape-1', { ctx: {} });
await store.close();
console.log(JSON.stringify(result));
`;

const expectedMethods = ['get', 'set', 'destroy', 'close', 'ready', 'on', 'once', 'off'];

describe('built package', () => {
  it("require('@mongo-session/koa') is the factory, with createStore, default and KoaSessionStore on it", () => {
    const result = runNode(`(async () => {${probe("const m = require('@mongo-session/koa');")}})()`, false) as Record<
      string,
      unknown
    >;
    expect(result).toMatchObject({
      module: 'function',
      createStore: 'function',
      defaultIsCreateStore: true,
      KoaSessionStore: 'function',
      instance: true,
      methods: expectedMethods,
    });
    expect(result['roundTrip']).toMatchObject({ a: 1 });
    // the module itself is callable: require('@mongo-session/koa')(options)
    const callable = runNode(
      `const f = require('@mongo-session/koa'); const s = f({ uri: process.env.URI }); console.log(JSON.stringify(s instanceof f.KoaSessionStore)); s.close();`,
      false,
    );
    expect(callable).toBe(true);
  });

  it('import() gives createStore as a named and as the default export', () => {
    const result = runNode(probe("const m = await import('@mongo-session/koa');"), true) as Record<string, unknown>;
    expect(result).toMatchObject({
      module: 'object',
      createStore: 'function',
      defaultIsCreateStore: true,
      KoaSessionStore: 'function',
      instance: true,
      methods: expectedMethods,
    });
    expect(result['roundTrip']).toMatchObject({ a: 1 });
  });
});

it("require() and import() give the same named exports, the core's error tree among them", () => {
  const { required, imported } = exportedNames(join(__dirname, '..'), '@mongo-session/koa');
  expect(imported).toEqual(expect.arrayContaining(adapterExportNames()));
  expect(required).toEqual(expect.arrayContaining(imported));
});
