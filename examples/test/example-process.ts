/**
 * Runs an example's `src/main.ts` the way `pnpm start` does (node with tsx's loader, inside the
 * example's directory, so `@mongo-session/*` resolve to the BUILT packages through workspace
 * links), against the test server's database of the caller's choosing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const LISTENING = /mongo-session example listening on (http:\/\/127\.0\.0\.1:\d+) \(sessions in (.+)\)/;

export interface ExampleProcess {
  readonly baseUrl: string;
  /** What the example printed after "sessions in". */
  readonly serverDescription: string;
  readonly child: ChildProcess;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Sends `signal` and waits for the exit; kills it if it is still running after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

/** Throws a clear error when an adapter the example imports has not been built. */
export function assertBuilt(...packages: string[]): void {
  const missing = packages.filter((name) => !existsSync(join(ROOT, 'packages', name, 'dist', 'index.js')));
  if (missing.length > 0) {
    throw new Error(`not built: ${missing.join(', ')}; run \`pnpm run build\` at the root first (\`pnpm test\` does).`);
  }
}

export function startExample(example: string, env: { MONGODB_URI: string } & Record<string, string>): Promise<ExampleProcess> {
  const cwd = join(ROOT, 'examples', example);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise<ExampleProcess>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`examples/${example} did not print its URL within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = LISTENING.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.on('data', (more: Buffer) => (output += more.toString()));
      resolve({
        baseUrl: `${match[1]!}/`,
        serverDescription: match[2]!,
        child,
        output: () => output,
        async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
          const started = Date.now();
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          const result = await exited;
          clearTimeout(killer);
          return { ...result, ms: Date.now() - started };
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`examples/${example} exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}
