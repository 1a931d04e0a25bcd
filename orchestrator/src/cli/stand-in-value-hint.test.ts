import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recordingIo } from './cli-test-io';
import type { EmbeddedRunner } from './embedded-runner';
import { runCli } from './main';

/** A choice that compares a capability's reply, or a START key, with a number. */
const definition = (when: string) =>
  [
    'workflow_name: num',
    'workflow_id: num_v1',
    'version: 1',
    'entry_point: Price',
    'initial_context: [amount, currency]',
    'nodes:',
    '  Price:',
    '    type: async_request',
    "    capability_id: 'billing#quote'",
    '    input_keys: [amount]',
    '    request_output_keys: [total]',
    '    on_response: Big',
    '  Big:',
    '    type: choice',
    '    choices:',
    `      - when: ${JSON.stringify(when)}`,
    '        next: Done',
    '    default: Done',
    '  Done:',
    '    type: end',
    '    output_keys: [total]',
    '',
  ].join('\n');

function workflow(when: string, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'wf-run-stand-in-'));
  writeFileSync(join(dir, 'num.yaml'), definition(when));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function run(dir: string, ...options: string[]) {
  const io = recordingIo(dir);
  const code = await runCli(['run', 'num.yaml', '--memory', ...options], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('wf run: a failed expression over stand-in values', () => {
  it('names a default mock reply the expression read, its value and how to script a real one', async () => {
    const { code, out, err } = await run(workflow('total > 100'));
    expect(code).toBe(1);
    expect(out).toContain('\nFAILED: EXPRESSION_FAILED: ');
    expect(err).toBe(
      [
        '',
        'hint: the expressions of Big read stand-in values, not real data:',
        `  total = "mock://billing#quote/total": the default mock reply of billing#quote; script a real one with --mocks file.yaml, e.g. 'billing#quote': { outputs: { total: 150 } }`,
        '',
      ].join('\n'),
    );
  });

  it('names a placeholder of initial_context and gives a --context with every key', async () => {
    const { code, err } = await run(workflow('amount > 100 and total > 100'));
    expect(code).toBe(1);
    expect(err).toContain(
      `  amount = "sample-amount": a placeholder (no --context); give real values with --context '{"amount": 150, "currency": ...}'\n`,
    );
    // JSONata stops at the first failing operand, but both keys hold stand-ins: both are named.
    expect(err).toContain('  total = "mock://billing#quote/total": the default mock reply of billing#quote;');
  });

  it('says nothing of values the user gave, even when they look like stand-ins or are text', async () => {
    const given = await run(
      workflow('amount > 100'),
      '--context',
      '{"amount":"sample-amount","currency":"EUR"}',
    );
    expect(given.code).toBe(1);
    expect(given.out).toContain('FAILED: EXPRESSION_FAILED: ');
    expect(given.err).toBe('');

    const byMocks = await run(
      workflow('total > 100', { 'm.yaml': "'billing#quote': { outputs: { total: 'x' } }\n" }),
      '--mocks',
      'm.yaml',
    );
    expect(byMocks.code).toBe(1);
    expect(byMocks.err).toBe('');
  });

  it("names the placeholder a wait's until read when the wait fails INVALID_WAIT", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wf-run-stand-in-'));
    writeFileSync(
      join(dir, 'num.yaml'),
      [
        'workflow_name: hold',
        'workflow_id: hold_v1',
        'entry_point: Hold',
        'initial_context: [release_at]',
        'nodes:',
        '  Hold: { type: wait, until: release_at, next: Done }',
        '  Done: { type: end }',
        '',
      ].join('\n'),
    );
    const { code, out, err } = await run(dir);
    expect(code).toBe(1);
    expect(out).toContain('\nFAILED: INVALID_WAIT: ');
    expect(err).toBe(
      [
        '',
        'hint: the expressions of Hold read stand-in values, not real data:',
        `  release_at = "sample-release_at": a placeholder (no --context); give real values with --context '{"release_at": "2030-01-31T09:00:00Z"}'`,
        '',
      ].join('\n'),
    );
  });

  it('runs to its end once the values are real, with no hint', async () => {
    const dir = workflow('total > 100', { 'm.yaml': "'billing#quote': { outputs: { total: 150 } }\n" });
    const { code, err } = await run(dir, '--mocks', 'm.yaml');
    expect(code).toBe(0);
    expect(err).toBe('');
  });

  it('keeps --json to the one status object, with nothing on stderr', async () => {
    const { code, out, err } = await run(workflow('total > 100'), '--json');
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      status: 'FAILED',
      error: { code: 'EXPRESSION_FAILED', node: 'Big' },
    });
    expect(err).toBe('');
  });

  it('on the embedded stack, recognises the default outputs the stack says its mock gives', async () => {
    // The stack itself is scripts/wf.ts's; here a runner that reports the instance as the stack would.
    const s3 = (instance: string, node: string, key: string) =>
      `s3://events/mock-outputs/${instance}/${node}/${key}.json`;
    const embedded: EmbeddedRunner = () =>
      Promise.resolve({
        view: {
          instance_id: 'i-1',
          workflow_id: 'num_v1',
          status: 'FAILED',
          context: {
            amount: 'sample-amount',
            currency: 'sample-currency',
            total: s3('i-1', 'Price', 'total'),
          },
          waits: [],
          history: [],
          definition: { key: 'num.yaml', sha256: '0'.repeat(64) },
          error: { code: 'EXPRESSION_FAILED', message: 'expression failed: ...', node: 'Big' },
        },
        defaultOutput: (request, key) => s3(request.instance_id, request.node, key),
      });
    const io = recordingIo(workflow('total > 100'));
    expect(await runCli(['run', 'num.yaml'], io, { embedded })).toBe(1);
    expect(io.stderr()).toContain(
      `  total = "s3://events/mock-outputs/i-1/Price/total.json": the default mock reply of billing#quote; script a real one with --mocks file.yaml, e.g. 'billing#quote': { outputs: { total: 150 } }\n`,
    );
  });
});
