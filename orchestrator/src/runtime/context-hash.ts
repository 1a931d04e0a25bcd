import { createHash } from 'node:crypto';

/**
 * sha256 of a START context as canonical JSON (object keys sorted at every depth), so two STARTs carrying
 * the same context hash alike whatever order their keys were written in. The runtime keeps it in the
 * status record (`start_context_sha256`); `wf start` compares it before sending.
 */
export function contextHash(context: Record<string, unknown>): string {
  return createHash('sha256').update(canonicalJson(context), 'utf8').digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
