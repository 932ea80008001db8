// Builds the packages whose sources changed since their last build (all of them the first
// time): `pnpm start` and `pnpm bench` start in seconds when nothing changed.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const shared = ['tsup.base.ts', 'tsconfig.base.json'].map((file) => join(root, file));

/** The newest (or, with `oldest`, the oldest) modification time of the files below `paths`. */
function mtime(paths, oldest = false) {
  let found = oldest ? Infinity : 0;
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) visit(join(path, entry));
    } else {
      found = oldest ? Math.min(found, stat.mtimeMs) : Math.max(found, stat.mtimeMs);
    }
  };
  paths.forEach(visit);
  return found;
}

const stale = [];
for (const dir of readdirSync(join(root, 'packages'))) {
  const pkgDir = join(root, 'packages', dir);
  const manifest = join(pkgDir, 'package.json');
  if (!existsSync(manifest)) continue;
  const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
  if (!pkg.scripts?.build) continue;
  const inputs = [join(pkgDir, 'src'), manifest, join(pkgDir, 'tsup.config.ts'), ...shared];
  const built = mtime([join(pkgDir, 'dist')], true);
  if (!existsSync(join(pkgDir, 'dist')) || mtime(inputs) > built) stale.push(pkg.name);
}

if (stale.length === 0) {
  console.log('packages are up to date: nothing to build');
} else {
  console.log(`building ${stale.join(', ')}`);
  const filters = stale.flatMap((name) => ['--filter', name]);
  execFileSync('pnpm', [...filters, 'run', 'build'], { cwd: root, stdio: 'inherit' });
}
