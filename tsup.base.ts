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

/**
 * Adapters whose CommonJS export must be a function or a class
 * (`require(x)(session)`, `require(x)` is the class): the ESM build is
 * dist/index.js; the CJS build of the same source is dist/impl.cjs, and the
 * package's `require` entry is the hand-written cjs/index.cjs (+ .d.cts),
 * which shapes `module.exports` itself instead of leaving a bundler's
 * `exports.default`.
 */
export function adapterBuild(): Options[] {
  return [
    packageBuild({ format: ['esm'] }),
    packageBuild({ entry: { impl: 'src/index.ts' }, format: ['cjs'], clean: false }),
  ];
}
