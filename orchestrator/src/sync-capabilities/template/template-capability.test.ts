import { formatDiagnostic } from '../../definition/diagnostic';
import { validateDefinition } from '../../definition/validate-definition';
import { recordOf, startInlineWorkflow, steps } from '../../graph/testing/run-inline-workflow';
import { builtinSyncCapabilities, createSyncCapabilities } from '../registry';
import { NO_SECRETS } from '../secret-source';
import { templateCapability } from './template-capability';

/*
 * TEMPLATE: the three things every capability's test shows. (1) It runs inside a workflow on the in-memory
 * orchestrator, as deployed: its output mapped into the context. (2) Its failures have their codes and
 * take the node's on_failure. (3) `wf validate` checks a node's `with` against its schema, with positions.
 */

const capabilities = createSyncCapabilities(
  { secrets: NO_SECRETS, fetch: () => Promise.reject(new Error('no fetch')) },
  [templateCapability],
);

const WORKFLOW = (withYaml: string) => `
workflow_name: reference
workflow_id: reference_v1
entry_point: Reference
initial_context: [shipmentId]
nodes:
  Reference:
    type: sync_call
    capability_id: template-reference
    with: ${withYaml}
    output_keys: [reference]
    on_success: Done
    on_failure: Failed
  Done:
    type: end
    output_keys: [reference]
  Failed:
    type: end
    status: FAILED
`;

async function run(withYaml: string, context: Record<string, unknown>) {
  const sim = startInlineWorkflow(WORKFLOW(withYaml), { syncCapabilities: capabilities, context });
  await sim.drain();
  return recordOf(sim);
}

describe('the template sync capability', () => {
  it('runs in a workflow: its output is merged into the context', async () => {
    const record = await run('{ prefix: IMP, key: shipmentId, year: 2026 }', { shipmentId: 'SHP-1' });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ reference: 'IMP-2026-SHP-1' });
  });

  it('fails with its own code, routed to on_failure', async () => {
    const record = await run('{ prefix: IMP, key: shipmentId }', { shipmentId: { nested: true } });
    expect(steps(record)).toEqual([
      ['Reference', 'FAILED'],
      ['Failed', 'FAILED'],
    ]);
    expect(record.error).toMatchObject({ code: 'REFERENCE_KEY_MISSING', node: 'Reference' });
  });

  it("wf validate checks with against the capability's schema, with lines and columns", () => {
    const yaml = WORKFLOW('\n      prefix: imp\n      kee: shipmentId');
    const { diagnostics } = validateDefinition('reference.yaml', yaml, { syncCapabilities: capabilities });
    // The misspelt `kee` is one mistake: no "missing required field 'key'" on top of its did-you-mean.
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      "reference.yaml:11:15: error: nodes.Reference.with.prefix: 'imp' is not valid: must be 2 to 8 capital letters",
      "reference.yaml:12:7: error: nodes.Reference.with.kee: unknown field 'kee'; did you mean 'key'?",
    ]);
  });

  it('is not registered in the deployment (it is an example)', () => {
    expect(Object.keys(builtinSyncCapabilities)).not.toContain('template-reference');
  });
});
