import type { WorkflowDefinition } from '../definition/workflow-schema';
import { validateDefinition } from '../definition/validate-definition';
import type { CompiledWorkflow } from '../graph/compile-workflow';
import type { HistoryEntry, StoppedBranch } from '../graph/workflow-state';
import type { InstanceRecord } from './instance-record';
import { planRedrive } from './redrive-plan';

/**
 * Planning a redrive from what the FAILED checkpoint records about where branches stopped; the suite in
 * testing/redrive-guarantees.suite.ts runs the plans end to end. Here: what is refused and why, including
 * instances whose FAILED checkpoint predates that record.
 */

const NESTED = `
workflow_name: nested
workflow_id: nested_v1
entry_point: Outer
nodes:
  Outer: { type: parallel, branches: [Left, Right], join: Done }
  Left:
    type: async_request
    capability_id: 'left#op'
    on_response: Inner
    timeout: 1h
  Inner: { type: parallel, branches: [In_1, In_2], join: After }
  In_1:
    type: async_request
    capability_id: 'in1#op'
    on_response: In_1b
    timeout: 1h
  In_1b:
    type: async_request
    capability_id: 'in1b#op'
    on_response: After
    timeout: 1h
  In_2:
    type: async_request
    capability_id: 'in2#op'
    on_response: After
    timeout: 1h
  After:
    type: async_request
    capability_id: 'after#op'
    on_response: Done
    timeout: 1h
  Right:
    type: async_request
    capability_id: 'right#op'
    on_response: Done
    timeout: 1h
  Done: { type: end }
`;

const TWO_STEP = `
workflow_name: two-step branch
workflow_id: two_step_v1
entry_point: Split
nodes:
  Split: { type: parallel, branches: [First, Other], join: Done }
  First:
    type: async_request
    capability_id: 'first#op'
    on_response: Then
    timeout: 1h
  Then:
    type: async_request
    capability_id: 'then#op'
    on_response: Done
    timeout: 1h
  Other:
    type: async_request
    capability_id: 'other#op'
    on_response: Done
    timeout: 1h
  Done: { type: end }
`;

function definitionOf(yaml: string): WorkflowDefinition {
  const { definition, diagnostics } = validateDefinition('test.yaml', yaml);
  if (!definition) throw new Error(JSON.stringify(diagnostics));
  return definition;
}

const at = '2026-01-01T00:00:00.000Z';
const ran = (node: string, status: HistoryEntry['status']): HistoryEntry => ({
  node,
  status,
  started_at: at,
  ended_at: at,
});
const stop = (node: string): StoppedBranch => ({ node, context: {} });

function plan(
  failedNode: string,
  stopped: Record<string, StoppedBranch>,
  history: HistoryEntry[] = [],
  yaml = NESTED,
) {
  const record = {
    instance_id: 'inst-1',
    status: 'FAILED',
    error: { code: 'DOWN', message: 'down', node: failedNode },
    checkpoints: { heads: { '': 'head-1' }, writers: [] },
    definition: { key: 'test.yaml', sha256: 'abc' },
  } as unknown as InstanceRecord;
  const graph = {
    getState: (config: { configurable: { checkpoint_id: string } }) => {
      expect(config.configurable.checkpoint_id).toBe('head-1');
      return Promise.resolve({ values: { stopped } });
    },
  } as unknown as CompiledWorkflow;
  return planRedrive(record, {
    definition: () => Promise.resolve(definitionOf(yaml)),
    history: () => Promise.resolve(history),
    graph: () => Promise.resolve(graph),
  });
}

describe('planRedrive', () => {
  it('resumes the outermost parallel: the branches that stopped run again, the others are written as completed', async () => {
    expect(
      await plan('In_1b', {
        __branch__Outer__Left: stop('Inner'),
        __branch__Inner__In_1: stop('In_1b'),
      }),
    ).toEqual({
      node: 'In_1b',
      head: 'head-1',
      asNode: '__gate__Outer',
      goto: ['__branch__Outer__Left'],
      completedBranches: ['__branch__Outer__Right'],
    });
  });

  it('refuses when the checkpoint does not lead to the failed step, and says where it does lead', async () => {
    expect(
      await plan('In_1b', { __branch__Outer__Left: stop('Inner'), __branch__Inner__In_1: stop('In_1') }),
    ).toEqual({
      refused:
        "the FAILED checkpoint does not say that branch 'In_1' of parallel 'Inner' stopped at 'In_1b' (it says 'In_1'), so where to resume the failed step 'In_1b' is unknown",
    });
  });

  describe('a FAILED checkpoint written before branches recorded where they stop', () => {
    it('re-runs branches that completed no step from their first nodes, as before', async () => {
      const history = [ran('Split', 'SUCCEEDED'), ran('Other', 'SUCCEEDED'), ran('First', 'FAILED')];
      expect(await plan('First', {}, history, TWO_STEP)).toEqual({
        node: 'First',
        head: 'head-1',
        asNode: '__gate__Split',
        goto: ['__branch__Split__First'],
        completedBranches: ['__branch__Split__Other'],
      });
    });

    it('refuses a branch that completed a step before it stopped: it could only run again from its start', async () => {
      const history = [
        ran('Split', 'SUCCEEDED'),
        ran('Other', 'SUCCEEDED'),
        ran('First', 'SUCCEEDED'),
        ran('Then', 'FAILED'),
      ];
      expect(await plan('Then', {}, history, TWO_STEP)).toEqual({
        refused:
          "branch 'First' of parallel 'Split' completed 'First' before it stopped and its FAILED checkpoint does not record where its branches stopped (it failed on an orchestrator version that did not record it), so they could only run again from their first nodes, which would run that step again",
      });
    });

    it('refuses a failure in nested parallels', async () => {
      expect(await plan('In_1b', {})).toEqual({
        refused:
          "the failed step 'In_1b' runs in nested parallels and its FAILED checkpoint does not record where its branches stopped (it failed on an orchestrator version that did not record it), so they could only run again from their first nodes, which would run the completed steps of the inner parallel again",
      });
    });
  });
});
