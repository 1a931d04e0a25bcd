import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { SfnExecutionReader } from '../../aws/sfn-execution-reader';
import { deployedStateMachines } from '../../aws/sfn-state-machines';
import { CHECK_LINE, CHECK_LINES, CHECK_ONE_LINE } from './parity-workflows';
import { startStepFunctionsDeployment, type StepFunctionsDeployment } from './step-functions-deployment';

/**
 * Nested executions on the embedded Step Functions endpoint: a sub_workflow parent and a map parent
 * deployed with their child, started through the command bridge, the children's requests answered through
 * the reply bridge, everything read back over HTTP with the real SDK client.
 */

const STAGE = { env: 'local', owner: 'dev' } as const;
const CHILD = 'check_line_v1';
const ONE = 'check_one_line_v1';
const LINES = 'check_lines_v1';
/** CHECK_ONE_LINE with a 1s timeout: its child is stopped when the nested execution task times out. */
const HASTY = 'check_one_line_hasty_v1';
const CHECK_ONE_LINE_HASTY = CHECK_ONE_LINE.replace(
  'workflow_id: check_one_line_v1',
  `workflow_id: ${HASTY}`,
).replace('timeout: 2h', 'timeout: 1s');

let sfn: StepFunctionsDeployment;
let client: SFNClient;

beforeAll(async () => {
  sfn = await startStepFunctionsDeployment(STAGE, [
    { file: 'check_line.yaml', yaml: CHECK_LINE },
    { file: 'check_one_line.yaml', yaml: CHECK_ONE_LINE },
    { file: 'check_lines.yaml', yaml: CHECK_LINES },
    { file: 'check_one_line_hasty.yaml', yaml: CHECK_ONE_LINE_HASTY },
  ]);
  client = new SFNClient(sfn.sfnConfig);
});

afterAll(async () => {
  client.destroy();
  await sfn.stop();
});

const described = (executionArn: string): Promise<DescribeExecutionCommandOutput> =>
  client.send(new DescribeExecutionCommand({ executionArn }));

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 25, ...(nextToken ? { nextToken } : {}) }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** The child execution the engine names `<instance>.<suffix>`, on the child's state machine. */
const childArn = (instance: string, suffix: string) => sfn.executionArn(CHILD, `${instance}.${suffix}`);

const line = (sku: string, ok = true) => ({ sku, ok });

/** Answers the child's request once it waits for it. */
async function answer(child: string, verdict: string): Promise<void> {
  await sfn.server.tasksWaiting(sfn.executionArn(CHILD, child));
  await sfn.reply(child, { status: 'SUCCESS', outputs: { verdict } });
}

/** The events from `last` back along previousEventId to the first event of type `first`. */
function chain(events: readonly HistoryEvent[], last: HistoryEvent, first: string): HistoryEvent[] {
  const byId = new Map(events.map((e) => [e.id, e]));
  const linked = [last];
  let event: HistoryEvent | undefined = last;
  while (event && event.type !== first) {
    event = byId.get(event.previousEventId);
    if (event) linked.unshift(event);
  }
  return linked;
}

const scheduledName = (event: HistoryEvent | undefined): unknown =>
  (JSON.parse(event?.taskScheduledEventDetails?.parameters ?? '{}') as { Name?: unknown }).Name;

describe('a sub_workflow on the embedded Step Functions endpoint', () => {
  it('runs the child as its own execution and maps its output into the parent', async () => {
    await sfn.start(ONE, 'one-ok', { order: { lines: [line('A')] } });
    await answer('one-ok.Check_Line.1', 'fine');
    await sfn.server.ended(sfn.executionArn(ONE, 'one-ok'));

    const parent = await described(sfn.executionArn(ONE, 'one-ok'));
    expect(parent.status).toBe('SUCCEEDED');
    expect(JSON.stringify(JSON.parse(parent.output ?? 'null'))).toContain('"first_verdict":"fine"');

    const child = await described(childArn('one-ok', 'Check_Line.1'));
    expect(child).toMatchObject({
      status: 'SUCCEEDED',
      name: 'one-ok.Check_Line.1',
      stateMachineArn: sfn.stateMachineArn(CHILD),
    });
    const listed = await client.send(
      new ListExecutionsCommand({ stateMachineArn: sfn.stateMachineArn(CHILD) }),
    );
    expect(listed.executions?.map((e) => e.name)).toContain('one-ok.Check_Line.1');
  });

  it('records the nested execution as a states task naming the child', async () => {
    const events = await history(sfn.executionArn(ONE, 'one-ok'));
    const scheduled = events.find(
      (e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resourceType === 'states',
    );
    expect(scheduled?.taskScheduledEventDetails).toMatchObject({
      resource: 'startExecution.sync:2',
      region: sfn.server.region,
    });
    const parameters = JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '{}') as Record<
      string,
      unknown
    >;
    expect(parameters).toMatchObject({
      StateMachineArn: sfn.stateMachineArn(CHILD),
      Name: 'one-ok.Check_Line.1',
    });
    const task = events.filter((e) => e.id !== undefined && e.id >= (scheduled?.id ?? 0)).slice(0, 5);
    expect(task.map((e) => e.type)).toEqual([
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
    ]);
    // The task's events link back into their state, through its entry.
    const entered = events.find((e) => e.id === scheduled?.previousEventId);
    expect(entered).toMatchObject({
      type: 'TaskStateEntered',
      stateEnteredEventDetails: { name: 'Check_Line.child' },
    });
    const succeeded = task[3];
    const output = JSON.parse(succeeded?.taskSucceededEventDetails?.output ?? '{}') as Record<
      string,
      unknown
    >;
    expect(output).toMatchObject({
      Name: 'one-ok.Check_Line.1',
      Status: 'SUCCEEDED',
      ExecutionArn: childArn('one-ok', 'Check_Line.1'),
    });
    expect(typeof output.Output).toBe('object');
  });

  it('fails the parent step when the child fails: the parent ends FAILED with CHILD_FAILED', async () => {
    await sfn.start(ONE, 'one-bad', { order: { lines: [line('B', false)] } });
    await answer('one-bad.Check_Line.1', 'bad');
    await sfn.server.ended(sfn.executionArn(ONE, 'one-bad'));

    expect((await described(childArn('one-bad', 'Check_Line.1'))).status).toBe('FAILED');
    const parent = await described(sfn.executionArn(ONE, 'one-bad'));
    expect(parent.status).toBe('FAILED');
    expect(`${parent.error ?? ''} ${parent.cause ?? ''}`).toContain('CHILD_FAILED');

    const failed = (await history(sfn.executionArn(ONE, 'one-bad'))).find((e) => e.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toMatchObject({
      resourceType: 'states',
      resource: 'startExecution.sync:2',
      error: 'States.TaskFailed',
    });
    expect(JSON.parse(failed?.taskFailedEventDetails?.cause ?? '{}')).toMatchObject({
      Name: 'one-bad.Check_Line.1',
      Status: 'FAILED',
    });
  });

  it("checks the child's initial_context before starting it (the parent is compiled knowing its child)", async () => {
    await sfn.start(ONE, 'one-empty', { order: { lines: [] } });
    await sfn.server.ended(sfn.executionArn(ONE, 'one-empty'));

    const parent = await described(sfn.executionArn(ONE, 'one-empty'));
    expect(parent.status).toBe('FAILED');
    expect(`${parent.error ?? ''} ${parent.cause ?? ''}`).toContain('CHILD_FAILED');
    expect(`${parent.cause ?? ''}`).toContain('line');
    await expect(described(childArn('one-empty', 'Check_Line.1'))).rejects.toThrow(/Does Not Exist/);
  });

  it('fails the task as StartExecution refuses a name taken by another execution', async () => {
    // An execution of the child's machine under the name the parent's child would take, another input.
    await sfn.start(CHILD, 'taken.Check_Line.1', { line: line('X') });
    await sfn.start(ONE, 'taken', { order: { lines: [line('E')] } });
    await sfn.server.ended(sfn.executionArn(ONE, 'taken'));

    const parent = await described(sfn.executionArn(ONE, 'taken'));
    expect(parent.status).toBe('FAILED');
    expect(`${parent.error ?? ''} ${parent.cause ?? ''}`).toContain('CHILD_FAILED');
    const failed = (await history(sfn.executionArn(ONE, 'taken'))).find((e) => e.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toMatchObject({
      resourceType: 'states',
      error: 'StepFunctions.ExecutionAlreadyExistsException',
    });
    // The execution that had the name is untouched, still waiting for its request.
    expect((await described(childArn('taken', 'Check_Line.1'))).status).toBe('RUNNING');
  });

  it('stops the child (ABORTED) when the parent is cancelled while the child waits', async () => {
    await sfn.start(ONE, 'one-stop', { order: { lines: [line('C')] } });
    await sfn.server.tasksWaiting(childArn('one-stop', 'Check_Line.1'));
    await sfn.cancel('one-stop', 'operator says so');
    await sfn.server.ended(childArn('one-stop', 'Check_Line.1'));

    expect((await described(sfn.executionArn(ONE, 'one-stop'))).status).toBe('ABORTED');
    expect((await described(childArn('one-stop', 'Check_Line.1'))).status).toBe('ABORTED');
    const events = await history(sfn.executionArn(ONE, 'one-stop'));
    expect(events.slice(-2).map((e) => e.type)).toEqual(['TaskStateAborted', 'ExecutionAborted']);
  });
});

describe('a sub_workflow with a timeout on the embedded Step Functions endpoint', () => {
  it('stops the child (ABORTED) when the task times out, and records TaskTimedOut', async () => {
    await sfn.start(HASTY, 'hasty', { order: { lines: [line('D')] } });
    await sfn.server.tasksWaiting(childArn('hasty', 'Check_Line.1'));
    await sfn.server.ended(sfn.executionArn(HASTY, 'hasty'));

    expect((await described(childArn('hasty', 'Check_Line.1'))).status).toBe('ABORTED');
    const parent = await described(sfn.executionArn(HASTY, 'hasty'));
    expect(parent.status).toBe('FAILED');
    expect(`${parent.error ?? ''} ${parent.cause ?? ''}`).toContain('TIMEOUT');
    const timedOut = (await history(sfn.executionArn(HASTY, 'hasty'))).find((e) => e.type === 'TaskTimedOut');
    expect(timedOut?.taskTimedOutEventDetails).toMatchObject({
      resourceType: 'states',
      resource: 'startExecution.sync:2',
      error: 'States.Timeout',
    });
  });
});

describe('a map on the embedded Step Functions endpoint', () => {
  it('runs one child execution per item and collects their outputs in order', async () => {
    await sfn.start(LINES, 'lines-ok', { order: { lines: [line('A'), line('B'), line('C')] } });
    // max_concurrency 2: the third child starts once one of the first two has ended.
    await answer('lines-ok.Check_Lines.1.1', 'b');
    await answer('lines-ok.Check_Lines.1.0', 'a');
    await answer('lines-ok.Check_Lines.1.2', 'c');
    await sfn.server.ended(sfn.executionArn(LINES, 'lines-ok'));

    const parent = await described(sfn.executionArn(LINES, 'lines-ok'));
    expect(parent.status).toBe('SUCCEEDED');
    const output = JSON.parse(parent.output ?? 'null') as {
      outcome: { output: { verdicts: { verdict: string; line: unknown }[] } };
    };
    expect(output.outcome.output.verdicts.map((v) => v.verdict)).toEqual(['a', 'b', 'c']);
    for (const index of [0, 1, 2]) {
      expect(await described(childArn('lines-ok', `Check_Lines.1.${index}`))).toMatchObject({
        status: 'SUCCEEDED',
        stateMachineArn: sfn.stateMachineArn(CHILD),
      });
    }
  });

  it('records the Map state, its iterations and each iteration chain as Step Functions does', async () => {
    const events = await history(sfn.executionArn(LINES, 'lines-ok'));
    const map = 'Check_Lines.items';
    const mapEvents = events.filter((e) => e.type?.startsWith('MapState'));
    expect(mapEvents.map((e) => e.type)).toEqual([
      'MapStateEntered',
      'MapStateStarted',
      'MapStateSucceeded',
      'MapStateExited',
    ]);
    expect(mapEvents[0]?.stateEnteredEventDetails?.name).toBe(map);
    expect(mapEvents[1]?.mapStateStartedEventDetails).toEqual({ length: 3 });

    const started = events.filter((e) => e.type === 'MapIterationStarted');
    expect(
      started.map((e) => e.mapIterationStartedEventDetails).sort((a, b) => (a?.index ?? 0) - (b?.index ?? 0)),
    ).toEqual([
      { name: map, index: 0 },
      { name: map, index: 1 },
      { name: map, index: 2 },
    ]);
    for (const index of [0, 1, 2]) {
      const end = events.find(
        (e) => e.type === 'MapIterationSucceeded' && e.mapIterationSucceededEventDetails?.index === index,
      );
      if (!end) throw new Error(`no MapIterationSucceeded for item ${index}`);
      expect(end.mapIterationSucceededEventDetails?.name).toBe(map);
      const iteration = chain(events, end, 'MapIterationStarted');
      expect(iteration.map((e) => e.type)).toEqual([
        'MapIterationStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSubmitted',
        'TaskSucceeded',
        'TaskStateExited',
        'MapIterationSucceeded',
      ]);
      expect(iteration[0]?.mapIterationStartedEventDetails).toEqual({ name: map, index });
      expect(iteration[1]?.stateEnteredEventDetails?.name).toBe('Check_Lines.item');
      expect(scheduledName(iteration[2])).toBe(`lines-ok.Check_Lines.1.${index}`);
    }
    // The Map state's own chain: its end links back to its iterations' ends, its exit to its end.
    const [entered, mapStarted, mapSucceeded, exited] = mapEvents;
    expect(mapStarted?.previousEventId).toBe(entered?.id);
    expect(events.find((e) => e.id === mapSucceeded?.previousEventId)?.type).toBe('MapIterationSucceeded');
    expect(exited?.previousEventId).toBe(mapSucceeded?.id);
  });

  it('fails the map at a failed item: its running sibling is stopped, the next item never starts', async () => {
    await sfn.start(LINES, 'lines-bad', { order: { lines: [line('A'), line('B', false), line('C')] } });
    await sfn.server.tasksWaiting(childArn('lines-bad', 'Check_Lines.1.0'));
    await answer('lines-bad.Check_Lines.1.1', 'bad');
    await sfn.server.ended(sfn.executionArn(LINES, 'lines-bad'));

    const parent = await described(sfn.executionArn(LINES, 'lines-bad'));
    expect(parent.status).toBe('FAILED');
    expect(`${parent.error ?? ''} ${parent.cause ?? ''}`).toContain('MAP_ITEM_FAILED');
    expect((await described(childArn('lines-bad', 'Check_Lines.1.1'))).status).toBe('FAILED');
    expect((await described(childArn('lines-bad', 'Check_Lines.1.0'))).status).toBe('ABORTED');
    await expect(described(childArn('lines-bad', 'Check_Lines.1.2'))).rejects.toThrow(/Does Not Exist/);

    const events = await history(sfn.executionArn(LINES, 'lines-bad'));
    const iterationEnds = events
      .filter((e) => e.type === 'MapIterationFailed' || e.type === 'MapIterationAborted')
      .map((e) => [e.type, (e.mapIterationFailedEventDetails ?? e.mapIterationAbortedEventDetails)?.index]);
    // Item 2 may have begun in the slot item 1 freed as it failed: then it was aborted before its task ran.
    expect(iterationEnds.slice(0, 2)).toEqual([
      ['MapIterationFailed', 1],
      ['MapIterationAborted', 0],
    ]);
    expect(iterationEnds.slice(2)).toEqual(
      events.some((e) => e.type === 'MapIterationStarted' && e.mapIterationStartedEventDetails?.index === 2)
        ? [['MapIterationAborted', 2]]
        : [],
    );
    const failedAt = events.findIndex((e) => e.type === 'MapStateFailed');
    expect(failedAt).toBeGreaterThan(events.findIndex((e) => e.type === 'MapIterationAborted'));
    expect(
      events
        .filter((e) => e.type === 'TaskScheduled')
        .map(scheduledName)
        .filter((n) => n !== undefined)
        .sort(),
    ).toEqual(['lines-bad.Check_Lines.1.0', 'lines-bad.Check_Lines.1.1'].sort());
  });

  it('stops every running item child when the parent is cancelled', async () => {
    await sfn.start(LINES, 'lines-stop', { order: { lines: [line('A'), line('B')] } });
    await sfn.server.tasksWaiting(childArn('lines-stop', 'Check_Lines.1.0'));
    await sfn.server.tasksWaiting(childArn('lines-stop', 'Check_Lines.1.1'));
    await sfn.cancel('lines-stop', 'operator says so');
    await sfn.server.ended(childArn('lines-stop', 'Check_Lines.1.1'));

    expect((await described(childArn('lines-stop', 'Check_Lines.1.0'))).status).toBe('ABORTED');
    expect((await described(childArn('lines-stop', 'Check_Lines.1.1'))).status).toBe('ABORTED');
    const events = await history(sfn.executionArn(LINES, 'lines-stop'));
    expect(events.slice(-1)[0]?.type).toBe('ExecutionAborted');
    expect(events.filter((e) => e.type === 'MapIterationAborted')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'MapStateAborted')).toHaveLength(1);
  });
});

/** The record `wf status` prints for an instance: read by the operator commands' own reader. */
async function record(workflowId: string, instanceId: string) {
  const reader = new SfnExecutionReader(client, () => deployedStateMachines(client, STAGE));
  const read = await reader.instance(instanceId);
  if (!read) throw new Error(`no execution ${instanceId}`);
  expect(read.workflow_id).toBe(workflowId);
  return read;
}

describe('wf status reads the parents as the engine records them (the executions above, read back)', () => {
  const lines = (r: Awaited<ReturnType<typeof record>>): unknown[][] =>
    r.history.map((h) => [h.node, h.status, 'child_instance_id' in h ? h.child_instance_id : undefined]);

  it("a sub_workflow's step is one line, from its start to its child's end, naming the child", async () => {
    const one = await record(ONE, 'one-ok');
    expect(lines(one)).toEqual([
      ['Check_Line', 'SUCCEEDED', 'one-ok.Check_Line.1'],
      ['Done', 'SUCCEEDED', undefined],
    ]);
    expect(one.output).toEqual({ first_verdict: 'fine' });
  });

  it("a map's items are lines of the map in the order they ended; a failed map's stopped items are none", async () => {
    expect(lines(await record(LINES, 'lines-ok'))).toEqual([
      ['Check_Lines', 'SUCCEEDED', 'lines-ok.Check_Lines.1.1'],
      ['Check_Lines', 'SUCCEEDED', 'lines-ok.Check_Lines.1.0'],
      ['Check_Lines', 'SUCCEEDED', 'lines-ok.Check_Lines.1.2'],
      ['Done', 'SUCCEEDED', undefined],
    ]);
    const bad = await record(LINES, 'lines-bad');
    expect(lines(bad)).toEqual([
      ['Check_Lines', 'FAILED', 'lines-bad.Check_Lines.1.1'],
      ['Failed', 'FAILED', undefined],
    ]);
    expect(bad.error?.code).toBe('MAP_ITEM_FAILED');
  });

  it('a cancelled map is one CANCELLED line, its stopped items none', async () => {
    const stopped = await record(LINES, 'lines-stop');
    expect(stopped.status).toBe('CANCELLED');
    expect(lines(stopped)).toEqual([['Check_Lines', 'CANCELLED', undefined]]);
  });
});

describe('wf describe links a child execution to its parent', () => {
  it("names the parent and its step, from the child's input and name", async () => {
    const read = await record(CHILD, 'lines-ok.Check_Lines.1.2');
    expect(read.parent).toEqual({
      instance_id: 'lines-ok',
      node: 'Check_Lines',
      request_id: 'lines-ok.Check_Lines.1.2',
      depth: 1,
    });
  });
});
