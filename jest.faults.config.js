/**
 * `npm run test:faults`: the fault suite. The new fault tests in test/faults/ plus the fault-type
 * tests that already live in the main suite (worker kills, LLM failures, bounded answers, the dev
 * server's own faults, retry visibility). Same global setup (one real Temporal dev server) as jest.config.js.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest loads its configs as CommonJS
const base = require('./jest.config.js');

module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/test/faults/**/*.test.ts',
    '<rootDir>/test/**/*durability*.test.ts',
    '<rootDir>/test/design.llm-failures.test.ts',
    '<rootDir>/test/llm/bounded.test.ts',
    '<rootDir>/test/dev-server.test.ts',
    '<rootDir>/test/trust-cli/trouble.test.ts',
  ],
};
