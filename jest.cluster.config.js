/**
 * `npm run test:cluster`: the cluster suite. A real Temporal cluster (server built from its Go
 * module, PostgreSQL persistence and visibility) started by test/cluster/global-setup.ts in place
 * of the dev server; test/cluster/ plus main-suite tests that run unchanged against it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads its configs as CommonJS
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test'],
  testMatch: [
    '<rootDir>/test/cluster/**/*.test.ts',
    // Two workers with separate state folders standing for two hosts (from the hosts branch).
    '<rootDir>/test/hosts/two-workers.test.ts',
    '<rootDir>/test/design.workflow.test.ts',
    '<rootDir>/test/cli.test.ts',
    '<rootDir>/test/build/build.workflow.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/cluster/global-setup.ts',
  globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
  testTimeout: 240_000,
};
