import { compileWorkflow } from '../graph/compile-workflow';
import { WorkflowState } from '../graph/workflow-state';
import { MemorySaver } from '@langchain/langgraph';
import { WorkflowSimulation } from '../runtime/memory/workflow-simulation';
import { formatDiagnostic } from './diagnostic';
import { isReservedNodeName, STATE_CHANNEL_NAMES } from './reserved-node-names';
import { validateDefinition } from './validate-definition';
import type { WorkflowDefinition } from './workflow-schema';

/** Start, then `name` (a set node), then the end. */
const NAMED = (name: string) => `workflow_name: reserved
workflow_id: reserved_v1
entry_point: Start
nodes:
  Start: { type: set, values: { x: '1' }, next: ${name} }
  ${name}: { type: set, values: { y: '2' }, next: Done }
  Done: { type: end, output_keys: [x, y] }
`;

describe('node names LangGraph refuses', () => {
  it("the list holds every channel of the engine's state, and nothing else", () => {
    expect([...STATE_CHANNEL_NAMES].sort()).toEqual(Object.keys(WorkflowState.spec).sort());
  });

  it('the premise: LangGraph refuses to compile a node named like a channel or an inherited property', () => {
    const deps = { clock: { now: () => new Date(0) } } as Parameters<typeof compileWorkflow>[1];
    for (const name of ['history', 'constructor', 'Step']) {
      const definition: WorkflowDefinition = {
        workflow_name: 'w',
        workflow_id: 'w_v1',
        entry_point: name,
        nodes: { [name]: { type: 'end' } },
      } as unknown as WorkflowDefinition;
      const compiled = () => compileWorkflow(definition, deps, new MemorySaver());
      if (name === 'Step') expect(compiled).not.toThrow();
      else expect(compiled).toThrow(/already being used as a state attribute/);
    }
  });

  it.each([...STATE_CHANNEL_NAMES, 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])(
    'validation refuses a node named %s, at its key, saying why and that it must be renamed',
    (name) => {
      const result = validateDefinition('w.yaml', NAMED(name));
      expect(result.definition).toBeUndefined();
      const errors = result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
      expect(errors).toEqual([
        expect.stringMatching(
          new RegExp(
            `^w\\.yaml:6:3: error: nodes\\.${name}: '${name}' cannot name a node: .*; rename the node$`,
          ),
        ),
      ]);
    },
  );

  it('names that differ only in case are ordinary names', () => {
    for (const name of ['History', 'Context', 'Constructor', 'outcome_check']) {
      expect([name, isReservedNodeName(name)]).toEqual([name, false]);
      expect([name, validateDefinition('w.yaml', NAMED(name)).diagnostics]).toEqual([name, []]);
    }
  });

  it('a START of such a definition FAILS with INVALID_DEFINITION naming the node, not COMPILE_FAILED', async () => {
    const sim = new WorkflowSimulation();
    sim.definitions.put('reserved.yaml', NAMED('history'));
    sim.send({
      type: 'START_WORKFLOW',
      workflow_id: 'reserved_v1',
      definition_key: 'reserved.yaml',
      instance_id: 'inst-1',
      context: {},
    });
    await sim.drain();
    const record = await sim.instances.get('inst-1');
    expect(record?.status).toBe('FAILED');
    expect(record?.error?.code).toBe('INVALID_DEFINITION');
    expect(record?.error?.message).toContain("'history' cannot name a node");
  });
});
