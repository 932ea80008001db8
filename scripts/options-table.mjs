// Renders the Options tables of every package README from the option table in
// packages/core/src/options.ts (between `<!-- options-table -->` markers).
//   node scripts/options-table.mjs          rewrite the tables that differ
//   node scripts/options-table.mjs --check  list them and exit 1 instead
//   node scripts/options-table.mjs --print  print the core's full table
// packages/test-utils/test/readme-options.test.ts fails on any table that differs.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

// The sources are TypeScript: compile them on load with the swc the tests use.
const swc = require('@swc/core');
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
const { renderOptionsTable, optionsBlocks, updateOptionsBlocks } = require(
  join(root, 'packages', 'core', 'src', 'options-table.ts'),
);

const mode = process.argv[2];
if (mode === '--print') {
  process.stdout.write(renderOptionsTable());
  process.exit(0);
}

const stale = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', pkg, 'README.md');
  if (!existsSync(file)) continue;
  const linkBase = pkg === 'core' ? '' : '../core/README.md';
  const text = readFileSync(file, 'utf8');
  if (optionsBlocks(text, linkBase).every((block) => block.actual === block.expected)) continue;
  stale.push(`packages/${pkg}/README.md`);
  if (mode !== '--check') writeFileSync(file, updateOptionsBlocks(text, linkBase));
}
if (stale.length === 0) console.log('Options tables up to date.');
else if (mode === '--check') {
  console.error(
    `Options tables differ from packages/core/src/options.ts in: ${stale.join(', ')}.\nRun: node scripts/options-table.mjs`,
  );
  process.exit(1);
} else console.log(`Rewrote the Options tables of ${stale.join(', ')}.`);
