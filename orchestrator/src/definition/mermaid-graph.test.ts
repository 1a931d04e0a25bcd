import { END_AS_OUTER_JOIN } from '../graph/testing/shared-end-workflows';
import { SHARED_END_LINK_STYLE, toMermaid } from './mermaid-graph';
import { validateDefinition } from './validate-definition';

/** Two branches whose failures go to the shared end Failed, which the join's failure uses too. */
const SHARED_END = `
workflow_name: shared
workflow_id: shared_v1
entry_point: Fan_Out
nodes:
  Fan_Out:
    type: parallel
    branches: [B1, B2]
    join: Merge
  B1:
    type: sync_call
    capability_id: core-process-response
    on_success: Merge
    on_failure: Failed
  B2:
    type: choice
    choices: [{ when: 'stop = true', next: Failed }]
    default: Merge
  Merge:
    type: sync_call
    capability_id: core-process-response
    on_success: Done
    on_failure: Failed
  Failed: { type: end, status: FAILED }
  Done: { type: end }
`;

function definitionOf(yaml: string) {
  const { definition, diagnostics } = validateDefinition('shared.yaml', yaml);
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  if (!definition) throw new Error('invalid');
  return definition;
}

/** The links of a chart (lines with an arrow), in the order Mermaid numbers them. */
const links = (chart: string) => chart.split('\n').filter((l) => /(-->|==>|\.->)/.test(l));

describe('toMermaid: shared ends', () => {
  it('draws the routes from inside a branch to a shared end, and only those, in the shared-end style', () => {
    const chart = toMermaid(definitionOf(SHARED_END));
    const all = links(chart);
    const styled = /^ {2}linkStyle ([\d,]+) (.+)$/m.exec(chart);
    expect(styled?.[2]).toBe(SHARED_END_LINK_STYLE);
    const indices = (styled?.[1] ?? '').split(',').map(Number);
    expect(indices.map((i) => all[i]?.trim())).toEqual([
      'n_B1 -. on_failure .-> n_Failed',
      'n_B2 -- "stop = true" --> n_Failed',
    ]);
    // The join's own failure route to the same end is an ordinary route.
    expect(all).toContain('  n_Merge -. on_failure .-> n_Failed');
  });

  it('the node-state styling of wf describe and the console keeps the shared-end style', () => {
    const chart = toMermaid(definitionOf(SHARED_END), {
      classDefs: { done: 'fill:#dfd' },
      classOf: (node) => (node === 'B1' ? 'done' : undefined),
    });
    expect(chart).toContain(`linkStyle`);
    expect(chart).toContain('  class n_B1 done');
  });

  it('a workflow without shared ends has no link style', () => {
    const chart = toMermaid(
      definitionOf(
        SHARED_END.replace(/next: Failed/, 'next: Merge').replace('    on_failure: Failed\n  B2', '  B2'),
      ),
    );
    expect(chart).not.toContain('linkStyle');
  });

  it("a branch's routes to its parallel's join are not shared-end routes when that join is an end node", () => {
    const chart = toMermaid(
      definitionOf(`
workflow_name: join is an end
workflow_id: join_end_v1
entry_point: Fan
nodes:
  Fan: { type: parallel, branches: [A, B], join: J }
  A: { type: async_request, capability_id: 'a#one', on_response: J, timeout: 1h }
  B: { type: async_request, capability_id: 'b#one', on_response: J, on_failure: Failed, timeout: 1h }
  J: { type: end }
  Failed: { type: end, status: FAILED }
`),
    );
    const all = links(chart);
    const styled = /^ {2}linkStyle ([\d,]+) (.+)$/m.exec(chart);
    // Only B's failure route leaves the parallel for an end that is not its join.
    expect((styled?.[1] ?? '').split(',').map((i) => all[Number(i)]?.trim())).toEqual([
      'n_B -. on_failure .-> n_Failed',
    ]);
  });

  it('a route from an inner branch to the join of an enclosing parallel (an end node) is not a shared-end route', () => {
    expect(toMermaid(definitionOf(END_AS_OUTER_JOIN))).not.toContain('linkStyle');
  });
});

describe('node labels', () => {
  const TITLED = `
workflow_name: titled
workflow_id: titled_v1
entry_point: Fan
nodes:
  Fan: { type: parallel, title: 'Check everything at once', branches: [A], join: Timed_Out }
  A: { type: sync_call, capability_id: core-process-response, on_success: Timed_Out }
  Timed_Out: { type: end, title: 'Timed out' }
`;
  it("lead with the node's name, which logs and history use, unless the title only respells it", () => {
    const chart = toMermaid(definitionOf(TITLED));
    expect(chart).toContain('n_Fan[/"Fan: Check everything at once<br/><small>parallel</small>"\\]');
    expect(chart).toContain('n_A[["A<br/><small>sync core-process-response</small>"]]');
    expect(chart).toContain('n_Timed_Out(["Timed out<br/><small>SUCCEEDED</small>"])');
  });

  it('show #, & and entity-like text as written, not as the entities Mermaid would read', () => {
    const chart = toMermaid(
      definitionOf(TITLED.replace("'Check everything at once'", '\'Pay run #9829; for Q1 & "A &lt; B"\'')),
    );
    expect(chart).toContain('n_Fan[/"Fan: Pay run #35;9829; for Q1 & #quot;A #38;lt; B#quot;<br/>');
    // A capability id's '#' starts no entity and stays as it is.
    expect(chart).toContain('<small>sync core-process-response</small>');
    const asyncChart = toMermaid(
      definitionOf(
        TITLED.replace(
          'type: sync_call',
          "type: async_request, request_output_keys: [x], on_response: Timed_Out, capability_id: 'pay#run'",
        ).replace(', capability_id: core-process-response, on_success: Timed_Out', ''),
      ),
    );
    expect(asyncChart).toContain('async pay#run');
  });
});
