import type { StateMachineDefinition } from '../../asl/asl-types';
import { compileAsl } from '../../asl/compile-asl';
import { validateDefinition } from '../../definition/validate-definition';
import type { WorkflowDefinition } from '../../definition/workflow-schema';

/** A workflow YAML validated and compiled to ASL, both of which must succeed (tests and benches only). */
export function compiledWorkflow(
  yaml: string,
  file = 'workflow.yaml',
  /** The definitions of the children it starts (by workflow id), whose start contexts it checks. */
  children?: (workflowId: string) => WorkflowDefinition | undefined,
): { definition: WorkflowDefinition; machine: StateMachineDefinition } {
  const { definition, diagnostics } = validateDefinition(file, yaml);
  if (!definition) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const { machine, problems } = compileAsl(definition, children ? { children } : {});
  if (!machine) throw new Error(problems.map((p) => p.message).join('\n'));
  return { definition, machine };
}
