import type { CapabilityMocks } from '../capability-mocks/capability-mocks';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { EMBEDDED_RUN_TIMEOUT_MS } from './embedded-runner';

/**
 * Why `wf run` on the embedded stack may take real time: wait nodes, timeouts and retry delays in the
 * definitions, and scripted delays or replies that never come in the mocks. Undefined when there is none,
 * so a run that ends at once prints no note.
 */
export function realTimeNotice(
  definitions: readonly WorkflowDefinition[],
  mocks: CapabilityMocks,
): string | undefined {
  const reasons = new Set<string>();
  for (const definition of definitions) {
    for (const node of Object.values(definition.nodes)) {
      if (node.type === 'wait') reasons.add('wait nodes');
      if ('timeout' in node && node.timeout !== undefined) reasons.add('timeouts');
      if ('retry' in node && node.retry !== undefined) reasons.add('retry delays');
    }
  }
  for (const entry of Object.values(mocks)) {
    for (const reply of Array.isArray(entry) ? entry : [entry]) {
      if (reply.delay !== undefined) reasons.add('scripted delays');
      if (reply.reply === false) reasons.add('replies that never come');
    }
  }
  if (reasons.size === 0) return undefined;
  const minutes = EMBEDDED_RUN_TIMEOUT_MS / 60_000;
  return (
    `note: on the embedded stack ${[...reasons].join(', ')} take real time, and wf run follows the ` +
    `instance for ${minutes} minutes at most; --memory runs the same engine on a simulated clock, where a ` +
    'two-hour wait takes no time'
  );
}
