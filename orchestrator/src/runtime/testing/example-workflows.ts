import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowSimulation } from '../memory/workflow-simulation';

export const EXAMPLES_DIR = join(__dirname, '..', '..', '..', '..', 'workflow-definitions');

export function exampleText(workflowId: string): string {
  return readFileSync(join(EXAMPLES_DIR, `${workflowId}.yaml`), 'utf8');
}

export const SHIPMENT_CONTEXT = { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US' };

/** Uploads an example and sends its START_WORKFLOW with a fixed instance id. */
export function startExample(sim: WorkflowSimulation, workflowId: string, instanceId = 'inst-1'): void {
  sim.definitions.put(`${workflowId}.yaml`, exampleText(workflowId));
  sim.send({
    type: 'START_WORKFLOW',
    workflow_id: workflowId,
    instance_id: instanceId,
    context: SHIPMENT_CONTEXT,
  });
}
