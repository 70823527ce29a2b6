// Two projects: unit tests need nothing running; integration tests (*.int.test.ts) share one Temporal dev
// server that the global setup starts on free ports for the whole run.
/** @type {import('ts-jest').TsJestTransformerOptions} */
const tsJest = { tsconfig: 'tsconfig.json', diagnostics: false };
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', tsJest] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/tools/'],
};

/** @type {import('jest').Config} */
module.exports = {
  // A global option: Jest ignores testTimeout inside a project.
  testTimeout: 60_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '\\.int\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
