import type { WorkflowError } from './workflow-state';

/**
 * How a child instance's start and end read to its parent, in words both engines share (the LangGraph
 * runtime, and the steps Lambda of Step Functions mode), so a parent sees the same error either way.
 */

/**
 * The keys of `initialContext` the context lacks. Its own keys only: `constructor` or `toString` are keys a
 * context may need, and every object inherits something by those names.
 */
export function missingContextKeys(
  initialContext: readonly string[] | undefined,
  context: Readonly<Record<string, unknown>>,
): string[] {
  return (initialContext ?? []).filter((key) => !Object.hasOwn(context, key));
}

/** Why a start context cannot start a definition: a key its `initial_context` requires is missing. */
export function missingStartContext(
  initialContext: readonly string[] | undefined,
  context: Readonly<Record<string, unknown>>,
): WorkflowError | undefined {
  const missing = missingContextKeys(initialContext, context);
  if (missing.length === 0) return undefined;
  return {
    code: 'MISSING_CONTEXT',
    message: `the start context lacks required key${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (initial_context)`,
  };
}

/** A child that did not succeed, as its parent's step fails: CHILD_CANCELLED or CHILD_FAILED. */
export function childEndError(child: {
  readonly instance_id: string;
  readonly workflow_id: string;
  readonly status: string;
  readonly error?: WorkflowError | null;
}): WorkflowError {
  const error = child.error ?? { code: child.status, message: child.status.toLowerCase() };
  return {
    code: child.status === 'CANCELLED' ? 'CHILD_CANCELLED' : 'CHILD_FAILED',
    message:
      `child ${child.instance_id} (${child.workflow_id}) ${child.status}: ${error.code}: ${error.message}`.slice(
        0,
        10_000,
      ),
  };
}

/** How many of a map's `total` items may fail: the lower of its two bounds (default none). */
export function toleratedItemFailures(
  policy: { readonly tolerated_failures?: number; readonly tolerated_failure_percent?: number },
  total: number,
): number {
  const count = policy.tolerated_failures ?? (policy.tolerated_failure_percent === undefined ? 0 : total);
  const percent =
    policy.tolerated_failure_percent === undefined
      ? total
      : Math.floor((policy.tolerated_failure_percent / 100) * total);
  return Math.min(count, percent);
}
