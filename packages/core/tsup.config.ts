import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base';

// Two entries sharing one chunk: the classes `@mongo-session/core/adapter-exports` gives are the main entry's.
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/adapter-exports.ts'], splitting: true }));
