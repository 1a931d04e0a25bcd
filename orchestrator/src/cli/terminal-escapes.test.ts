import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  saveAll,
  startIndexedTable,
  statusRecord,
  type IndexedTable,
} from '../../test/support/instance-index-fixtures';
import { recordingIo } from './cli-test-io';
import { describeCommand } from './describe-command';
import { listCommand } from './list-command';
import { runCli } from './main';
import type { OperatorTarget } from './operator-target';
import { statusCommand } from './status-command';

/** What a hostile reply says: clear the screen, retitle the terminal, ring the bell. */
const HOSTILE = '\u001b[2J\u001b]0;owned\u0007cleared';
const SHOWN = '\\u001b[2J\\u001b]0;owned\\u0007cleared';
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function expectInert(io: { stdout: () => string; stderr: () => string }): void {
  expect(io.stdout()).not.toMatch(RAW_CONTROL);
  expect(io.stderr()).not.toMatch(RAW_CONTROL);
}

describe('human-readable output shows control characters from outside inert', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-escapes-'));
  writeFileSync(
    join(dir, 'charge.yaml'),
    [
      'workflow_name: Charge',
      'workflow_id: charge_v1',
      'entry_point: Charge',
      'nodes:',
      '  Charge:',
      '    type: async_request',
      "    capability_id: 'billing#charge'",
      '    on_response: Done',
      '    timeout: 1h',
      '    on_timeout: Done',
      '  Done:',
      '    type: end',
      '',
    ].join('\n'),
  );
  // The YAML double-quoted escapes \e and \a are ESC and BEL.
  writeFileSync(
    join(dir, 'mocks.yaml'),
    `'billing#charge': { status: FAILURE, error: { code: "DECL\\eINED", message: "\\e[2J\\e]0;owned\\acleared" } }\n`,
  );
  writeFileSync(
    join(dir, 'bad-name.yaml'),
    [
      'workflow_name: Bad',
      'workflow_id: bad_v1',
      'entry_point: Done',
      'nodes:',
      '  Done:',
      '    type: end',
      '  "X\\e[2J\\e]0;owned\\a":',
      '    type: end',
      '',
    ].join('\n'),
  );

  it('wf run --memory: a reply error message with ESC and BEL is printed escaped', async () => {
    const io = recordingIo(dir);
    expect(await runCli(['run', 'charge.yaml', '--memory', '--mocks', 'mocks.yaml'], io)).toBe(1);
    expectInert(io);
    expect(io.stdout()).toContain(`FAILED: DECL\\u001bINED: ${SHOWN}`);
  });

  it('wf run --memory --json still prints the error as JSON, which escapes it', async () => {
    const io = recordingIo(dir);
    await runCli(['run', 'charge.yaml', '--memory', '--mocks', 'mocks.yaml', '--json'], io);
    expectInert(io);
    expect((JSON.parse(io.stdout()) as { error: { message: string } }).error.message).toBe(HOSTILE);
  });

  it('wf validate: a node name with ESC and BEL is echoed escaped in the diagnostic', async () => {
    const io = recordingIo(dir);
    expect(await runCli(['validate', 'bad-name.yaml'], io)).toBe(1);
    expectInert(io);
    expect(io.stdout()).toContain("'X\\u001b[2J\\u001b]0;owned\\u0007' is not a valid node name");
  });

  describe('wf status, wf describe, wf list on a record with such an error', () => {
    let t: IndexedTable;
    let target: () => OperatorTarget;
    const now = new Date('2026-06-01T12:00:00.000Z');

    beforeAll(async () => {
      t = await startIndexedTable('cch-local-dev-workflow-state-table');
      target = () => ({
        stage: { env: 'local', owner: 'dev' },
        clients: { dynamodb: t.aws.clientConfig.dynamodb, sqs: {}, s3: t.aws.clientConfig.s3 },
      });
      await saveAll(t.store(), [
        statusRecord('hostile-1', {
          created_at: '2026-06-01T11:00:00.000Z',
          updated_at: '2026-06-01T11:30:00.000Z',
          status: 'FAILED',
          error: { code: 'DECLINED', message: HOSTILE },
        }),
      ]);
    }, 60_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('wf status', async () => {
      const io = recordingIo(dir);
      const code = await statusCommand(['hostile-1'], io, () => ({
        stage: { env: 'local', owner: 'dev' },
        dynamodb: t.aws.clientConfig.dynamodb,
      }));
      expect(code).toBe(0);
      expectInert(io);
      expect(io.stdout()).toContain(`error DECLINED: ${SHOWN}`);
    });

    it('wf describe', async () => {
      const io = recordingIo(dir);
      expect(await describeCommand(['hostile-1'], io, { target, now: () => now })).toBe(0);
      expectInert(io);
      expect(io.stdout()).toContain(`error DECLINED: ${SHOWN}`);
    });

    it('wf list', async () => {
      const io = recordingIo(dir);
      expect(await listCommand(['--status', 'FAILED'], io, { target, now: () => now })).toBe(0);
      expectInert(io);
      expect(io.stdout()).toContain(`DECLINED: ${SHOWN}`);
    });
  });

  it('wf graph: a title with ESC reaches the Mermaid output inert, as every command output does', async () => {
    writeFileSync(
      join(dir, 'titled.yaml'),
      [
        'workflow_name: Titled',
        'workflow_id: titled_v1',
        'entry_point: Ask',
        'nodes:',
        '  Ask:',
        '    type: async_request',
        `    title: "x${'\\e'}[2Jy"`,
        "    capability_id: 'billing#charge'",
        '    on_response: Done',
        '    timeout: 1h',
        '  Done: { type: end }',
      ].join('\n'),
    );
    const io = recordingIo(dir);
    expect(await runCli(['graph', 'titled.yaml'], io)).toBe(0);
    expectInert(io);
    expect(io.stdout()).toContain('x\\u001b[2Jy');
  });
});
