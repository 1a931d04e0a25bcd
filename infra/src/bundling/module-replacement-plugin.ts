import { dirname } from 'node:path';
import type { Plugin } from 'esbuild';

/** One module of a dependency that the Lambda bundles replace with a smaller one of ours. */
export interface ModuleReplacement {
  /** Names the replacement in the bundle's metafile and in errors. */
  readonly name: string;
  /** The import specifier, exactly as the importer writes it (`../locales/index.js`, a package name). */
  readonly specifier: string;
  /** Only imports from files whose path matches are replaced. */
  readonly importer: RegExp;
  /**
   * ES module source served in place of the module the import resolves to. Its own imports resolve from
   * that module's directory, so it can re-export part of the original (`./en.js`) or use the original's
   * dependencies, at the versions the original would get.
   */
  readonly contents: string;
}

const NAMESPACE = 'lambda-replacement';
/** Marks the resolution this plugin asks esbuild for itself, which it must let through. */
const ORIGINAL = Symbol('original module');

/**
 * Serves each replacement's `contents` in place of the module its specifier resolves to from a matching
 * importer. The original is still resolved first: a specifier that no longer resolves fails the build, and
 * the replacement's imports resolve beside the original.
 */
export function moduleReplacementPlugin(replacements: readonly ModuleReplacement[]): Plugin {
  const bySpecifier = new Map<string, ModuleReplacement[]>();
  for (const replacement of replacements) {
    bySpecifier.set(replacement.specifier, [...(bySpecifier.get(replacement.specifier) ?? []), replacement]);
  }
  const byName = new Map(replacements.map((r) => [r.name, r]));
  const filter = new RegExp(`^(?:${[...bySpecifier.keys()].map(escapeRegExp).join('|')})$`);
  return {
    name: 'module-replacement',
    setup(build) {
      build.onResolve({ filter }, async (args) => {
        if (args.pluginData === ORIGINAL) return undefined;
        const replacement = bySpecifier.get(args.path)?.find((r) => r.importer.test(args.importer));
        if (!replacement) return undefined;
        const original = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: ORIGINAL,
        });
        if (original.errors.length > 0) return { errors: original.errors };
        return { path: original.path, namespace: NAMESPACE, pluginData: replacement.name };
      });
      build.onLoad({ filter: /.*/, namespace: NAMESPACE }, (args) => {
        const replacement = byName.get(args.pluginData as string);
        if (!replacement) throw new Error(`no module replacement named ${String(args.pluginData)}`);
        return { contents: replacement.contents, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
