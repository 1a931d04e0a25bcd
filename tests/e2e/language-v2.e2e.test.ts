import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordingIo } from '../../orchestrator/src/cli/cli-test-io';
import { runCli } from '../../orchestrator/src/cli/main';
import type { InstanceRecord } from '../../orchestrator/src/runtime/instance-record';
import { REPO_ROOT } from '../../scripts/local-aws/provision-local';
import { runOnEmbeddedStack } from '../../scripts/wf';

jest.setTimeout(90_000);

/** set, input/result mapping and wait on the embedded stack (real SQS, DynamoDB and S3 servers). */
const DEFINITION = `workflow_name: 'Language v2 on the embedded stack'
workflow_id: lang_v2_e2e_v1
entry_point: Price
initial_context: [order]
nodes:
  Price:
    type: set
    values:
      total: '$sum(order.lines.(qty * price))'
    next: Screen
  Screen:
    type: async_request
    capability_id: 'zz-risk#screening'
    input: '{"orderId": order.id, "amount": total}'
    request_output_keys: [score]
    result:
      risk_score: 'score * 100'
    on_response: Settle
    timeout: 5m
  Settle:
    type: wait
    duration: 2s
    next: Route
  Route:
    type: choice
    choices:
      - when: 'total > 100 and risk_score < 50'
        next: Accepted
    default: Rejected
  Accepted: { type: end, output_keys: [total, risk_score] }
  Rejected: { type: end, status: FAILED }
`;

function write(name: string, text: string): string {
  const dir = join(REPO_ROOT, '.local-aws', `language-v2-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('language v2 nodes on the embedded stack', () => {
  it('computes, maps a reply, waits on a real timer and routes on what it computed', async () => {
    const io = recordingIo(REPO_ROOT);
    const context = {
      order: {
        id: 'O-1',
        lines: [
          { qty: 2, price: 40 },
          { qty: 1, price: 30 },
        ],
      },
    };
    const code = await runCli(
      [
        'run',
        write('lang_v2_e2e_v1.yaml', DEFINITION),
        '--context',
        JSON.stringify(context),
        '--mocks',
        write('mocks.yaml', "'zz-risk#screening':\n  outputs: { score: 0.25 }\n"),
        '--json',
      ],
      io,
      { embedded: runOnEmbeddedStack },
    );
    expect(io.stderr()).toBe('');
    expect(code).toBe(0);
    const record = JSON.parse(io.stdout()) as InstanceRecord;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.context).toMatchObject({ total: 110, risk_score: 25 });
    // The reply's own key stayed out of the context: result mapped it.
    expect(record.context).not.toHaveProperty('score');
    expect(record.history.map((h) => h.node)).toEqual(['Price', 'Screen', 'Settle', 'Route', 'Accepted']);
    const settle = record.history.find((h) => h.node === 'Settle');
    expect(Date.parse(settle?.ended_at ?? '') - Date.parse(settle?.started_at ?? '')).toBeGreaterThanOrEqual(
      2000,
    );
  });

  it('runs a sub_workflow: the child (found beside the file) starts on the real queues and its end maps back', async () => {
    const io = recordingIo(REPO_ROOT);
    write(
      'zz_child_e2e_v1.yaml',
      `workflow_name: 'Child on the embedded stack'
workflow_id: zz_child_e2e_v1
entry_point: Score
initial_context: [who]
nodes:
  Score:
    type: async_request
    capability_id: 'zz-child#score'
    input_keys: [who]
    request_output_keys: [score]
    on_response: Done
    timeout: 5m
  Done: { type: end, output_keys: [score, who] }
`,
    );
    const parent = write(
      'zz_parent_e2e_v1.yaml',
      `workflow_name: 'Parent on the embedded stack'
workflow_id: zz_parent_e2e_v1
entry_point: Child
initial_context: [name]
nodes:
  Child:
    type: sub_workflow
    workflow_id: zz_child_e2e_v1
    input: '{"who": name}'
    result:
      child_score: 'score'
    next: Done
    timeout: 5m
  Done: { type: end, output_keys: [child_score] }
`,
    );
    const code = await runCli(
      [
        'run',
        parent,
        '--context',
        JSON.stringify({ name: 'ACME' }),
        '--mocks',
        write('child-mocks.yaml', "'zz-child#score':\n  outputs: { score: 7 }\n"),
        '--json',
      ],
      io,
      { embedded: runOnEmbeddedStack },
    );
    expect(io.stderr()).toBe('');
    expect(code).toBe(0);
    const record = JSON.parse(io.stdout()) as InstanceRecord;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.context).toMatchObject({ name: 'ACME', child_score: 7 });
    const step = record.history.find((h) => h.node === 'Child');
    expect(step && 'child_instance_id' in step ? step.child_instance_id : undefined).toBe(
      `${record.instance_id}.Child.1`,
    );
  });

  it('runs the language v2 example (set, map, sub_workflow, mapping, wait) as pnpm start does', async () => {
    const io = recordingIo(REPO_ROOT);
    const order = {
      buyer: 'ACME Ltd',
      lines: [
        { sku: 'A-1', qty: 2, price: 40 },
        { sku: 'B-2', qty: 1, price: 30 },
      ],
    };
    const code = await runCli(
      [
        'run',
        'workflow-definitions/language-v2/order_fulfilment_v2.yaml',
        '--context',
        JSON.stringify({ order }),
        '--json',
      ],
      io,
      { embedded: runOnEmbeddedStack },
    );
    expect(io.stderr()).toBe('');
    expect(code).toBe(0);
    const record = JSON.parse(io.stdout()) as InstanceRecord;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.context).toMatchObject({ total: 110, line_count: 2 });
    // One output per line, in line order, each from its own child instance.
    const classified = record.context.classified as { line_no: number }[];
    expect(classified.map((c) => c.line_no)).toEqual([0, 1]);
    expect(record.history.map((h) => h.node)).toEqual([
      'Price',
      'Classify_Lines',
      'Classify_Lines',
      'Screen_Buyer',
      'Cooling_Off',
      'Done',
    ]);
    expect(
      record.history
        .flatMap((h) => ('child_instance_id' in h && h.child_instance_id ? [h.child_instance_id] : []))
        .sort(),
    ).toEqual([
      `${record.instance_id}.Classify_Lines.1.0`,
      `${record.instance_id}.Classify_Lines.1.1`,
      `${record.instance_id}.Screen_Buyer.1`,
    ]);
  });

  it('a branch that fails into a shared end stops its sibling and ends the instance there', async () => {
    const io = recordingIo(REPO_ROOT);
    const definition = `workflow_name: 'Shared end on the embedded stack'
workflow_id: zz_shared_end_e2e_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [Slow, Fails]
    join: Done
  Slow:
    type: async_request
    capability_id: 'zz-slow#work'
    request_output_keys: [slow]
    on_response: Done
    timeout: 10m
  Fails:
    type: async_request
    capability_id: 'zz-fails#work'
    request_output_keys: [fast]
    on_response: Done
    on_failure: Rejected
    timeout: 10m
  Done: { type: end }
  Rejected: { type: end, status: FAILED }
`;
    const mocks = [
      "'zz-slow#work':",
      '  reply: false',
      "'zz-fails#work':",
      '  status: FAILURE',
      '  error: { code: NO_STOCK, message: out of stock }',
      '',
    ].join('\n');
    const code = await runCli(
      [
        'run',
        write('zz_shared_end_e2e_v1.yaml', definition),
        '--mocks',
        write('shared-end-mocks.yaml', mocks),
        '--json',
      ],
      io,
      { embedded: runOnEmbeddedStack },
    );
    expect(io.stderr()).toBe('');
    expect(code).toBe(1);
    const record = JSON.parse(io.stdout()) as InstanceRecord;
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ code: 'NO_STOCK', node: 'Fails' });
    expect(record.waits).toEqual([]);
    expect(record.history.map((h) => [h.node, h.status])).toEqual(
      expect.arrayContaining([
        ['Fails', 'FAILED'],
        ['Slow', 'CANCELLED'],
        ['Rejected', 'FAILED'],
      ]),
    );
    expect(record.history.at(-1)?.node).toBe('Rejected');
  });
});
