import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingIo } from './cli-test-io';
import { runCli } from './main';

const repoRoot = join(__dirname, '..', '..', '..');

describe('wf validate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wf-validate-'));
  writeFileSync(
    join(dir, 'bad.yaml'),
    [
      'workflow_name: Bad',
      'workflow_id: bad',
      'entry_point: A',
      'nodes:',
      '  A:',
      '    type: sync_call',
      '    capability_id: core-process-response',
      '    on_success: Nowhere',
      '  Done:',
      '    type: end',
      '',
    ].join('\n'),
  );

  it('exits 0 on the examples and prints their warnings compiler-style', async () => {
    const io = recordingIo(repoRoot);
    const code = await runCli(
      [
        'validate',
        'workflow-definitions/import_vn_memphis_v1.yaml',
        'workflow-definitions/fanout_a_b_c_v1.yaml',
      ],
      io,
    );
    expect(code).toBe(0);
    expect(io.stdout()).toBe(
      'workflow-definitions/import_vn_memphis_v1.yaml:10:3: warning: nodes.Prepare_Import_Enrichment: ' +
        'async_request has no timeout: if the reply never comes the instance waits forever (add timeout and on_timeout)\n',
    );
    expect(io.stderr()).toBe('2 files checked: 0 errors, 1 warning\n');
  });

  it('warns, at the workflow_id, when a valid file is not named after its workflow_id (still exit 0)', async () => {
    const text =
      'workflow_name: W\nworkflow_id: something_else_v1\nentry_point: Done\nnodes:\n  Done: { type: end }\n';
    writeFileSync(join(dir, 'id_mismatch.yaml'), text);
    writeFileSync(join(dir, 'something_else_v1.yaml'), text);
    const io = recordingIo(dir);
    expect(await runCli(['validate', 'id_mismatch.yaml', 'something_else_v1.yaml'], io)).toBe(0);
    expect(io.stdout()).toBe(
      "id_mismatch.yaml:2:14: warning: workflow_id: workflow_id 'something_else_v1' is not the file's name (id_mismatch.yaml): " +
        "a START by workflow_id, a sub_workflow and a map look for 'something_else_v1.yaml'; name the file after its workflow_id, or start it by its file\n",
    );
    expect(io.stderr()).toBe('2 files checked: 0 errors, 1 warning\n');
  });

  it('exits 1 and prints every error with file:line:col', async () => {
    const io = recordingIo(dir);
    expect(await runCli(['validate', 'bad.yaml'], io)).toBe(1);
    expect(io.stdout().trimEnd().split('\n')).toEqual([
      "bad.yaml:8:17: error: nodes.A.on_success: unknown node 'Nowhere'",
      "bad.yaml:9:3: error: nodes.Done: node 'Done' can never run: no path leads to it from entry_point 'A'",
    ]);
  });

  it('--json prints one object with every diagnostic', async () => {
    const io = recordingIo(dir);
    expect(await runCli(['validate', '--json', 'bad.yaml', 'missing.yaml'], io)).toBe(1);
    const report = JSON.parse(io.stdout()) as {
      valid: boolean;
      errors: number;
      files: {
        file: string;
        valid: boolean;
        diagnostics: { code: string; line: number; column: number }[];
      }[];
    };
    expect(report.valid).toBe(false);
    expect(report.errors).toBe(3);
    expect(report.files.map((f) => [f.file, f.valid, f.diagnostics.map((d) => d.code)])).toEqual([
      ['bad.yaml', false, ['unknown-target', 'unreachable']],
      ['missing.yaml', false, ['unreadable']],
    ]);
    expect(report.files[0]?.diagnostics[0]).toMatchObject({ line: 8, column: 17 });
  });

  it('exits 2 with usage on a missing argument or unknown command', async () => {
    const io = recordingIo(dir);
    expect(await runCli(['validate'], io)).toBe(2);
    expect(io.stderr()).toContain('usage: wf validate <files...> [--json]');
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(io.stderr()).toContain("unknown command 'frobnicate'");
  });

  it('says a directory is one and suggests a glob of its definitions', async () => {
    const io = recordingIo(dir);
    expect(await runCli(['validate', `${dir}/`, 'missing.yaml'], io)).toBe(1);
    expect(io.stdout().trimEnd().split('\n')).toEqual([
      `${dir}/:1:1: error: cannot read the file: it is a directory (to check the definitions in it: wf validate ${dir}/*.yaml)`,
      'missing.yaml:1:1: error: cannot read the file: no such file',
    ]);
  });
});
