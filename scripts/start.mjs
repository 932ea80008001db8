// `pnpm start`: builds what changed, then runs examples/express in the foreground. Ctrl-C
// reaches the example (same process group), which stops what it started and exits 0; this
// launcher only waits for it, so a deliberate stop is not reported as a failure.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const built = spawnSync(process.execPath, [join(root, 'scripts', 'build-changed.mjs')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

const example = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
  cwd: join(root, 'examples', 'express'),
  stdio: 'inherit',
});
process.on('SIGINT', () => undefined); // the example got it too, from the terminal
process.on('SIGTERM', () => example.kill('SIGTERM'));
example.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' || signal === 'SIGTERM' ? 0 : 1)));
