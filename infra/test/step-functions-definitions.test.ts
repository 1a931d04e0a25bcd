import { definitionsIn } from '../src/step-functions/deployed-definitions';
import { workflowIdsIn } from '../src/workflow-ids';
import {
  definitionsFolder,
  leafDefinition,
  parentDefinition,
  type DefinitionsFolder,
} from './support/definitions-folder';

const definition = (id: string, initialContext: string) => `workflow_name: '${id}'
workflow_id: ${id}
entry_point: Ask
${initialContext}
nodes:
  Ask:
    type: async_request
    capability_id: 'orders#place'
    input_keys: [order]
    on_response: Done
  Done:
    type: end
`;

describe('definitionsIn (the state machines of Step Functions mode)', () => {
  let folder: DefinitionsFolder;
  beforeEach(() => {
    folder = definitionsFolder();
  });
  afterEach(() => folder.remove());

  it('reads the workflow id and initial_context as the validator does, flow or block style, and deploys a subfolder definition only as a child', () => {
    folder.write('flow.yaml', definition('flow_style', 'initial_context: [order, "buyer"]'));
    folder.write('block.yml', definition('block_style', 'initial_context:\n  - order'));
    folder.write('children/child.yaml', definition('a_child', 'initial_context: [order]'));
    const deployed = definitionsIn(folder.dir);
    expect(deployed.map((d) => [d.workflowId, d.initialContext, d.topLevel])).toEqual([
      ['block_style', ['order'], true],
      ['flow_style', ['order', 'buyer'], true],
    ]);
    expect(JSON.parse(deployed[0]?.asl ?? '{}')).toHaveProperty('States');
    expect(
      definitionsIn(folder.dir, (id) => (id === 'flow_style' ? 'stepfunctions' : 'langgraph')).map(
        (d) => d.workflowId,
      ),
    ).toEqual(['flow_style']);
  });

  it('counts a subfolder definition for the failed alarms, not among the top-level ones', () => {
    folder.write('parent.yaml', definition('parent', 'initial_context: [order]'));
    folder.write('children/child.yaml', definition('a_child', 'initial_context: [order]'));
    expect(workflowIdsIn(folder.dir)).toEqual(['a_child', 'parent']);
    expect(workflowIdsIn(folder.dir, { subfolders: false })).toEqual(['parent']);
  });

  it('fails the synth, naming the file, when a definition on Step Functions does not compile', () => {
    folder.write('broken.yaml', 'workflow_id: broken\nnodes: [\n');
    expect(() => definitionsIn(folder.dir)).toThrow(
      /^broken\.yaml cannot run on Step Functions:\nbroken\.yaml:\d+:\d+: /,
    );
  });

  it('deploys the children a machine starts, transitively, wherever their files sit, found by workflow id', () => {
    folder.write('parent.yaml', parentDefinition('parent_v1', { subWorkflow: 'middle_v1' }));
    folder.write('a/middle.yaml', parentDefinition('middle_v1', { map: 'leaf.v1' }));
    folder.write('a/b/leaf.yaml', leafDefinition('leaf.v1'));
    folder.write('unused/other.yaml', leafDefinition('other_v1'));
    const deployed = definitionsIn(folder.dir);
    expect(deployed.map((d) => [d.workflowId, d.children, d.topLevel])).toEqual([
      ['leaf.v1', [], false],
      ['middle_v1', ['leaf.v1'], false],
      ['parent_v1', ['middle_v1'], true],
    ]);
    // A child on the engine is the engine's only when it is not started from Step Functions.
    expect(definitionsIn(folder.dir, (id) => (id === 'parent_v1' ? 'langgraph' : undefined))).toEqual([]);
  });

  it('fails the synth with the compiler diagnostics of a parent whose child is missing, and of a child that is invalid', () => {
    folder.write(
      'parent.yaml',
      parentDefinition('parent_v1', { subWorkflow: 'screen_v1', map: 'classify_v1' }),
    );
    folder.write('children/screen.yaml', 'workflow_id: screen_v1\nnodes: {}\n');
    const message = /^parent\.yaml cannot run on Step Functions:\n(parent\.yaml:\d+:\d+: .*\n)*\n/;
    expect(() => definitionsIn(folder.dir)).toThrow(message);
    expect(() => definitionsIn(folder.dir)).toThrow(
      /\nparent\.yaml:\d+:\d+: node Classify: no valid definition of workflow classify_v1 was found beside this one/,
    );
    expect(() => definitionsIn(folder.dir)).toThrow(
      /\n\nchildren\/screen\.yaml cannot run on Step Functions:\nchildren\/screen\.yaml:\d+:\d+: /,
    );
  });

  it('fails the synth naming both files when two declare the workflow id of a child', () => {
    folder.write('parent.yaml', parentDefinition('parent_v1', { subWorkflow: 'screen_v1' }));
    folder.write('a/screen.yaml', leafDefinition('screen_v1'));
    folder.write('b/screen.yaml', leafDefinition('screen_v1'));
    expect(() => definitionsIn(folder.dir)).toThrow(
      'workflow_id screen_v1 is declared by 2 files: a/screen.yaml, b/screen.yaml',
    );
  });
});
