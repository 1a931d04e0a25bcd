import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processOutput, type ProcessOutput } from './support/process-output';

jest.setTimeout(60_000);
const repoRoot = join(__dirname, '..');

/** A parallel of `width` one-request branches, in a domain nothing else uses. */
function wideParallel(width: number): string {
  const names = Array.from({ length: width }, (_, i) => `Check_${String(i + 1).padStart(2, '0')}`);
  const branches = names
    .map(
      (name) => `  ${name}:
    type: async_request
    capability_id: 'audit#${name.toLowerCase()}'
    request_output_keys: [${name.toLowerCase()}]
    on_response: Done
    timeout: 1h
`,
    )
    .join('');
  return `workflow_name: wide audit
workflow_id: wide_audit_v1
entry_point: Split
nodes:
  Split:
    type: parallel
    branches: [${names.join(', ')}]
    join: Done
${branches}  Done:
    type: end
`;
}

/** `wf run` in a process of its own, as a user runs it: what it printed, and how it ended. */
function wfRun(file: string): Promise<ProcessOutput> {
  return processOutput(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'scripts', 'wf.ts'), 'run', file, '--memory', '--json'],
    { cwd: repoRoot },
  );
}

describe('a parallel wider than Node’s listener limit (10)', () => {
  it('runs to its end without a MaxListenersExceededWarning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cch-wide-'));
    try {
      const file = join(dir, 'wide_audit_v1.yaml');
      writeFileSync(file, wideParallel(25));
      const { code, out, err } = await wfRun(file);
      expect(code).toBe(0);
      const result = JSON.parse(out) as { status: string; context: Record<string, unknown> };
      expect(result.status).toBe('SUCCEEDED');
      expect(Object.keys(result.context)).toHaveLength(25);
      // One listener per branch on the run's abort signals is no leak; Node must not say it is.
      expect(err).not.toMatch(/MaxListenersExceededWarning|memory leak/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
