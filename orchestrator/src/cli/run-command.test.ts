import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultMockOutput } from '../capability-mocks/capability-mocks';
import { recordingIo } from './cli-test-io';
import type { EmbeddedRunner } from './embedded-runner';
import { runCli } from './main';

const repoRoot = join(__dirname, '..', '..', '..');

/** An embedded runner that records the files it was asked to run and ends at once, with no instance. */
function recordingRunner(): { ran: string[]; embedded: EmbeddedRunner } {
  const ran: string[] = [];
  const embedded: EmbeddedRunner = ({ definitionFile }) => {
    ran.push(definitionFile);
    return Promise.resolve({ view: undefined, defaultOutput: defaultMockOutput });
  };
  return { ran, embedded };
}

interface StatusJson {
  instance_id: string;
  workflow_id: string;
  status: string;
  context: Record<string, unknown>;
  waits: unknown[];
  history: { node: string; status: string; started_at: string; ended_at: string }[];
  definition: { key: string; sha256: string };
  error: { code: string; message: string } | null;
}

async function runJson(
  args: string[],
  cwd = repoRoot,
): Promise<{ code: number; status: StatusJson; stderr: string }> {
  const io = recordingIo(cwd);
  const code = await runCli(['run', ...args, '--json', '--memory'], io);
  return { code, status: JSON.parse(io.stdout()) as StatusJson, stderr: io.stderr() };
}

describe('wf run', () => {
  it.each(['import_vn_memphis_v1', 'fanout_a_b_c_v1', 'export_screening_v1'])(
    '%s runs to SUCCEEDED with default mocks and prints the status record',
    async (workflowId) => {
      const { code, status } = await runJson([`workflow-definitions/${workflowId}.yaml`, '--memory']);
      expect(code).toBe(0);
      expect(Object.keys(status)).toEqual([
        'instance_id',
        'workflow_id',
        'status',
        'context',
        'waits',
        'history',
        'definition',
        'error',
      ]);
      expect(status).toMatchObject({ workflow_id: workflowId, status: 'SUCCEEDED', waits: [], error: null });
      expect(status.definition.key).toBe(`${workflowId}.yaml`);
      expect(status.definition.sha256).toMatch(/^[0-9a-f]{64}$/);
    },
  );

  it('runs the fan-out join C exactly once', async () => {
    const { status } = await runJson(['workflow-definitions/fanout_a_b_c_v1.yaml']);
    expect(status.history.filter((h) => h.node === 'Task_C')).toHaveLength(1);
    expect(status.history.map((h) => h.node).sort()).toEqual(
      ['Done', 'Fan_Out', 'Task_A', 'Task_B1', 'Task_B2', 'Task_B3', 'Task_C'].sort(),
    );
  });

  it('uses --context and a mocks file with delays, failures and duplicates; exits 1 unless SUCCEEDED', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-'));
    writeFileSync(
      join(dir, 'mocks.yaml'),
      [
        "'compliance#screening':",
        '  outputs: { screening_result: CLEAR }',
        '  delay: 90m',
        '  duplicates: 1',
        "'customs#declaration':",
        '  status: FAILURE',
        '  error: { code: REJECTED, message: customs said no }',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'context.json'),
      JSON.stringify({ shipmentId: 'S9', originCountry: 'VN', destinationCountry: 'US' }),
    );
    const { code, status } = await runJson(
      [
        join(repoRoot, 'workflow-definitions/export_screening_v1.yaml'),
        '--context',
        '@context.json',
        '--mocks',
        'mocks.yaml',
      ],
      dir,
    );
    expect(code).toBe(1);
    expect(status.status).toBe('FAILED');
    expect(status.context).toMatchObject({ shipmentId: 'S9', screening_result: 'CLEAR' });
    expect(status.history.map((h) => [h.node, h.status])).toEqual([
      ['Screen_Parties', 'SUCCEEDED'],
      ['Record_Screening', 'SUCCEEDED'],
      ['Route_On_Screening', 'SUCCEEDED'],
      ['File_Declaration', 'FAILED'],
      ['Rejected', 'FAILED'],
    ]);
    const screening = status.history[0];
    expect(Date.parse(screening!.ended_at) - Date.parse(screening!.started_at)).toBe(90 * 60 * 1000);
    expect(status.error).toEqual({ code: 'REJECTED', message: 'customs said no', node: 'File_Declaration' });
  });

  it('the sample mocks file from the README scripts a screening that clears, then a rejected declaration', async () => {
    const { code, status } = await runJson([
      'workflow-definitions/export_screening_v1.yaml',
      '--mocks',
      'sample-data/mocks/export-screening-review.yaml',
    ]);
    expect(code).toBe(1);
    expect(status.context.screening_result).toBe('CLEAR');
    expect(status.error).toMatchObject({ code: 'REJECTED', node: 'File_Declaration' });
  });

  it('a capability that never replies ends in on_timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-'));
    writeFileSync(join(dir, 'mocks.yaml'), "'prepare#shipment': { reply: false }\n");
    const { code, status } = await runJson(
      [join(repoRoot, 'workflow-definitions/fanout_a_b_c_v1.yaml'), '--mocks', 'mocks.yaml'],
      dir,
    );
    expect(code).toBe(1);
    expect(status.history.map((h) => [h.node, h.status])).toEqual([
      ['Task_A', 'TIMED_OUT'],
      ['Timed_Out', 'FAILED'],
    ]);
  });

  it('--memory stops at its bound on deliveries, says so, and shows the instance as it stood', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-'));
    writeFileSync(
      join(dir, 'poll.yaml'),
      [
        "workflow_name: 'Poll a payroll run'",
        'workflow_id: payroll_poll_v1',
        'entry_point: Init',
        'max_visits: 10000',
        'nodes:',
        "  Init: { type: set, values: { n: '0' }, next: Cool }",
        '  Cool: { type: wait, duration: 1m, next: Count }',
        "  Count: { type: set, values: { n: 'n + 1' }, next: Check }",
        "  Check: { type: choice, choices: [{ when: 'n >= 6000', next: Done }], default: Cool }",
        '  Done: { type: end, output_keys: [n] }',
        '',
      ].join('\n'),
    );
    const run = async (maxDeliveries: number) => {
      const io = recordingIo(dir);
      const code = await runCli(['run', 'poll.yaml', '--memory', '--json'], io, {
        memoryRunMaxDeliveries: maxDeliveries,
      });
      return { code, status: JSON.parse(io.stdout()) as StatusJson, stderr: io.stderr() };
    };
    const stopped = await run(40);
    expect(stopped.code).toBe(1);
    expect(stopped.status.status).toBe('WAITING');
    expect(stopped.stderr).toBe(
      "wf run: stopped after 40 deliveries (--memory's bound, about what the stack's 20 minutes allow) " +
        'with 1 message(s) or timer(s) still to deliver; the instance is shown as it stood\n',
    );
    // Under the bound, the same run says nothing of it.
    writeFileSync(join(dir, 'poll.yaml'), readFileSync(join(dir, 'poll.yaml'), 'utf8').replace('6000', '3'));
    const finished = await run(40);
    expect([finished.code, finished.status.status, finished.stderr]).toEqual([0, 'SUCCEEDED', '']);
  });

  it('prints progress lines and the final status without --json', async () => {
    const io = recordingIo(repoRoot);
    expect(await runCli(['run', 'workflow-definitions/import_vn_memphis_v1.yaml', '--memory'], io)).toBe(0);
    const out = io.stdout();
    expect(out).toContain(
      '[+00:00:00] request sent  (node=Prepare_Import_Enrichment capability=import#enrichment)',
    );
    expect(out).toContain('[+00:00:00] step End_Workflow SUCCEEDED');
    expect(out).toContain('\nSUCCEEDED\n');
  });

  it('runs the language v2 example with its sample context, labelling the lines of the instances it starts', async () => {
    const io = recordingIo(repoRoot);
    const code = await runCli(
      [
        'run',
        'workflow-definitions/language-v2/order_fulfilment_v2.yaml',
        '--memory',
        '--context',
        '@sample-data/contexts/order-fulfilment-v2.json',
      ],
      io,
    );
    const out = io.stdout();
    expect(code).toBe(0);
    // A map item's child and the sub_workflow's child, each named past the run's own id.
    expect(out).toContain('] [Classify_Lines.1.2] step Classify SUCCEEDED');
    expect(out).toContain('] [Screen_Buyer.1] request sent  (node=Screen capability=compliance#screening)');
    // The run's own lines carry no label; the map's step per item names the item's child.
    expect(out).toContain('[+00:00:00] step Price SUCCEEDED');
    expect(out).toMatch(
      /\] step Classify_Lines SUCCEEDED {2}\(node=Classify_Lines \d+ ms child=Classify_Lines\.1\.2\)/,
    );
    expect(out).toContain('] child started  (node=Classify_Lines child=Classify_Lines.1.0)');
    expect(out).toContain('\nSUCCEEDED\n');
  });

  it('reads a --context @file that starts with a UTF-8 byte order mark', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-bom-'));
    writeFileSync(
      join(dir, 'context.json'),
      '\uFEFF' + JSON.stringify({ shipmentId: 'S-BOM', originCountry: 'VN', destinationCountry: 'US' }),
    );
    const { code, status } = await runJson(
      [join(repoRoot, 'workflow-definitions/import_vn_memphis_v1.yaml'), '--context', '@context.json'],
      dir,
    );
    expect(code).toBe(0);
    expect(status.context).toMatchObject({ shipmentId: 'S-BOM' });
  });

  it('warns of mocks for capabilities the run never requests, its children included, and runs on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-mocks-'));
    writeFileSync(
      join(dir, 'mocks.yaml'),
      ["'compliance#screening':", '  outputs: { verdict: CLEAR }', "'kyc#verfy':", '  status: FAILURE'].join(
        '\n',
      ),
    );
    const io = recordingIo(repoRoot);
    const code = await runCli(
      [
        'run',
        'workflow-definitions/language-v2/order_fulfilment_v2.yaml',
        '--memory',
        '--json',
        '--context',
        '@sample-data/contexts/order-fulfilment-v2.json',
        '--mocks',
        join(dir, 'mocks.yaml'),
      ],
      io,
    );
    expect(code).toBe(0);
    // Both capabilities are requested only by the children (a map item's and the sub_workflow's).
    expect(io.stderr()).toBe(
      "wf run: warning: --mocks names capability 'kyc#verfy', which the workflow never requests (it requests: classify#goods, compliance#screening); its entry is ignored\n",
    );
  });

  it('says which field of a mocks entry is wrong and what it allows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-mocks-'));
    writeFileSync(
      join(dir, 'mocks.yaml'),
      [
        "'import#enrichment':",
        '  status: FAILED',
        '  outputs: [1, 2]',
        '  duplicates: -1',
        "'import#other':",
        '  - { statuz: SUCCESS }',
        '  - { colour: red }',
        '  - { status: FAILURE, error: { code: X, message: m, detial: d } }',
      ].join('\n'),
    );
    const io = recordingIo(dir);
    const definition = join(repoRoot, 'workflow-definitions/import_vn_memphis_v1.yaml');
    expect(await runCli(['run', definition, '--memory', '--mocks', 'mocks.yaml'], io)).toBe(1);
    expect(io.stderr().split('\n')).toEqual([
      'wf run: invalid mocks file:',
      'mocks.yaml:2:11: import#enrichment.status: must be SUCCESS or FAILURE',
      'mocks.yaml:3:12: import#enrichment.outputs: must be a map of output keys to values',
      'mocks.yaml:4:15: import#enrichment.duplicates: must be a whole number from 0 to 10',
      "mocks.yaml:6:7: import#other.0: unknown field 'statuz' (did you mean status?)",
      "mocks.yaml:7:7: import#other.1: unknown field 'colour'; a reply has status, outputs, omit_outputs, error, delay, duplicates, reply",
      "mocks.yaml:8:54: import#other.2.error: unknown field 'detial'; an error has code, message",
      '',
    ]);
    // A file that is no YAML says where, and names the file.
    writeFileSync(join(dir, 'broken.yaml'), "'import#enrichment':\n  outputs: [a,\nb]\n");
    const broken = recordingIo(dir);
    expect(await runCli(['run', definition, '--memory', '--mocks', 'broken.yaml'], broken)).toBe(1);
    expect(broken.stderr()).toMatch(/^wf run: broken\.yaml:3:1: error: YAML syntax: /);
    // A file that is no map of capabilities, and a key that is a number, are placed too.
    writeFileSync(join(dir, 'list.yaml'), '- status: SUCCESS\n');
    const list = recordingIo(dir);
    expect(await runCli(['run', definition, '--memory', '--mocks', 'list.yaml'], list)).toBe(1);
    expect(list.stderr()).toBe(
      'wf run: invalid mocks file:\nlist.yaml:1:1: (file): must be a map of fields\n',
    );
    writeFileSync(join(dir, 'number.yaml'), "'import#enrichment':\n  status: SUCCESS\n  1: x\n");
    const numbered = recordingIo(dir);
    expect(await runCli(['run', definition, '--memory', '--mocks', 'number.yaml'], numbered)).toBe(1);
    expect(numbered.stderr()).toContain("number.yaml:3:3: import#enrichment: unknown field '1'");
  });

  it('without --memory needs the embedded stack, which scripts/wf.ts provides', async () => {
    const io = recordingIo(repoRoot);
    expect(await runCli(['run', 'workflow-definitions/import_vn_memphis_v1.yaml'], io)).toBe(2);
    expect(io.stderr()).toContain('pass --memory');
  });

  it('on the embedded stack, notes that waits and scripted delays take real time, and only then', async () => {
    // The embedded stack itself is scripts/wf.ts's; here a runner that ends the instance at once.
    const { ran, embedded } = recordingRunner();
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-notice-'));
    writeFileSync(join(dir, 'slow.yaml'), ["'import#enrichment':", '  delay: 2h'].join('\n'));
    writeFileSync(join(dir, 'fast.yaml'), ["'import#enrichment':", '  outputs: { x: 1 }'].join('\n'));
    const importVn = join(repoRoot, 'workflow-definitions/import_vn_memphis_v1.yaml');

    const slow = recordingIo(dir);
    await runCli(['run', importVn, '--mocks', 'slow.yaml'], slow, { embedded });
    expect(slow.stderr()).toContain(
      'note: on the embedded stack scripted delays take real time, and wf run follows the instance for 20 minutes at most; --memory',
    );

    // Timeouts alone take no real time: the default mocks answer at once. A reply that never comes does.
    const fanOut = recordingIo(repoRoot);
    await runCli(['run', 'workflow-definitions/fanout_a_b_c_v1.yaml'], fanOut, { embedded });
    expect(fanOut.stderr()).not.toContain('note:');
    writeFileSync(join(dir, 'never.yaml'), "'prepare#shipment': { reply: false }\n");
    const never = recordingIo(dir);
    await runCli(
      ['run', join(repoRoot, 'workflow-definitions/fanout_a_b_c_v1.yaml'), '--mocks', 'never.yaml'],
      never,
      {
        embedded,
      },
    );
    expect(never.stderr()).toMatch(
      /^note: on the embedded stack replies that never come \(their timeouts decide\) take real time/m,
    );

    const fast = recordingIo(dir);
    await runCli(['run', importVn, '--mocks', 'fast.yaml'], fast, { embedded });
    expect(fast.stderr()).not.toContain('note:');
    expect(ran).toHaveLength(4);
  });

  it('--memory starts its clock at the real time: a wait until a date two months away waits, not fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-until-'));
    writeFileSync(
      join(dir, 'until_v1.yaml'),
      [
        "workflow_name: 'Until'",
        'workflow_id: until_v1',
        'entry_point: Hold',
        'initial_context: [t]',
        'nodes:',
        "  Hold: { type: wait, until: 't', next: Done, on_failure: Bad }",
        '  Done: { type: end }',
        '  Bad: { type: end, status: FAILED }',
      ].join('\n'),
    );
    const until = new Date(Date.now() + 60 * 24 * 3600_000).toISOString();
    const { code, status } = await runJson(
      [join(dir, 'until_v1.yaml'), '--context', JSON.stringify({ t: until })],
      dir,
    );
    expect(status.error).toBeNull();
    expect(code).toBe(0);
    const hold = status.history.find((h) => h.node === 'Hold');
    expect(hold?.status).toBe('SUCCEEDED');
    expect(Date.parse(hold?.ended_at ?? '')).toBeGreaterThanOrEqual(Date.parse(until));
  });

  it('a mock that omits an expected output key fails the step MISSING_OUTPUT_KEYS, down its on_failure route', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-omit-'));
    writeFileSync(
      join(dir, 'charge_v1.yaml'),
      [
        "workflow_name: 'Charge'",
        'workflow_id: charge_v1',
        'entry_point: Charge',
        'nodes:',
        '  Charge:',
        '    type: async_request',
        "    capability_id: 'billing#charge'",
        '    request_output_keys: [charge_id, receipt]',
        '    on_response: Done',
        '    on_failure: Declined',
        '  Done: { type: end }',
        '  Declined: { type: end, status: FAILED }',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'mocks.yaml'), "'billing#charge': { omit_outputs: [receipt] }\n");
    const io = recordingIo(dir);
    const code = await runCli(['run', 'charge_v1.yaml', '--memory', '--json', '--mocks', 'mocks.yaml'], io);
    const status = JSON.parse(io.stdout()) as StatusJson;
    expect(code).toBe(1);
    expect(status.history.map((h) => `${h.node} ${h.status}`)).toEqual(['Charge FAILED', 'Declined FAILED']);
    expect(status.error).toMatchObject({ code: 'MISSING_OUTPUT_KEYS' });
    expect(status.error?.message).toContain("'receipt'");
  });

  describe('a sub_workflow or map whose child has no definition file beside the file run', () => {
    /** A folder with parent_v1.yaml (a sub_workflow of child_v1, a map of items/line_v1.yaml) and `files`. */
    function folder(files: Record<string, string[]>): string {
      const dir = mkdtempSync(join(tmpdir(), 'wf-run-children-'));
      writeFileSync(
        join(dir, 'parent_v1.yaml'),
        [
          'workflow_name: parent',
          'workflow_id: parent_v1',
          'entry_point: Check',
          'nodes:',
          '  Check:',
          '    type: sub_workflow',
          '    workflow_id: child_v1',
          '    next: Lines',
          '  Lines:',
          '    type: map',
          "    items: '[1, 2]'",
          '    workflow_id: line_v1',
          '    definition_key: items/line_v1.yaml',
          '    output_key: lines',
          '    next: Done',
          '  Done: { type: end }',
          '',
        ].join('\n'),
      );
      for (const [name, lines] of Object.entries(files)) writeFileSync(join(dir, name), lines.join('\n'));
      return dir;
    }
    const WHY =
      'wf run loads the definitions a workflow starts only from the folder of the file it runs, so the child could never start';
    const NOTHING_RAN = 'wf run: a workflow this one starts has no definition file beside it: nothing ran\n';

    it('is refused before anything runs (exit 1), naming the node, the workflow and the file looked for', async () => {
      const dir = folder({});
      const io = recordingIo(dir);
      expect(await runCli(['run', 'parent_v1.yaml', '--memory', '--json'], io)).toBe(1);
      expect(io.stdout()).toBe('');
      expect(io.stderr()).toBe(
        [
          `parent_v1.yaml:7:18: error: nodes.Check.workflow_id: sub_workflow 'Check' starts workflow 'child_v1', but there is no file child_v1.yaml: ${WHY}; add that file, or correct workflow_id`,
          `parent_v1.yaml:13:21: error: nodes.Lines.definition_key: map 'Lines' starts workflow 'line_v1' from definition_key 'items/line_v1.yaml', but there is no file items/line_v1.yaml: ${WHY}; add that file, or correct definition_key`,
          '',
        ].join('\n') + NOTHING_RAN,
      );
    });

    it('on the embedded stack too, before it starts, for a child found beside the file naming a missing one', async () => {
      const { ran, embedded } = recordingRunner();
      const dir = folder({
        'child_v1.yaml': [
          'workflow_name: child',
          'workflow_id: child_v1',
          'entry_point: Deeper',
          'nodes:',
          '  Deeper: { type: sub_workflow, workflow_id: grandchild_v1, next: Done }',
          '  Done: { type: end }',
        ],
      });
      const io = recordingIo(repoRoot);
      const parent = join(dir, 'parent_v1.yaml');
      expect(await runCli(['run', parent], io, { embedded })).toBe(1);
      expect(ran).toEqual([]);
      expect(io.stderr()).toBe(
        [
          `${parent}:13:21: error: nodes.Lines.definition_key: map 'Lines' starts workflow 'line_v1' from definition_key 'items/line_v1.yaml', but there is no file ${join(dir, 'items/line_v1.yaml')}: ${WHY}; add that file, or correct definition_key`,
          `${join(dir, 'child_v1.yaml')}:5:46: error: nodes.Deeper.workflow_id: sub_workflow 'Deeper' starts workflow 'grandchild_v1', but there is no file ${join(dir, 'grandchild_v1.yaml')}: ${WHY}; add that file, or correct workflow_id`,
          '',
        ].join('\n') + NOTHING_RAN,
      );
    });
  });

  it('refuses a child beside the file that is invalid, before anything runs, with its errors under its path', async () => {
    const { ran, embedded } = recordingRunner();
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-invalid-child-'));
    writeFileSync(
      join(dir, 'parent_v1.yaml'),
      [
        'workflow_name: parent',
        'workflow_id: parent_v1',
        'entry_point: Check',
        'nodes:',
        '  Check: { type: sub_workflow, workflow_id: child_v1, next: Done }',
        '  Done: { type: end }',
      ].join('\n'),
    );
    // Its one node routes to a node that does not exist: an error wf validate reports, so it could never run.
    writeFileSync(
      join(dir, 'child_v1.yaml'),
      [
        'workflow_name: child',
        'workflow_id: child_v1',
        'entry_point: Work',
        'nodes:',
        '  Work: { type: set, values: { done: "true" }, next: Gone }',
        '  Done: { type: end }',
      ].join('\n'),
    );
    for (const memory of [true, false]) {
      const io = recordingIo(repoRoot);
      const parent = join(dir, 'parent_v1.yaml');
      expect(await runCli(['run', parent, ...(memory ? ['--memory'] : [])], io, { embedded })).toBe(1);
      expect(io.stdout()).toBe('');
      const lines = io.stderr().split('\n');
      const child = join(dir, 'child_v1.yaml');
      const errors = lines.filter((l) => l.startsWith(`${child}:`) && l.includes(' error: '));
      expect(errors).toEqual([expect.stringMatching(/^[^ ]+:5:\d+: error: .*Gone/)]);
      expect(lines).toContain('wf run: a definition this one starts is invalid: nothing ran');
    }
    expect(ran).toEqual([]);
  });

  it('rejects an invalid definition with its errors and a bad --context with usage', async () => {
    const io = recordingIo(repoRoot);
    expect(await runCli(['run', 'package.json'], io)).toBe(1);
    expect(io.stderr()).toMatch(/^package\.json:1:1: error: /);
    const io2 = recordingIo(repoRoot);
    expect(
      await runCli(['run', 'workflow-definitions/import_vn_memphis_v1.yaml', '--context', '{nope'], io2),
    ).toBe(2);
    expect(io2.stderr()).toContain('--context is not JSON');
    // A key the context could not keep is refused by name, not dropped.
    const io3 = recordingIo(repoRoot);
    const proto = '{"__proto__":{"admin":true},"shipmentId":"S1"}';
    expect(
      await runCli(['run', 'workflow-definitions/import_vn_memphis_v1.yaml', '--context', proto], io3),
    ).toBe(2);
    expect(io3.stderr()).toContain("--context: the key '__proto__' is not allowed");
  });

  it('prints the status and the error before the record, the status said once when it is the code', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-end-'));
    writeFileSync(
      join(dir, 'hr_onboarding_v1.yaml'),
      [
        'workflow_name: Onboarding',
        'workflow_id: hr_onboarding_v1',
        'entry_point: Rejected',
        'nodes:',
        '  Rejected:',
        '    type: end',
        '    status: FAILED',
        '',
      ].join('\n'),
    );
    const io = recordingIo(dir);
    expect(await runCli(['run', 'hr_onboarding_v1.yaml', '--memory'], io)).toBe(1);
    expect(io.stdout()).toContain('\nFAILED: ended at Rejected\n');
    expect(io.stdout()).not.toContain('FAILED: FAILED');
  });

  it('refuses a --context without the keys initial_context names, before anything runs, as wf start does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-context-'));
    writeFileSync(
      join(dir, 'billing_invoice_v1.yaml'),
      [
        'workflow_name: Invoice',
        'workflow_id: billing_invoice_v1',
        'entry_point: Done',
        'initial_context: [customerId, unit_price, quantity]',
        'nodes:',
        '  Done:',
        '    type: end',
        '',
      ].join('\n'),
    );
    const { ran, embedded } = recordingRunner();
    const io = recordingIo(dir);
    const args = ['run', 'billing_invoice_v1.yaml', '--context', '{"customerId":"C-1"}'];
    expect(await runCli(args, io, { embedded })).toBe(1);
    expect(io.stderr()).toBe(
      'wf run: --context lacks unit_price, quantity (initial_context of billing_invoice_v1.yaml): nothing ran\n',
    );
    expect(ran).toEqual([]);
    // With them it runs, and without --context placeholders stand in for every key (the recording
    // runner ends with no instance: exit 1).
    const full = '{"customerId":"C-1","unit_price":3,"quantity":2}';
    expect(
      await runCli(['run', 'billing_invoice_v1.yaml', '--context', full], recordingIo(dir), { embedded }),
    ).toBe(1);
    expect(await runCli(['run', 'billing_invoice_v1.yaml'], recordingIo(dir), { embedded })).toBe(1);
    expect(ran).toEqual(['billing_invoice_v1.yaml', 'billing_invoice_v1.yaml']);
  });
});

describe('wf run --memory with an http sync_call', () => {
  it('makes the real request and maps the JSON response into the context', async () => {
    const paths: string[] = [];
    const server = createServer((request, response) => {
      paths.push(request.url ?? '');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ rate: 1.25 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const dir = mkdtempSync(join(tmpdir(), 'wf-run-http-'));
      writeFileSync(
        join(dir, 'rates.yaml'),
        [
          'workflow_name: rates',
          'workflow_id: rates_http_v1',
          'entry_point: Quote',
          'initial_context: [currency]',
          'nodes:',
          '  Quote:',
          '    type: sync_call',
          '    capability_id: http',
          `    with: { url: "'http://127.0.0.1:${port}/rates/' & currency", timeout: 2s }`,
          '    result: { rate: body.rate }',
          '    on_success: Done',
          '  Done: { type: end, output_keys: [rate] }',
          '',
        ].join('\n'),
      );
      const { code, status } = await runJson(['rates.yaml', '--context', '{"currency":"EUR"}'], dir);
      expect(code).toBe(0);
      expect(status.context).toEqual({ currency: 'EUR', rate: 1.25 });
      expect(paths).toEqual(['/rates/EUR']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it.each([
    [['--context', '@'], '--context @: a file name must follow the @'],
    [
      ['--context', '@workflow-definitions'],
      '--context @workflow-definitions: workflow-definitions is a directory',
    ],
    [
      ['--context', '@workflow-definitions/'],
      '--context @workflow-definitions/: workflow-definitions/ is a directory',
    ],
    [['--context', '@missing.json'], '--context @missing.json: no such file missing.json'],
    [['--mocks', 'missing.yaml'], '--mocks missing.yaml: no such file missing.yaml'],
    [['--mocks', 'sample-data'], '--mocks sample-data: sample-data is a directory'],
  ])('%j that cannot be read is a usage error (exit 2) naming the option', async (option, message) => {
    const io = recordingIo(repoRoot);
    expect(
      await runCli(['run', 'workflow-definitions/fanout_a_b_c_v1.yaml', '--memory', ...option], io),
    ).toBe(2);
    expect(io.stderr()).toBe(
      `wf run: ${message}\nusage: wf run <file.yaml> [--context JSON|@file] [--mocks file.yaml] [--json] [--memory]\n`,
    );
    expect(io.stdout()).toBe('');
  });

  it('says which definition file is missing', async () => {
    const io = recordingIo(repoRoot);
    expect(await runCli(['run', 'missing.yaml', '--memory'], io)).toBe(1);
    expect(io.stderr()).toBe('wf run: no such file missing.yaml\n');
  });
});
