import { join } from 'node:path';
import type { Plugin } from 'esbuild';

/** The module every import of langsmith resolves to in a Lambda bundle. */
export const LANGSMITH_STUB = join(__dirname, 'langsmith-stub.ts');

/** The langsmith entry points @langchain/core imports; langsmith-stub.ts provides what it takes from each. */
const STUBBED_ENTRY_POINTS = new Set(['langsmith', 'langsmith/run_trees', 'langsmith/singletons/traceable']);

/**
 * Resolves `langsmith` and the sub-paths @langchain/core imports to langsmith-stub.ts, so the tracing
 * client (about 230 KB minified, never used by the engine) stays out of the bundle. Any other langsmith
 * entry point fails the build, naming the importer: a new use must be looked at, not bundled blindly.
 */
export function langsmithStubPlugin(): Plugin {
  return {
    name: 'langsmith-stub',
    setup(build) {
      build.onResolve({ filter: /^langsmith(?:\/.*)?$/ }, (args) => {
        if (STUBBED_ENTRY_POINTS.has(args.path)) return { path: LANGSMITH_STUB };
        return {
          errors: [
            {
              text:
                `${args.importer} imports '${args.path}', which infra/src/bundling/langsmith-stub.ts does not ` +
                `stand in for (it covers ${[...STUBBED_ENTRY_POINTS].join(', ')})`,
            },
          ],
        };
      });
    },
  };
}
