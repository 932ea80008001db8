import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// Entries sharing one chunk: the classes `@mongo-session/core/adapter-exports` gives are the main entry's;
// `@mongo-session/core/opentelemetry` is the only one that loads `@opentelemetry/api`.
export default defineConfig(
  packageBuild({ entry: ['src/index.ts', 'src/adapter-exports.ts', 'src/opentelemetry.ts'], splitting: true }),
);
