/**
 * Runs an example program in a child `node` inside this package's directory,
 * so `require('@mongo-session/<package>')` resolves to the BUILT package
 * (Node's self-reference through "exports"). `app.listen(<port>)` is rewritten to
 * a free port; after the app answers `visit`, the child is stopped.
 */
import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ExampleRun {
  stdout: string;
  stderr: string;
  /** Exit code, or null when the runner stopped it after the visit. */
  code: number | null;
}

let n = 0;

export function runExample(
  packageDir: string,
  source: string,
  options: { visit?: (baseUrl: string) => Promise<void>; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<ExampleRun> {
  const listened = source.replace(
    /(\w+)\.listen\(\d+\);?/g,
    (_m, app: string) => `const __server = ${app}.listen(0, () => console.log('__PORT__' + __server.address().port));`,
  );
  const file = join(packageDir, `test/.example-${process.pid}-${n++}.cjs`);
  writeFileSync(file, listened);
  return new Promise<ExampleRun>((resolve, reject) => {
    const child = spawn(process.execPath, [file], {
      cwd: packageDir,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let stopped = false;
    let visiting = false;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      rmSync(file, { force: true });
      if (error) reject(new Error(`${error.message}\nstdout: ${stdout}\nstderr: ${stderr}`));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new Error('the example did not finish in time'));
    }, options.timeoutMs ?? 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      const port = /__PORT__(\d+)/.exec(stdout)?.[1];
      if (!port || visiting) return;
      visiting = true;
      const visit = options.visit ?? (async () => undefined);
      visit(`http://127.0.0.1:${port}/`).then(
        () => {
          stopped = true;
          child.kill('SIGTERM');
        },
        (error: Error) => {
          child.kill('SIGKILL');
          finish(error);
        },
      );
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('exit', (code) => {
      finish();
      resolve({ stdout, stderr, code: stopped ? null : code });
    });
  });
}
