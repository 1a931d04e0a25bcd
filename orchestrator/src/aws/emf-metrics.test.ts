import type { MetricName } from '../runtime/ports';
import { EmfMetrics } from './emf-metrics';

interface EmfLine {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

const NOW = Date.parse('2026-01-01T00:00:00.000Z');
const DEPLOYMENT = { env: 'dev', owner: 'alice' };

function capture(deployment: Readonly<Record<string, string>> = DEPLOYMENT) {
  const lines: string[] = [];
  const metrics = new EmfMetrics(
    'CCH/WorkflowEngine',
    deployment,
    (line) => lines.push(line),
    () => NOW,
  );
  const parsed = () => lines.map((line) => JSON.parse(line) as EmfLine);
  return { metrics, lines, parsed };
}

describe('EmfMetrics', () => {
  it('writes one single-line JSON document per data point, in Embedded Metric Format', () => {
    const { metrics, lines, parsed } = capture();
    metrics.record('WorkflowsStarted', 1, { workflow_id: 'import_vn_memphis_v1' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(parsed()[0]).toEqual({
      _aws: {
        Timestamp: NOW,
        CloudWatchMetrics: [
          {
            Namespace: 'CCH/WorkflowEngine',
            Dimensions: [
              ['env', 'owner'],
              ['env', 'owner', 'workflow_id'],
            ],
            Metrics: [{ Name: 'WorkflowsStarted', Unit: 'Count' }],
          },
        ],
      },
      env: 'dev',
      owner: 'alice',
      workflow_id: 'import_vn_memphis_v1',
      WorkflowsStarted: 1,
    });
  });

  it('without workflow_id publishes the deployment-wide dimension set only', () => {
    const { metrics, parsed } = capture();
    metrics.record('LeaseConflicts', 1);
    const line = parsed()[0] as EmfLine;
    expect(line._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['env', 'owner']]);
    expect(line.LeaseConflicts).toBe(1);
    expect(line).not.toHaveProperty('workflow_id');
  });

  it('with no deployment dimensions: the aggregate set is empty, the per-workflow set is workflow_id', () => {
    const { metrics, parsed } = capture({});
    metrics.record('WorkflowsFailed', 1, { workflow_id: 'wf-1' });
    metrics.record('WorkflowsFailed', 1);
    const [withWorkflow, without] = parsed();
    expect(withWorkflow?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([[], ['workflow_id']]);
    expect(withWorkflow?.workflow_id).toBe('wf-1');
    expect(without?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([[]]);
  });

  it('every dimension named in a dimension set has a string value at the root', () => {
    const { metrics, parsed } = capture();
    metrics.record('StepDuration', 125, { workflow_id: 'wf-1', node: 'Task_A' });
    const line = parsed()[0] as EmfLine;
    const directive = line._aws.CloudWatchMetrics[0];
    const named = (directive?.Dimensions ?? []).flat();
    expect(named).toContain('workflow_id');
    for (const dimension of named) expect(typeof line[dimension]).toBe('string');
    expect(line.node).toBe('Task_A');
    expect(line.StepDuration).toBe(125);
    expect(directive?.Metrics).toEqual([{ Name: 'StepDuration', Unit: 'Milliseconds' }]);
  });

  it.each<[MetricName, string]>([
    ['WorkflowsStarted', 'Count'],
    ['WorkflowsSucceeded', 'Count'],
    ['WorkflowsFailed', 'Count'],
    ['WorkflowsCancelled', 'Count'],
    ['StepDuration', 'Milliseconds'],
    ['DuplicateReplies', 'Count'],
    ['StaleReplies', 'Count'],
    ['LeaseConflicts', 'Count'],
    ['RequestsDispatched', 'Count'],
  ])('%s has unit %s and its value under its own name', (name, unit) => {
    const { metrics, parsed } = capture();
    metrics.record(name, 3);
    const line = parsed()[0] as EmfLine;
    expect(line._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: name, Unit: unit }]);
    expect(line[name]).toBe(3);
    expect(line._aws.Timestamp).toBe(NOW);
  });

  it('writes to stdout by default, one newline-terminated line per point', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      new EmfMetrics('NS', DEPLOYMENT).record('StaleReplies', 1, { workflow_id: 'w' });
      expect(write).toHaveBeenCalledTimes(1);
      const text = String(write.mock.calls[0]?.[0]);
      expect(text.endsWith('\n')).toBe(true);
      const line = JSON.parse(text) as EmfLine;
      expect(line._aws.CloudWatchMetrics[0]?.Namespace).toBe('NS');
      expect(typeof line._aws.Timestamp).toBe('number');
    } finally {
      write.mockRestore();
    }
  });
});
