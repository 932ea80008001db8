/**
 * What a BUILT package gives `require()` and `import()`, each asked in a `node` of its own
 * inside the package directory: the named exports must be the same in both module systems.
 */
import { spawnSync } from 'node:child_process';

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

/** The core's error tree, warning codes and helpers, which every adapter re-exports. */
export const CORE_REEXPORTS = [
  'ErrorCode',
  'WarningCode',
  'MongoSessionError',
  'InvalidOptionError',
  'InvalidSessionIdError',
  'InvalidArgumentError',
  'ConnectionError',
  'OperationError',
  'SerializationError',
  'StoreClosedError',
  'closeAll',
  'hashSessionId',
] as const;
