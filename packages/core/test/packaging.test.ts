import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { testUri, uniqueDatabaseName } from '@mongo-session/test-utils';

// Runs against the BUILT package (pnpm test builds first), in a child node inside packages/core so
// that `@mongo-session/core` resolves through the package's own "exports".
const packageDir = resolve(__dirname, '..');

function run(source: string): string {
  return execFileSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: packageDir,
    encoding: 'utf8',
    env: { ...process.env, TEST_URI: testUri(uniqueDatabaseName('core_packaging')) },
  }).trim();
}

describe('the built package', () => {
  it('an app loading both the ESM and the CJS build shares one client registry and one error code map', () => {
    const output = run(`
      import { createRequire } from 'node:module';
      import * as esm from '@mongo-session/core';
      const cjs = createRequire(import.meta.url)('@mongo-session/core');
      const a = new esm.SessionStore({ uri: process.env.TEST_URI });
      const b = new cjs.SessionStore({ uri: process.env.TEST_URI });
      await a.set('shared', { from: 'esm' });
      const read = await b.get('shared');
      const state = globalThis[Symbol.for('@mongo-session/core')];
      const closedError = await (async () => { await a.close(); return a.get('x').catch((e) => e); })();
      console.log(JSON.stringify({
        distinctBuilds: esm.SessionStore !== cjs.SessionStore,
        clients: state.clients.size,
        read,
        sameCode: closedError.code === cjs.ErrorCode.StoreClosed,
        crossInstanceof: closedError instanceof cjs.StoreClosedError,
      }));
      await cjs.closeAll();
      console.log(state.clients.size);
    `);
    const [summary, afterCloseAll] = output.split('\n').slice(-2);
    expect(JSON.parse(summary!)).toEqual({
      distinctBuilds: true,
      clients: 1,
      read: { from: 'esm' },
      sameCode: true,
      // Why code, not instanceof, is the contract across builds:
      crossInstanceof: false,
    });
    expect(afterCloseAll).toBe('0');
  });
});

describe('@mongo-session/core/adapter-exports (what every adapter re-exports)', () => {
  it.each([
    ['import', `import * as main from '@mongo-session/core'; import * as sub from '@mongo-session/core/adapter-exports';`],
    [
      'require',
      `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);
       const main = require('@mongo-session/core'); const sub = require('@mongo-session/core/adapter-exports');`,
    ],
  ])(
    'holds every error class and code map of the main entry, closeAll and hashSessionId, the very same objects (%s)',
    (_, load) => {
      const output = run(`
      ${load}
      const names = Object.keys(sub).filter((name) => name !== 'default' && name !== 'module.exports');
      const required = Object.keys(main).filter((name) => {
        const value = main[name];
        const errorClass = typeof value === 'function' && (value === Error || value.prototype instanceof Error);
        return errorClass || (/Code$/.test(name) && typeof value === 'object');
      });
      console.log(JSON.stringify({
        missing: [...required, 'closeAll', 'hashSessionId'].filter((name) => !names.includes(name)),
        notTheMainEntrys: names.filter((name) => sub[name] !== main[name]),
        errorClasses: required.filter((name) => name.endsWith('Error')).length,
      }));
    `);
      const result = JSON.parse(output.split('\n').pop()!);
      expect(result).toEqual({ missing: [], notTheMainEntrys: [], errorClasses: expect.any(Number) });
      expect(result.errorClasses).toBeGreaterThanOrEqual(8);
    },
  );
});
