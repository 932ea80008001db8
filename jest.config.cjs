/** One Jest run for the whole workspace; the test server is resolved once in global setup. */
const swc = [
  '@swc/jest',
  {
    jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/bench'].filter((dir) =>
    require('node:fs').existsSync(dir.replace('<rootDir>', __dirname)),
  ),
  testMatch: ['**/test/**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': swc },
  moduleNameMapper: {
    '^@mongo-session/core$': '<rootDir>/packages/core/src/index.ts',
    '^@mongo-session/core/adapter-exports$': '<rootDir>/packages/core/src/adapter-exports.ts',
    '^@mongo-session/test-utils$': '<rootDir>/packages/test-utils/src/index.ts',
    '^@mongo-session/test-utils/(.*)$': '<rootDir>/packages/test-utils/src/$1',
    // Adapters are tested from source; their packed builds are tested by each package's packaging test.
    '^@mongo-session/(express|koa-session-store|koa-generic-session|koa|standalone)$': '<rootDir>/packages/$1/src/index.ts',
  },
  globalSetup: '<rootDir>/packages/test-utils/src/global-setup.ts',
  globalTeardown: '<rootDir>/packages/test-utils/src/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
  // Quiet unless asked: the figures tests print (timings, counts) and the stores' process
  // warnings show with MONGO_SESSION_TEST_REPORT=1 (CI asks).
  silent: process.env.MONGO_SESSION_TEST_REPORT !== '1',
  // Workers share two cores with the server: keep the summary readable.
  verbose: false,
};
