/**
 * What a BUILT package gives `require()` and `import()`, each asked in a `node` of its own
 * inside the package directory: the named exports must be the same in both module systems.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function namesFrom(packageDir: string, args: string[]): string[] {
  const result = spawnSync(process.execPath, args, { cwd: packageDir, encoding: 'utf8', timeout: 30_000 });
  if (result.status !== 0 || result.stderr) throw new Error(`node failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as string[]).filter((name) => name !== 'default' && name !== 'module.exports').sort();
}

export function exportedNames(packageDir: string, packageName: string): { required: string[]; imported: string[] } {
  return {
    required: namesFrom(packageDir, ['-e', `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(packageName)}))))`]),
    imported: namesFrom(packageDir, [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(packageName)}); console.log(JSON.stringify(Object.keys(m)))`,
    ]),
  };
}

const HERE = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
const CORE_DIR = join(HERE, '..', '..', 'core');
let coreReexports: string[] | undefined;

/**
 * What every adapter re-exports: the names of the BUILT core's `@mongo-session/core/adapter-exports`
 * (its error tree, codes and helpers), the same from `require` and `import`. The list is written
 * once, in the core; the core's packaging test checks what it must hold.
 */
export function adapterExportNames(): string[] {
  if (!coreReexports) {
    const { required, imported } = exportedNames(CORE_DIR, '@mongo-session/core/adapter-exports');
    if (imported.length === 0 || required.join() !== imported.join()) {
      throw new Error(`@mongo-session/core/adapter-exports: import gives [${imported}], require gives [${required}]`);
    }
    coreReexports = imported;
  }
  return coreReexports;
}
