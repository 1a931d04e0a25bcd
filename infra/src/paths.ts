import { join, resolve } from 'node:path';

/** The workspace root (this file is `infra/src/paths.ts`). */
export const repoRoot = resolve(__dirname, '..', '..');

/** The workspace lock file: pins the versions esbuild bundles into the Lambda assets. */
export const lockFile = join(repoRoot, 'pnpm-lock.yaml');

/** The infra package, whose node_modules/.bin holds the esbuild that bundles the Lambdas. */
export const infraRoot = join(repoRoot, 'infra');

/** Example workflows: the capability domains they call each get a request queue. */
export const definitionsDir = join(repoRoot, 'workflow-definitions');

/** The Lambda entry points the stack bundles (NodeLambda; each exports `handler`). */
export const lambdaEntries = {
  orchestrator: join(repoRoot, 'orchestrator', 'src', 'handler.ts'),
  capabilityMock: join(repoRoot, 'capability-mock', 'src', 'handler.ts'),
} as const;
