// CommonJS syntax like every .ts file of this CommonJS package (vite's config loader warns on ESM syntax).
// eslint-disable-next-line @typescript-eslint/no-require-imports
import vitestConfig = require('vitest/config');

/**
 * Vitest runs only the LangGraph checkpointer conformance suite (`pnpm test:conformance`): the official
 * suite is written for vitest with globals, while every other test of this package runs under jest.
 */
export = vitestConfig.defineConfig({
  test: {
    globals: true,
    include: ['test/conformance/**/*.vitest.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
