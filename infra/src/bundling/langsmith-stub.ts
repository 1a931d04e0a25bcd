/**
 * What the Lambda bundles get instead of the `langsmith` package (see langsmith-stub-plugin.ts).
 *
 * @langchain/core imports langsmith for LangSmith tracing, which the engine never uses; the real package is
 * about 230 KB of minified code evaluated on every cold start. Core touches these exports only:
 * - `langsmith`: `Client`, `RunTree`;
 * - `langsmith/run_trees`: `RunTree`, `isRunTree`, `convertToDottedOrderFormat`;
 * - `langsmith/singletons/traceable`: `isTraceableFunction`, `getCurrentRunTree`.
 * A name core starts to import that is missing here fails the build ("No matching export"), not a run.
 *
 * Invariant: tracing is never switched on silently, nor silently dropped. Core turns LangSmith tracing on
 * when LANGSMITH_TRACING(_V2) or LANGCHAIN_TRACING(_V2) is `true`, by creating a LangChainTracer whose
 * client is `new Client()`: that throws here, so a graph run with tracing requested fails with a message
 * that says why, instead of running with its traces going nowhere. The same holds for a RunTree created
 * with tracing on, and for every method of a RunTree that would record or send a run.
 *
 * What works as in langsmith, because core relies on it with tracing off: `RunTree` as the inert
 * async-local-storage record core creates around each runnable (`tracingEnabled: false`, `extra`, context
 * variables), `isRunTree`, `convertToDottedOrderFormat` (every BaseTracer orders its runs with it),
 * `isTraceableFunction` and `getCurrentRunTree`; the last three are langsmith 0.12's own code.
 */

const TRACING_UNAVAILABLE =
  'LangSmith tracing is not available in the Lambda bundle: infra/src/bundling/langsmith-stub.ts replaces ' +
  'the langsmith package. Unset LANGSMITH_TRACING, LANGSMITH_TRACING_V2, LANGCHAIN_TRACING and ' +
  'LANGCHAIN_TRACING_V2, or bundle the real langsmith package.';

function tracingUnavailable(what: string): never {
  throw new Error(`${what}: ${TRACING_UNAVAILABLE}`);
}

/** The LangSmith API client: only ever created to send traces, so creating one fails. */
export class Client {
  constructor(..._args: unknown[]) {
    tracingUnavailable('new Client()');
  }
}

/**
 * A run record. Created with `tracingEnabled: false` it is plain data, as core uses it (its fields are
 * copied onto the instance, and a RunTree given another one copies that one's fields); with tracing on,
 * or asked to record anything, it fails.
 */
export class RunTree {
  [field: string | symbol]: unknown;

  constructor(config: Record<string | symbol, unknown> = {}) {
    if (isRunTree(config)) {
      Object.assign(this, { ...config });
      return;
    }
    if (config.tracingEnabled !== false) tracingUnavailable('new RunTree() with tracing on');
    Object.assign(this, config);
  }

  createChild(): never {
    return tracingUnavailable('RunTree.createChild()');
  }

  end(): never {
    return tracingUnavailable('RunTree.end()');
  }

  postRun(): never {
    return tracingUnavailable('RunTree.postRun()');
  }

  patchRun(): never {
    return tracingUnavailable('RunTree.patchRun()');
  }
}

/** langsmith's test: anything with `createChild` and `postRun` methods. */
export function isRunTree(x: unknown): x is RunTree {
  const candidate = x as { createChild?: unknown; postRun?: unknown } | null | undefined;
  return (
    candidate != null &&
    typeof candidate.createChild === 'function' &&
    typeof candidate.postRun === 'function'
  );
}

/** langsmith's dotted order of a run: its start time with microseconds, then its id. */
export function convertToDottedOrderFormat(
  epoch: number,
  runId: string,
  executionOrder = 1,
): { dottedOrder: string; microsecondPrecisionDatestring: string } {
  const paddedOrder = executionOrder.toFixed(0).slice(0, 3).padStart(3, '0');
  const microsecondPrecisionDatestring = `${new Date(epoch).toISOString().slice(0, -1)}${paddedOrder}Z`;
  return {
    dottedOrder: microsecondPrecisionDatestring.replace(/[-:.]/g, '') + runId,
    microsecondPrecisionDatestring,
  };
}

/** A function wrapped by langsmith's `traceable` (nothing in the bundle can wrap one). */
export function isTraceableFunction(x: unknown): boolean {
  return typeof x === 'function' && 'langsmith:traceable' in x;
}

/** The async-local-storage instance langsmith and core share, under this global symbol. */
const TRACING_ALS_KEY = Symbol.for('ls:tracing_async_local_storage');

/** The record of the run in progress: the store of the shared async local storage. */
export function getCurrentRunTree(permitAbsentRunTree = false): unknown {
  const storage = (globalThis as Record<symbol, { getStore(): unknown } | undefined>)[TRACING_ALS_KEY];
  const runTree = storage?.getStore();
  if (!permitAbsentRunTree && runTree === undefined) {
    throw new Error(
      'Could not get the current run tree.\n\nPlease make sure you are calling this method within a ' +
        'traceable function and that tracing is enabled.',
    );
  }
  return runTree;
}
