import { build, version, type BuildOptions, type BuildResult, type StdinOptions } from 'esbuild';
import { repoRoot } from '../paths';
import { langsmithStubPlugin } from './langsmith-stub-plugin';
import { LAMBDA_MODULE_REPLACEMENTS } from './lambda-module-replacements';
import { moduleReplacementPlugin } from './module-replacement-plugin';
import { keepOwnSourcesInMapFile } from './own-sources-map';
import { zodNamespaceImportsPlugin } from './zod-namespace-imports-plugin';

/**
 * How every Lambda of the stack is bundled: esbuild's API with these settings and the plugins of
 * `lambdaBuildOptions`. The stack (local-lambda-bundling.ts), the bundle tests and the bench (figure 7) all
 * build through `buildLambdaBundle`, so what they measure is what is deployed.
 *
 * The AWS SDK is bundled rather than taken from the runtime, so the code runs against the SDK versions it
 * was tested with.
 */
export const BUNDLING = {
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  // Source maps without the sources: stack traces map to TypeScript lines at a third of the map's size.
  sourcemap: true,
  sourcesContent: false,
  // ES module builds first (the AWS SDK's dist-es, ...): esbuild tree-shakes ES modules, not CommonJS.
  // Packages with an `exports` map are unaffected: esbuild picks by import condition there.
  mainFields: ['module', 'main'],
  external: [],
} as const;

/** What to bundle: a file, or (the bench's LangGraph-only reference) source text. */
export type LambdaBundleInput = { readonly entry: string } | { readonly stdin: StdinOptions };

export type LambdaBuildOptions = BuildOptions & { readonly metafile: true };

/** The esbuild options of a Lambda bundle written to `outfile` (plus `outfile.map`). */
export function lambdaBuildOptions(input: LambdaBundleInput, outfile: string): LambdaBuildOptions {
  return {
    ...BUNDLING,
    mainFields: [...BUNDLING.mainFields],
    external: [...BUNDLING.external],
    ...('entry' in input ? { entryPoints: [input.entry] } : { stdin: input.stdin }),
    bundle: true,
    outfile,
    absWorkingDir: repoRoot,
    metafile: true,
    logLevel: 'silent',
    plugins: [
      // langsmith: the tracing client, never used (tracing requested fails loudly: see langsmith-stub.ts).
      langsmithStubPlugin(),
      // zod's non-English locales, core's import map beyond messages, the SDK's non-environment credentials.
      moduleReplacementPlugin(LAMBDA_MODULE_REPLACEMENTS),
      // `import { z }` kept all of zod's API in the bundle.
      zodNamespaceImportsPlugin(),
    ],
  };
}

/**
 * Bundles a Lambda as the stack deploys it; the metafile says what is inside. The source map beside it maps
 * the project's own sources only (see `ownSourcesOnly`: Node parses it whole on a cold start).
 */
export async function buildLambdaBundle(
  input: LambdaBundleInput,
  outfile: string,
): Promise<BuildResult<LambdaBuildOptions>> {
  const result = await build(lambdaBuildOptions(input, outfile));
  if (BUNDLING.sourcemap) keepOwnSourcesInMapFile(`${outfile}.map`);
  return result;
}

/** The esbuild that bundles the Lambdas (infra's own dependency). */
export const ESBUILD_VERSION: string = version;
