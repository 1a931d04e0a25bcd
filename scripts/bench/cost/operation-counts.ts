/** Requests per API operation, as the meters count them. */
export type OperationCounts = Readonly<Record<string, number>>;

/** `after - before` per operation, leaving out operations whose count did not change. */
export function operationDelta(after: OperationCounts, before: OperationCounts): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [operation, count] of Object.entries(after)) {
    const change = count - (before[operation] ?? 0);
    if (change !== 0) delta[operation] = change;
  }
  return delta;
}
