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
  // Jest's default is one worker less than the cores: on a 2-core CI machine, one, and every suite in
  // turn. Most suites wait on embedded servers and child processes, so two share 2 cores well.
  maxWorkers: 2,
  projects: [
    ...['orchestrator', 'capability-mock', 'infra', 'tests'].map((name) => project(name)),
    // The console is a package with a tsconfig of its own (it is not in the root tsconfig's include).
    project('console', '<rootDir>/tsconfig.json'),
  ],
};
