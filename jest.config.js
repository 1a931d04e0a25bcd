/** Root jest config: every package's tests run from `pnpm test`. */
const project = (name, tsconfig = '<rootDir>/../tsconfig.json') => ({
  displayName: name,
  rootDir: `<rootDir>/${name}`,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.vitest\\.test\\.ts$'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig, diagnostics: { warnOnly: false } }],
  },
});

module.exports = {
  projects: [
    ...['orchestrator', 'capability-mock', 'infra', 'tests'].map((name) => project(name)),
    // The console is a package with a tsconfig of its own (it is not in the root tsconfig's include).
    project('console', '<rootDir>/tsconfig.json'),
  ],
};
