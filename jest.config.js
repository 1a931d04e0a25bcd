/** Root jest config: every package's tests run from `pnpm test`. */
const project = (name) => ({
  displayName: name,
  rootDir: `<rootDir>/${name}`,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.vitest\\.test\\.ts$'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.json', diagnostics: { warnOnly: false } }],
  },
});

module.exports = {
  projects: ['orchestrator', 'capability-mock', 'infra', 'tests'].map(project),
};
