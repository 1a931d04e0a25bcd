import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordingIo } from '../../orchestrator/src/cli/cli-test-io';
import { describeCommand } from '../../orchestrator/src/cli/describe-command';
import { runCli } from '../../orchestrator/src/cli/main';
import type { InstanceDescription } from '../../orchestrator/src/operations/describe-instance';
import type { InstanceRecord } from '../../orchestrator/src/runtime/instance-record';
import { REPO_ROOT } from '../../scripts/local-aws/provision-local';
import { runOnEmbeddedStack } from '../../scripts/wf';
import { startTestStack } from './local-stack-support';

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
    expect(io.stderr()).toMatch(/^note: on the embedded stack wait nodes take real time, [^\n]*\n$/);
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
    expect(io.stderr()).toMatch(/^note: on the embedded stack wait nodes take real time, [^\n]*\n$/);
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
    // The note, then (the instance did not succeed) where the stack's log was kept.
    expect(io.stderr()).toMatch(
      /^note: on the embedded stack replies that never come \(their timeouts decide\) take real time, [^\n]*\nthe embedded stack's log \(JSON lines\): [^\n]+\.log\n$/,
    );
    rmSync(/log \(JSON lines\): ([^\n]+)\n$/.exec(io.stderr())?.[1] ?? '', { force: true });
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

describe('a parent cancelled while its child waits (embedded stack, orchestrator and mock polling)', () => {
  const CHILD = `workflow_name: 'Child that waits'
workflow_id: zz_cancel_child_e2e_v1
entry_point: Hold
initial_context: [who]
nodes:
  Hold:
    type: async_request
    capability_id: 'zz-hold#wait'
    input_keys: [who]
    request_output_keys: [answer]
    on_response: Done
    timeout: 1h
  Done: { type: end, output_keys: [answer] }
`;
  const PARENT = `workflow_name: 'Parent cancelled while its child waits'
workflow_id: zz_cancel_parent_e2e_v1
entry_point: Child
initial_context: [name]
nodes:
  Child:
    type: sub_workflow
    workflow_id: zz_cancel_child_e2e_v1
    input: '{"who": name}'
    next: Done
    timeout: 1h
  Done: { type: end }
`;

  it('cancels the child through the real queues; its late reply is stale, nothing is dead-lettered, describe links it', async () => {
    // The mock receives the child's request and never answers it: the child waits until cancelled.
    const t = await startTestStack({ scenarios: { 'zz-hold#wait': { reply: false } } });
    try {
      await t.stack.addCapabilityDomains(['zz-hold']);
      await t.upload('zz_cancel_child_e2e_v1', CHILD);
      await t.upload('zz_cancel_parent_e2e_v1', PARENT);
      const parentId = 'cancel-parent-1';
      const childId = `${parentId}.Child.1`;
      await t.start('zz_cancel_parent_e2e_v1', parentId, { name: 'ACME' });
      await t.waitFor(childId, (r) => r.status === 'WAITING');
      const waiting = await t.waitFor(parentId, (r) => r.waits.length > 0);
      expect(waiting.waits).toEqual([expect.objectContaining({ node: 'Child', child_instance_id: childId })]);

      // CANCEL_WORKFLOW for the parent, as a caller sends it: on the command queue.
      await t.send(t.stack.resources.commandQueue.url, {
        type: 'CANCEL_WORKFLOW',
        instance_id: parentId,
        reason: 'order withdrawn',
      });
      const parent = await t.waitFor(parentId, t.ended);
      expect(parent.status).toBe('CANCELLED');
      const child = await t.waitFor(childId, t.ended);
      expect(child.status).toBe('CANCELLED');
      expect(child.error?.message).toContain('order withdrawn');
      // The child's capability is told its request is no longer awaited.
      const childRequest = t.requestId(childId, 'Hold');
      await t.waitForLog(
        'of the mock receiving the cancel notice',
        (l) =>
          l.msg === 'mock capability: request cancelled (nothing to stop)' && l.request_id === childRequest,
      );

      // The capability answers after all, too late: acknowledged as stale, never applied or dead-lettered.
      await t.reply({
        type: 'ASYNC_RESP',
        instance_id: childId,
        request_id: childRequest,
        status: 'SUCCESS',
        outputs: { answer: 'late' },
      });
      await t.waitForLog(
        'of the late reply acknowledged as stale',
        (l) => l.msg === 'stale reply: the request is no longer awaited' && l.request_id === childRequest,
      );
      expect((await t.record(childId))?.context).not.toHaveProperty('answer');
      const { commandQueue, replyQueue } = t.stack.resources;
      for (const dlq of [commandQueue.dlqUrl, replyQueue.dlqUrl]) {
        expect(await t.approximateMessages(dlq)).toBe(0);
      }
      expect(t.logs().filter((l) => l.msg === 'message dead-lettered')).toEqual([]);

      // wf describe of the parent links the child, and says how its step ended.
      const io = recordingIo(REPO_ROOT);
      const target = () => ({ stage: t.stack.resources.stage, clients: t.stack.aws.clientConfig });
      expect(await describeCommand([parentId, '--json'], io, { target })).toBe(0);
      const described = JSON.parse(io.stdout()) as InstanceDescription;
      expect(described.status).toBe('CANCELLED');
      expect(described.children).toEqual([{ node: 'Child', instance_id: childId, status: 'CANCELLED' }]);
      const childIo = recordingIo(REPO_ROOT);
      expect(await describeCommand([childId, '--json'], childIo, { target })).toBe(0);
      expect((JSON.parse(childIo.stdout()) as InstanceDescription).parent).toMatchObject({
        instance_id: parentId,
        node: 'Child',
      });
    } finally {
      await t.stop();
    }
  });
});
