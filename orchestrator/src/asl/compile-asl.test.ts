import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import aslValidator from 'asl-validator';
import { recordingIo } from '../cli/cli-test-io';
import { runCli } from '../cli/main';
import { CHECK_LINE, CHECK_ONE_LINE, PARITY_WORKFLOWS } from '../step-functions/testing/parity-workflows';
import { SHARED_ENDS } from '../graph/testing/shared-end-workflows';
import type { ParallelState, StateMachineDefinition, TaskState } from './asl-types';
import { validateDefinition } from '../definition/validate-definition';
import { compileAsl, compileAslSource } from './compile-asl';
import { definitionFilesIn } from '../naming/definition-files';

/**
 * `wf asl` compiles every example and test workflow to a state machine that asl-validator accepts
 * (JSONPath mode throughout, ARNs and paths checked), and refuses, naming the node and where it is
 * written, what Amazon States Language cannot express as the engine runs it.
 */

const REPO = resolve(__dirname, '..', '..', '..');
const files = [
  ...definitionFilesIn(join(REPO, 'workflow-definitions')).map((f) => join('workflow-definitions', f.name)),
  join('tests', 'fixtures', 'seed', 'cch-seed-example.yaml'),
];
const workflows: [string, string][] = [
  ...files.map((f): [string, string] => [f, readFileSync(join(REPO, f), 'utf8')]),
  ...Object.entries(PARITY_WORKFLOWS),
];

describe('wf asl compiles every example and test workflow', () => {
  it.each(workflows)('%s: valid ASL, JSONPath only', (name, yaml) => {
    const { machine, diagnostics } = compileAslSource(name, yaml);
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // asl-validator fills in defaults on what it checks: give it a copy.
    const validation = aslValidator(structuredClone(machine), { checkArn: true, checkPaths: true });
    expect([validation.isValid, validation.errorsText('\n')]).toEqual([true, '']);
    expect(machine?.QueryLanguage).toBe('JSONPath');
    expect(JSON.stringify(machine)).not.toContain('{%');
  });
});

/** A one-node-and-an-end workflow with `node` as its first node. */
const workflow = (node: string, name = 'Fetch') => `
workflow_name: t
workflow_id: t_v1
entry_point: ${name}
nodes:
  ${name}:
${node}
  Done:
    type: end
`;

describe('what ASL cannot express is a compile error naming the node, and no machine', () => {
  it('a timeout of a fraction of a second (Step Functions times out after whole seconds)', () => {
    const yaml = workflow(`    type: async_request
    capability_id: 'a#b'
    on_response: Done
    timeout: 1500ms`);
    const { machine, diagnostics } = compileAslSource('t.yaml', yaml);
    expect(machine).toBeUndefined();
    expect(diagnostics.map((d) => [d.severity, d.code, d.line, d.column, d.path])).toEqual([
      ['error', 'asl-duration-not-whole-seconds', 10, 14, 'nodes.Fetch.timeout'],
    ]);
    expect(diagnostics[0]?.message).toMatch(/^node Fetch: timeout 1500ms is not a whole number of seconds/);
  });

  it('a retry interval of a fraction of a second', () => {
    const yaml = workflow(`    type: sync_call
    capability_id: core-process-response
    on_success: Done
    retry: { max_attempts: 2, interval: 500ms }`);
    const { machine, diagnostics } = compileAslSource('t.yaml', yaml);
    expect(machine).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['asl-duration-not-whole-seconds', 'nodes.Fetch.retry.interval'],
    ]);
  });

  it('a node name longer than a state name may be (80), or too long for its helper states', () => {
    const long = `N${'x'.repeat(84)}`;
    const { machine, diagnostics } = compileAslSource(
      't.yaml',
      workflow(
        `    type: choice
    choices: [{ when: 'true', next: Done }]
    default: Done`,
        long,
      ),
    );
    expect(machine).toBeUndefined();
    expect(diagnostics).toContainEqual(
      expect.objectContaining({ code: 'asl-state-name-too-long', line: 6, path: `nodes.${long}` }),
    );
    const nearly = `N${'x'.repeat(76)}`;
    const helper = compileAslSource(
      't.yaml',
      workflow(`    type: choice\n    choices: [{ when: 'true', next: Done }]\n    default: Done`, nearly),
    );
    expect(helper.diagnostics.map((d) => d.message)).toEqual([
      `node ${nearly}: its Step Functions state '${nearly}.route' would be 83 characters, more than the 80 a state name may have; shorten the node name`,
    ]);
  });

  it('a sub_workflow or map node runs its child as a nested execution of the child state machine', () => {
    for (const [kind, body, nested] of [
      ['sub_workflow', '    type: sub_workflow\n    workflow_id: child.v1\n    next: Done', 'Fetch.child'],
      [
        'map',
        "    type: map\n    items: 'lines'\n    workflow_id: child.v1\n    item_key: line\n    output_key: out\n    next: Done",
        'Fetch.items',
      ],
    ] as const) {
      const { machine, diagnostics } = compileAslSource('t.yaml', workflow(body));
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const state = machine?.States[nested];
      const task = state?.Type === 'Map' ? state.ItemProcessor.States['Fetch.item'] : state;
      expect([kind, task?.Type === 'Task' && task.Resource]).toEqual([
        kind,
        'arn:aws:states:::states:startExecution.sync:2',
      ]);
      expect(task?.Type === 'Task' && task.Parameters).toMatchObject({
        StateMachineArn: '${StateMachineArn_child_2Ev1}',
      });
    }
  });

  it('a child the compiler was given no definition of is refused at its workflow_id', () => {
    const { definition } = validateDefinition(
      't.yaml',
      workflow('    type: sub_workflow\n    workflow_id: nowhere_v1\n    next: Done'),
    );
    const compiled = compileAsl(definition!, { children: () => undefined });
    expect(compiled.machine).toBeUndefined();
    expect(compiled.problems.map((p) => [p.code, p.path.join('.'), p.message])).toEqual([
      [
        'asl-child-unknown',
        'nodes.Fetch.workflow_id',
        "node Fetch: no valid definition of workflow nowhere_v1 was found beside this one, and its child runs on that workflow's own state machine, deployed with it",
      ],
    ]);
    expect(compiled.children).toEqual(['nowhere_v1']);
  });

  it('a wait duration of a fraction of a second (a Wait state waits whole seconds)', () => {
    const { machine, diagnostics } = compileAslSource(
      't.yaml',
      workflow('    type: wait\n    duration: 1500ms\n    next: Done'),
    );
    expect(machine).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['asl-duration-not-whole-seconds', 'nodes.Fetch.duration'],
    ]);
  });

  it("an async_request's input and result mappings (language v2) are exported: the request Lambda builds the input, X.result maps the whole reply", () => {
    const { machine, diagnostics } = compileAslSource(
      't.yaml',
      workflow(`    type: async_request
    capability_id: 'a#b'
    input: '{"id": shipmentId}'
    request_output_keys: [amount]
    result: { total: 'amount' }
    retry: { max_attempts: 2 }
    on_response: Done
    on_failure: Done
    timeout: 1h`),
    );
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const task = machine?.States.Fetch as TaskState;
    expect(task).toMatchObject({
      Parameters: {
        Payload: { input: '{"id": shipmentId}', expected_output_keys: ['amount'], whole_reply: true },
      },
      ResultPath: '$.reply',
      Next: 'Fetch.result',
    });
    expect(task.Retry).toContainEqual({
      ErrorEquals: ['MISSING_OUTPUT_KEYS', 'CAPABILITY_UNDELIVERABLE', 'INPUT_MAPPING_FAILED'],
      MaxAttempts: 0,
    });
    expect(machine?.States['Fetch.result']).toMatchObject({
      Type: 'Task',
      Parameters: {
        Payload: { action: 'map_reply', expected_output_keys: ['amount'], result: { total: 'amount' } },
      },
      OutputPath: '$.Payload',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: 'Done' }],
      Next: 'Done',
    });
  });

  it("a sync_call's result mapping is exported, and a failing one is never retried", () => {
    const { machine, diagnostics } = compileAslSource(
      't.yaml',
      workflow(`    type: sync_call
    capability_id: core-process-response
    result: { total: 'amount' }
    retry: { max_attempts: 3 }
    on_success: Done`),
    );
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const task = machine?.States.Fetch as TaskState;
    expect(task).toMatchObject({
      Parameters: { Payload: { action: 'sync_call', result: { total: 'amount' } } },
    });
    expect(task.Retry).toContainEqual({
      ErrorEquals: ['UNKNOWN_CAPABILITY', 'RESULT_MAPPING_FAILED'],
      MaxAttempts: 0,
    });
  });

  it("a shared end whose output keys a sibling branch writes is refused by name, at the route (Step Functions drops the sibling's changes)", () => {
    const yaml = `workflow_name: shared
workflow_id: shared_v1
entry_point: Fan_Out
nodes:
  Fan_Out:
    type: parallel
    branches: [B1, B2]
    join: Done
    on_failure: Failed
  B1:
    type: sync_call
    capability_id: core-process-response
    output_keys: [score]
    on_success: Done
    on_failure: Failed
  B2:
    type: sync_call
    capability_id: core-process-response
    output_keys: [total]
    on_success: Done
  Done: { type: end }
  Failed: { type: end, status: FAILED, output_keys: [total] }
`;
    const { machine, diagnostics } = compileAslSource('t.yaml', yaml);
    expect(machine).toBeUndefined();
    // The parallel's own on_failure to the same end is outside the branch: exported as before.
    expect(diagnostics.map((d) => [d.code, d.path, `${d.line}:${d.column}`, d.message])).toEqual([
      [
        'asl-shared-end',
        'nodes.B1.on_failure',
        '15:17',
        "node B1 goes to end node Failed, outside parallel Fan_Out (a shared end), and node B2 in sibling branch B2 writes output key 'total' of Failed; Step Functions stops the siblings by failing the branch, which drops their changes, so Failed's output could differ from the engine's (route the branch to its join and decide after it, or keep Failed's output keys out of the sibling branches)",
      ],
    ]);
    // Without that output key, the same workflow is exported: the branch fails with the reserved
    // error, which Fan_Out catches before its own on_failure.
    const exported = compileAslSource('t.yaml', yaml.replace('output_keys: [total] }', '}'));
    expect(exported.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const fanOut = exported.machine?.States.Fan_Out as ParallelState;
    expect(fanOut.Catch?.map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [['CCH.Terminate.Failed'], 'Fan_Out.ended-at-Failed'],
      [['States.ALL'], 'Failed'],
    ]);
    expect(fanOut.Branches[0]?.States['B1.end-Failed.fail']).toMatchObject({
      Type: 'Fail',
      Error: 'CCH.Terminate.Failed',
    });
  });

  it("the engine's shared-end fixture, whose ends output what sibling B1 writes, is refused at each such route", () => {
    const { machine, diagnostics } = compileAslSource('t.yaml', SHARED_ENDS);
    expect(machine).toBeUndefined();
    expect(diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['asl-shared-end', 'nodes.B2.on_failure'],
      ['asl-shared-end', 'nodes.B2.on_timeout'],
      ['asl-shared-end', 'nodes.Check2.choices.0.next'],
    ]);
    expect(diagnostics[0]?.message).toContain(
      "node B1 in sibling branch B1 writes output key 'b1' of Failed",
    );
  });

  it("an invalid definition gets the validator's diagnostics, and no machine", () => {
    const { machine, diagnostics } = compileAslSource('t.yaml', workflow('    type: nonsense'));
    expect(machine).toBeUndefined();
    expect(diagnostics.some((d) => d.severity === 'error')).toBe(true);
  });
});

describe('wf asl on the command line', () => {
  it('prints the state machine as JSON', async () => {
    const io = recordingIo(REPO);
    expect(await runCli(['asl', 'workflow-definitions/fanout_a_b_c_v1.yaml'], io)).toBe(0);
    const machine = JSON.parse(io.stdout()) as { StartAt: string; States: Record<string, { Type: string }> };
    expect(machine.StartAt).toBe('Task_A');
    expect(machine.States.Fan_Out?.Type).toBe('Parallel');
  });

  it('writes it to --out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-asl-'));
    try {
      const io = recordingIo(REPO);
      const out = join(dir, 'm.json');
      expect(await runCli(['asl', 'workflow-definitions/import_vn_memphis_v1.yaml', '--out', out], io)).toBe(
        0,
      );
      expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ StartAt: 'Prepare_Import_Enrichment' });
      expect(io.stdout()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the errors and exits 1, writing nothing, when the definition cannot be compiled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-asl-'));
    try {
      const file = join(dir, 't.yaml');
      writeFileSync(
        file,
        workflow(
          `    type: async_request\n    capability_id: 'a#b'\n    on_response: Done\n    timeout: 1500ms`,
        ),
      );
      const io = recordingIo(dir);
      expect(await runCli(['asl', 't.yaml'], io)).toBe(1);
      expect(io.stdout()).toBe('');
      expect(io.stderr()).toMatch(
        /^t\.yaml:10:14: error: nodes\.Fetch\.timeout: node Fetch: timeout 1500ms/m,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("finds a parent's children beside it (subfolders too) or under --definitions, and embeds each child's initial_context", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-asl-'));
    try {
      writeFileSync(join(dir, 'parent.yaml'), CHECK_ONE_LINE);
      const io = recordingIo(dir);
      expect(await runCli(['asl', 'parent.yaml'], io)).toBe(1);
      expect(io.stderr()).toContain(
        'parent.yaml:9:18: error: nodes.Check_Line.workflow_id: node Check_Line: no valid definition of workflow check_line_v1 was found beside this one',
      );
      mkdirSync(join(dir, 'children'));
      writeFileSync(join(dir, 'children', 'check_line_v1.yaml'), CHECK_LINE);
      const found = recordingIo(dir);
      expect(await runCli(['asl', 'parent.yaml'], found)).toBe(0);
      const start = (JSON.parse(found.stdout()) as StateMachineDefinition).States.Check_Line as TaskState;
      expect(start.Parameters).toMatchObject({ Payload: { required_keys: ['line'] } });
      const elsewhere = recordingIo(REPO);
      expect(
        await runCli(['asl', join(dir, 'parent.yaml'), '--definitions', join(dir, 'children')], elsewhere),
      ).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('set and wait nodes', () => {
  const compiled = (body: string) => {
    const { machine, diagnostics } = compileAslSource('t.yaml', workflow(body));
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return machine;
  };

  it('set: a steps-Lambda Task with the values, caught to on_failure', () => {
    const machine = compiled(
      "    type: set\n    values: { total: '1 + 1' }\n    next: Done\n    on_failure: Done",
    );
    expect(machine?.States.Fetch).toMatchObject({
      Type: 'Task',
      Parameters: { Payload: { action: 'set', node: 'Fetch', values: { total: '1 + 1' }, 'state.$': '$' } },
      OutputPath: '$.Payload',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.last_error', Next: 'Done' }],
      Next: 'Done',
    });
  });

  it('wait with duration: a Wait state of whole seconds', () => {
    const machine = compiled('    type: wait\n    duration: 2h\n    next: Done');
    expect(machine?.States.Fetch).toEqual({ Type: 'Wait', Seconds: 7200, Next: 'Done' });
  });

  it('wait with until: a steps-Lambda Task, then a Wait on the time it wrote', () => {
    const machine = compiled("    type: wait\n    until: 'due'\n    next: Done");
    expect(Object.keys(machine?.States ?? {})).toEqual(['Fetch', 'Fetch.wait', 'Done']);
    expect(machine?.States.Fetch).toMatchObject({
      Type: 'Task',
      Parameters: { Payload: { action: 'wait_until', node: 'Fetch', until: 'due' } },
      ResultPath: '$.wait',
      Next: 'Fetch.wait',
    });
    expect(machine?.States.Fetch).not.toHaveProperty('Catch');
    expect(machine?.States['Fetch.wait']).toMatchObject({
      Type: 'Wait',
      TimestampPath: '$.wait.until',
      Next: 'Done',
    });
  });
});
