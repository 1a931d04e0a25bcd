import { readFile } from 'node:fs/promises';
import type { Loader, Plugin } from 'esbuild';

/**
 * `import { z } from "zod"` (also `zod/v3`, `zod/v4`, `zod/mini`, `zod/v4/mini`, `zod/v4-mini`, and
 * `{ z as x }`), rewritten at bundle time to `import * as z from "zod"`.
 *
 * Why: each of those entry points is `import * as z from "<api>"; export * from "<api>"; export { z }`.
 * esbuild cannot tree-shake a namespace object that is re-exported as a value, so one `import { z }`
 * anywhere (LangGraph's graph.js has one, the engine has several) keeps every export of zod's API in the
 * bundle: `fromJSONSchema`, `compile`, the JSON Schema processors, the locales... `import * as z` makes
 * each `z.member` a static reference to the same binding, which esbuild tree-shakes.
 *
 * Invariant that makes the rewrite exact: since the entry point re-exports everything of the namespace
 * `z` stands for, `z.member` names the same binding in both forms. (The entry's own namespace also has `z`
 * and `default`; code that enumerates the keys of `z` would see them, and nothing in the engine or its
 * libraries does.) Only the entry points listed above are rewritten, each checked to have that shape.
 */
const NAMED_Z_IMPORT =
  /import\s*\{\s*z(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*\}\s*from\s*(['"])(zod(?:\/v3|\/v4|\/mini|\/v4\/mini|\/v4-mini)?)\2/g;

const LOADERS: Readonly<Record<string, Loader>> = {
  js: 'js',
  mjs: 'js',
  cjs: 'js',
  ts: 'ts',
  mts: 'ts',
  cts: 'ts',
  tsx: 'tsx',
};

export function zodNamespaceImportsPlugin(): Plugin {
  return {
    name: 'zod-namespace-imports',
    setup(build) {
      build.onLoad({ filter: /\.(?:[cm]?[jt]s|tsx)$/, namespace: 'file' }, async (args) => {
        // zod's own modules are the namespaces; they import nothing this way.
        if (args.path.includes('/node_modules/zod/')) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('zod')) return undefined;
        const rewritten = text.replace(
          NAMED_Z_IMPORT,
          (_match, alias: string | undefined, quote: string, specifier: string) =>
            `import * as ${alias ?? 'z'} from ${quote}${specifier}${quote}`,
        );
        if (rewritten === text) return undefined;
        const loader = LOADERS[args.path.slice(args.path.lastIndexOf('.') + 1)] ?? 'js';
        return { contents: rewritten, loader };
      });
    },
  };
}
