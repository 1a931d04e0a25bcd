import type { CapabilityMocks } from '../capability-mocks/capability-mocks';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { EMBEDDED_RUN_TIMEOUT_MS } from './embedded-runner';

/**
 * Why `wf run` on the embedded stack will take real time: wait nodes in the definitions, scripted delays,
 * replies that never come (their timeouts then decide), and failures whose retries wait. A timeout alone
 * takes none (the default mocks answer at once). Undefined when nothing will, so such a run prints no note.
 */
export function realTimeNotice(
  definitions: readonly WorkflowDefinition[],
  mocks: CapabilityMocks,
): string | undefined {
  const reasons = new Set<string>();
  const replies = Object.values(mocks).flatMap((entry) => (Array.isArray(entry) ? entry : [entry]));
  const nodes = definitions.flatMap((definition) => Object.values(definition.nodes));
  if (nodes.some((node) => node.type === 'wait')) reasons.add('wait nodes');
  if (replies.some((reply) => reply.delay !== undefined)) reasons.add('scripted delays');
  if (replies.some((reply) => reply.reply === false)) {
    reasons.add('replies that never come (their timeouts decide)');
  }
  const retried = nodes.some((node) => 'retry' in node && node.retry !== undefined);
  if (retried && replies.some((reply) => reply.status === 'FAILURE')) reasons.add('retry delays');
  if (reasons.size === 0) return undefined;
  const minutes = EMBEDDED_RUN_TIMEOUT_MS / 60_000;
  return (
    `note: on the embedded stack ${[...reasons].join(', ')} take real time, and wf run follows the ` +
    `instance for ${minutes} minutes at most; --memory runs the same engine on a simulated clock, where a ` +
    'two-hour wait takes no time'
  );
}
