import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// The `mongo-session` command (package.json `bin`): one CommonJS file, its shebang kept and made
// executable by tsup, no types. Built after the library (`clean: false` keeps the library's output).
export default defineConfig(packageBuild({ entry: { cli: 'src/cli/bin.ts' }, format: ['cjs'], dts: false, clean: false }));
