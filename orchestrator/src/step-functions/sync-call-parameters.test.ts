import { compileAslSource } from '../asl/compile-asl';
import { NO_SECRETS } from '../sync-capabilities/secret-source';
import { createSyncCapabilities } from '../sync-capabilities/registry';
import { templateCapability } from '../sync-capabilities/template/template-capability';
import { EngineSteps } from './engine-steps';
import { initialMachineState } from './machine-state';
import { StepError } from './step-error';

/**
 * Step Functions mode passes a sync_call's `with` through: the Task's payload carries it as written, and
 * the steps Lambda hands the capability the parsed parameters (or fails with INVALID_PARAMETERS), as the
 * engine does.
 */

const capabilities = createSyncCapabilities(
  { secrets: NO_SECRETS, fetch: () => Promise.reject(new Error('no fetch here')) },
  [templateCapability],
);

describe('sync_call with in Step Functions mode', () => {
  it("puts the node's with into the Task's payload", () => {
    const yaml = `
workflow_name: reference
workflow_id: reference_v1
entry_point: Reference
nodes:
  Reference:
    type: sync_call
    capability_id: template-reference
    with: { prefix: IMP, key: shipmentId }
    output_keys: [reference]
    on_success: Done
  Done: { type: end }
`;
    const { machine, diagnostics } = compileAslSource('reference.yaml', yaml, {
      syncCapabilities: capabilities,
    });
    expect(diagnostics).toEqual([]);
    const task = machine?.States.Reference as unknown as { Parameters: { Payload: Record<string, unknown> } };
    expect(task.Parameters.Payload).toMatchObject({
      action: 'sync_call',
      capability_id: 'template-reference',
      with: { prefix: 'IMP', key: 'shipmentId' },
    });
  });

  it('the steps Lambda calls the capability with the parsed with, and refuses an invalid one', async () => {
    const steps = new EngineSteps(capabilities);
    const state = initialMachineState({ shipmentId: 'SHP-1' });
    const payload = {
      action: 'sync_call' as const,
      node: 'Reference',
      capability_id: 'template-reference',
      output_keys: ['reference'],
      state,
    };
    await expect(
      steps.run({ ...payload, with: { prefix: 'IMP', key: 'shipmentId' } }),
    ).resolves.toMatchObject({
      context: { shipmentId: 'SHP-1', reference: 'IMP-SHP-1' },
    });
    const refused = await steps.run({ ...payload, with: { prefix: 'imp' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StepError);
    expect((refused as StepError).error).toMatchObject({ code: 'INVALID_PARAMETERS', node: 'Reference' });
  });
});
