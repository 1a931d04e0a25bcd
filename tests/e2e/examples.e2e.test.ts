import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { recordingIo } from '../../orchestrator/src/cli/cli-test-io';
import { statusCommand } from '../../orchestrator/src/cli/status-command';
import { runTest } from '../../scripts/run-test';
import { LocalFileLogSource } from '../../scripts/run-test/log-sources';
import { startTestStack, type TestStack } from './local-stack-support';

jest.setTimeout(90_000);

let t: TestStack;
beforeAll(async () => {
  t = await startTestStack();
});
afterAll(async () => {
  await t.stop();
});

describe('the example workflows end to end on the embedded stack (run-test)', () => {
  it.each(['import_vn_memphis_v1', 'fanout_a_b_c_v1', 'export_screening_v1'])(
    '%s SUCCEEDED',
    async (workflowId) => {
      const lines: string[] = [];
      const result = await runTest({
        definitionFile: `${workflowId}.yaml`,
        target: {
          stage: t.stack.resources.stage,
          clients: t.stack.aws.clientConfig,
          logs: new LocalFileLogSource(t.stack.logFile),
        },
        timeoutMs: 30_000,
        out: (line) => lines.push(line),
      });
      expect(result.status).toBe('SUCCEEDED');
      expect(lines.some((l) => l.includes('■ SUCCEEDED'))).toBe(true);
      const nodes = result.record?.history.map((h) => h.node) ?? [];
      if (workflowId === 'fanout_a_b_c_v1') {
        expect(nodes.filter((n) => n === 'Task_C')).toHaveLength(1);
        expect(new Set(nodes)).toEqual(
          new Set(['Task_A', 'Fan_Out', 'Task_B1', 'Task_B2', 'Task_B3', 'Task_C', 'Done']),
        );
      }
      // wf status prints the same record, as JSON and as a summary.
      const target = () => ({ stage: t.stack.resources.stage, dynamodb: t.stack.aws.clientConfig.dynamodb });
      const json = recordingIo(__dirname);
      expect(await statusCommand([result.instanceId, '--json'], json, target)).toBe(0);
      expect(JSON.parse(json.stdout())).toEqual(result.record);
      const human = recordingIo(__dirname);
      expect(await statusCommand([result.instanceId], human, target)).toBe(0);
      expect(human.stdout()).toContain(`${result.instanceId}  ${workflowId}  SUCCEEDED`);
      if (workflowId === 'import_vn_memphis_v1') {
        // The capability mock answers the seed's key with the S3 URI of the uploaded sample data.
        expect(result.record?.context.import_enrichment_uri).toBe(
          `s3://${t.stack.resources.names.eventDataBucket}/sample-data/asn_vn_memphis.json`,
        );
      }
    },
  );

  it('retention: no checkpoint item of any instance has a TTL; a finished record does, about 30 days out', async () => {
    const client = new DynamoDBClient(t.stack.aws.clientConfig.dynamodb);
    try {
      const items: Record<string, AttributeValue>[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: t.stack.resources.names.stateTable,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      const checkpoints = items.filter((i) => i.PK?.S?.startsWith('THREAD#'));
      expect(checkpoints.length).toBeGreaterThan(10);
      expect(checkpoints.filter((i) => i.ttl !== undefined)).toEqual([]);
      const finished = items.filter((i) => i.SK?.S === 'STATUS' && i.status?.S === 'SUCCEEDED');
      expect(finished.length).toBeGreaterThanOrEqual(3);
      const days = (i: Record<string, AttributeValue>) => (Number(i.ttl?.N) - Date.now() / 1000) / 86_400;
      for (const record of finished) expect(Math.round(days(record))).toBe(30);
      // History beyond the last commit lives in append-only items beside the record: one per commit,
      // the resolution item of the request that commit answered, or an `H#` item when it answered none.
      const flushed = items.filter((i) => /^(H|R)#/.test(i.SK?.S ?? '') && i.entries?.S !== undefined);
      expect(flushed.length).toBeGreaterThan(0);
    } finally {
      client.destroy();
    }
  });

  it('wf status says so when the instance does not exist', async () => {
    const io = recordingIo(__dirname);
    const target = () => ({ stage: t.stack.resources.stage, dynamodb: t.stack.aws.clientConfig.dynamodb });
    expect(await statusCommand(['no-such-instance'], io, target)).toBe(1);
    expect(io.stderr()).toBe('no instance no-such-instance in cch-local-dev-workflow-state-table\n');
  });

  it('every log line of an instance carries instance_id and workflow_id; steps carry node, requests request_id', () => {
    const lines = t
      .logs()
      .filter((l) => typeof l.instance_id === 'string' && l.service === 'workflow-orchestrator');
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines.filter(
      (l) => l.message_type !== 'ASYNC_RESP' || l.msg !== 'message will be retried',
    )) {
      expect([line.msg, typeof line.workflow_id]).toEqual([line.msg, 'string']);
    }
    for (const line of lines.filter((l) => l.msg === 'request sent')) {
      expect(typeof line.node).toBe('string');
      expect(typeof line.request_id).toBe('string');
    }
  });

  it('metrics are emitted in CloudWatch Embedded Metric Format', () => {
    const emf = t.logs().filter((l) => typeof l._aws === 'object');
    const names = new Set(
      emf.flatMap(
        (l) =>
          (
            l._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }
          ).CloudWatchMetrics[0]?.Metrics.map((m) => m.Name) ?? [],
      ),
    );
    for (const name of ['WorkflowsStarted', 'WorkflowsSucceeded', 'StepDuration', 'RequestsDispatched']) {
      expect(names).toContain(name);
    }
    const started = emf.find((l) => 'WorkflowsStarted' in l);
    expect(started).toMatchObject({
      WorkflowsStarted: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: 'CCH/WorkflowEngine' }] },
    });
  });
});
