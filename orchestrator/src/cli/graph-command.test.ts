import { join } from 'node:path';
import { recordingIo } from './cli-test-io';
import { runCli } from './main';

const repoRoot = join(__dirname, '..', '..', '..');

describe('wf graph', () => {
  it('prints the fan-out as a Mermaid flowchart with its branches, join and failure routes', async () => {
    const io = recordingIo(repoRoot);
    expect(await runCli(['graph', 'workflow-definitions/fanout_a_b_c_v1.yaml'], io)).toBe(0);
    const lines = io.stdout().split('\n');
    expect(lines[0]).toBe('flowchart TD');
    expect(lines).toEqual(
      expect.arrayContaining([
        '  __start__((start)) --> n_Task_A',
        '  n_Fan_Out == branch ==> n_Task_B1',
        '  n_Fan_Out == branch ==> n_Task_B2',
        '  n_Fan_Out == branch ==> n_Task_B3',
        '  n_Fan_Out -. "join (waits for all 3)" .-> n_Task_C',
        '  n_Task_C -. on_timeout .-> n_Timed_Out',
        '  class n_Failed,n_Timed_Out failed',
      ]),
    );
  });

  it('shows choices as diamonds with their expressions on the edges, quotes escaped', async () => {
    const io = recordingIo(repoRoot);
    expect(await runCli(['graph', 'workflow-definitions/export_screening_v1.yaml'], io)).toBe(0);
    expect(io.stdout()).toContain('n_Route_On_Screening{"Route_On_Screening: Clear, hit, or unsure?"}');
    expect(io.stdout()).toContain(
      'n_Route_On_Screening -- "screening_result = #quot;CLEAR#quot;" --> n_File_Declaration',
    );
    expect(io.stdout()).toContain('n_Route_On_Screening -- default --> n_Manual_Review');
  });

  it('prints the errors of an invalid definition and exits 1', async () => {
    const io = recordingIo(repoRoot);
    expect(await runCli(['graph', 'package.json'], io)).toBe(1);
    expect(io.stdout()).toBe('');
    expect(io.stderr()).toMatch(/^package\.json:1:1: error: /);
  });

  it('says which file it cannot read and exits 1, as wf validate and wf run do with theirs', async () => {
    // The definition named on the command line is the command's input: one it cannot read fails the
    // command like an invalid one (exit 1); only an option's file (--context @file, --mocks) is a usage
    // mistake (exit 2).
    for (const [argv, said] of [
      [['graph', 'missing.yaml'], 'wf graph: no such file missing.yaml\n'],
      [['graph', 'sample-data'], 'wf graph: sample-data is a directory\n'],
      [['run', 'missing.yaml', '--memory'], 'wf run: no such file missing.yaml\n'],
      [['asl', 'missing.yaml'], 'wf asl: no such file missing.yaml\n'],
    ] as const) {
      const io = recordingIo(repoRoot);
      expect({ argv, code: await runCli(argv, io), err: io.stderr() }).toEqual({ argv, code: 1, err: said });
    }
    const validate = recordingIo(repoRoot);
    expect(await runCli(['validate', 'missing.yaml'], validate)).toBe(1);
    expect(validate.stdout()).toContain('missing.yaml:1:1: error: cannot read the file: no such file');
  });
});
