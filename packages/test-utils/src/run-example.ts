/**
 * Runs a CommonJS example program (e.g. a replaced package's README example with the package
 * name changed) through the README runner (readme-examples.ts): in a child `node` inside
 * `packageDir`, so `require('@mongo-session/<package>')` resolves to the BUILT package.
 * `.listen(<port>)` becomes `.listen(0)`; once the app has answered `visit`, the child is stopped.
 */
import { type ExampleRun as RunnerResult, runExampleSource } from './readme-examples';

export type ExampleRun = Pick<RunnerResult, 'stdout' | 'stderr' | 'code'>;

export async function runExample(
  packageDir: string,
  source: string,
  options: { visit?: (baseUrl: string) => Promise<void>; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ExampleRun> {
  const run = await runExampleSource(packageDir, source.replace(/\.listen\(\d+/g, '.listen(0'), 'cjs', options);
  return { stdout: run.stdout, stderr: run.stderr, code: run.code };
}
