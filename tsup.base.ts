import type { Options } from 'tsup';

/**
 * The build every published package shares: ESM + CJS with a declaration file
 * per format (.d.ts for import, .d.cts for require), so attw sees the right
 * types under every resolution mode.
 */
export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    ...overrides,
  };
}
