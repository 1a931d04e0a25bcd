import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingIo } from '../../orchestrator/src/cli/cli-test-io';
import { runCli } from '../../orchestrator/src/cli/main';
import { runOnEmbeddedStack } from '../../scripts/wf';

jest.setTimeout(60_000);
const repoRoot = join(__dirname, '..', '..');
/** The embedded stacks' log files this process left in the temporary folder. */
const runLogs = () => readdirSync(tmpdir()).filter((f) => f.startsWith(`cch-wf-run-${process.pid}-`));

describe('wf run on the embedded stack (the default)', () => {
  it('runs the fan-out through real queues, prints progress, and exits 0, leaving no log file behind', async () => {
    const before = runLogs();
    const io = recordingIo(repoRoot);
    const code = await runCli(['run', 'workflow-definitions/fanout_a_b_c_v1.yaml'], io, {
      embedded: runOnEmbeddedStack,
    });
    expect(io.stderr()).toBe('');
    expect(code).toBe(0);
    expect(runLogs()).toEqual(before);
    expect(io.stdout()).toMatch(/→ Task_B2: request sent to duty#valuation/);
    expect(io.stdout()).toMatch(/■ SUCCEEDED/);
  });

  it('--json prints the status record only, and scripted failures fail the run', async () => {
    const io = recordingIo(repoRoot);
    const mocks = join(repoRoot, 'tests', 'fixtures', 'mocks', 'declaration-fails.yaml');
    const code = await runCli(
      [
        'run',
        'workflow-definitions/fanout_a_b_c_v1.yaml',
        '--json',
        '--mocks',
        mocks,
        '--context',
        '{"shipmentId":"S-7"}',
      ],
      io,
      { embedded: runOnEmbeddedStack },
    );
    expect(code).toBe(1);
    const status = JSON.parse(io.stdout()) as {
      status: string;
      context: Record<string, unknown>;
      error: { code: string };
    };
    expect(status.status).toBe('FAILED');
    // The context given, and what the steps added: nothing of the seed's sample context.
    expect(Object.keys(status.context).sort()).toEqual([
      'a_result',
      'b1_result',
      'b2_result',
      'b3_result',
      'shipmentId',
    ]);
    expect(status.context.shipmentId).toBe('S-7');
    expect(status.error.code).toBe('DECLARATION_REJECTED');
    // A run that failed keeps the stack's log, and says where (stderr: stdout is the record alone).
    const kept = /^the embedded stack's log \(JSON lines\): (.+)\n$/.exec(io.stderr())?.[1];
    expect(kept).toBeDefined();
    expect(existsSync(kept as string)).toBe(true);
    expect(readFileSync(kept as string, 'utf8')).toContain('DECLARATION_REJECTED');
    rmSync(kept as string);
  });

  it('prints a wait node’s wait as it starts and ends, so a long wait does not look hung', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cch-wf-run-wait-'));
    try {
      const file = join(dir, 'hold_v1.yaml');
      writeFileSync(
        file,
        [
          'workflow_name: hold',
          'workflow_id: hold_v1',
          'entry_point: Hold',
          'nodes:',
          '  Hold:',
          '    type: wait',
          '    duration: 2s',
          '    next: Done',
          '  Done:',
          '    type: end',
          '',
        ].join('\n'),
      );
      const io = recordingIo(repoRoot);
      const code = await runCli(['run', file], io, { embedded: runOnEmbeddedStack });
      expect(io.stderr()).toMatch(/^note: on the embedded stack wait nodes take real time, [^\n]*\n$/);
      expect(code).toBe(0);
      expect(io.stdout()).toMatch(/⏸ Hold: waiting until \d{4}-\d\d-\d\dT/);
      expect(io.stdout()).toMatch(/⏵ Hold: wait over/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
