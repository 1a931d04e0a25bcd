import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { definitionsIn } from '../src/step-functions/deployed-definitions';
import { workflowIdsIn } from '../src/workflow-ids';

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
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sfn-definitions-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the workflow id and initial_context as the validator does, flow or block style, and leaves subfolders to the engine', () => {
    writeFileSync(join(dir, 'flow.yaml'), definition('flow_style', 'initial_context: [order, "buyer"]'));
    writeFileSync(join(dir, 'block.yml'), definition('block_style', 'initial_context:\n  - order'));
    mkdirSync(join(dir, 'children'));
    writeFileSync(join(dir, 'children', 'child.yaml'), definition('a_child', 'initial_context: [order]'));
    const deployed = definitionsIn(dir);
    expect(deployed.map((d) => [d.workflowId, d.initialContext])).toEqual([
      ['block_style', ['order']],
      ['flow_style', ['order', 'buyer']],
    ]);
    expect(JSON.parse(deployed[0]?.asl ?? '{}')).toHaveProperty('States');
    expect(
      definitionsIn(dir, (id) => (id === 'flow_style' ? 'stepfunctions' : 'langgraph')).map(
        (d) => d.workflowId,
      ),
    ).toEqual(['flow_style']);
  });

  it('counts a subfolder definition for the failed alarms, not among those Step Functions mode may deploy', () => {
    writeFileSync(join(dir, 'parent.yaml'), definition('parent', 'initial_context: [order]'));
    mkdirSync(join(dir, 'children'));
    writeFileSync(join(dir, 'children', 'child.yaml'), definition('a_child', 'initial_context: [order]'));
    expect(workflowIdsIn(dir)).toEqual(['a_child', 'parent']);
    expect(workflowIdsIn(dir, { subfolders: false })).toEqual(['parent']);
  });

  it('fails the synth, naming the file, when a definition on Step Functions does not compile', () => {
    writeFileSync(join(dir, 'broken.yaml'), 'workflow_id: broken\nnodes: [\n');
    expect(() => definitionsIn(dir)).toThrow(
      /^broken\.yaml cannot run on Step Functions:\nbroken\.yaml:\d+:\d+: /,
    );
  });
});
