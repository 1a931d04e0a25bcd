import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_LOCAL_PORTS } from '../../orchestrator/src/naming/local-endpoints';
import { processOutput, type ProcessOutput } from '../support/process-output';
import { freePort } from '../../orchestrator/test/support/free-port';

jest.setTimeout(120_000);
const repoRoot = join(__dirname, '..', '..');

/**
 * A user's shell: no stage settings (the local stack's defaults apply), no ports, and none of the
 * `npm_*`/`pnpm_*` variables a parent pnpm exports (npx would read them back as config).
 */
function shellEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^p?npm_|^CCH_|^AWS_/i.test(key)));
}

/** `export A=1 B=2` lines as variables, as a shell that pastes them would set them. */
function exportedVariables(lines: readonly string[]): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of lines.filter((l) => l.startsWith('export '))) {
    for (const assignment of line.slice('export '.length).trim().split(/\s+/)) {
      const [name, ...value] = assignment.split('=');
      variables[name as string] = value.join('=');
    }
  }
  return variables;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ProcessOutput> {
  return processOutput(command, args, { cwd: repoRoot, env });
}

/** Starts `pnpm local`'s script and resolves with the lines it printed once it says where it is. */
function startLocal(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('scripts', 'local.ts')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pnpm local not ready:\n${lines.join('\n')}`)), 60_000);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        // The last line it prints.
        if (/Ctrl-C stops\.$/.test(line)) {
          clearTimeout(timer);
          resolve({ child, lines });
        }
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pnpm local exited ${code}:\n${lines.join('\n')}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('pnpm local on non-default ports', () => {
  let local: { child: ChildProcess; lines: string[] } | undefined;
  afterAll(async () => {
    if (local) await stop(local.child);
  });

  it('prints its ports; run-test --local and wf status --local reach it through them', async () => {
    const ports = { dynamodb: await freePort(), sqs: await freePort(), s3: await freePort() };
    for (const service of ['dynamodb', 'sqs', 's3'] as const)
      expect(ports[service]).not.toBe(DEFAULT_LOCAL_PORTS[service]);
    local = await startLocal({
      ...shellEnv(),
      CCH_LOCAL_DYNAMODB_PORT: String(ports.dynamodb),
      CCH_LOCAL_SQS_PORT: String(ports.sqs),
      CCH_LOCAL_S3_PORT: String(ports.s3),
      CCH_LOCAL_QUIET: '1',
      // The capability mock's replies, as `pnpm worker` reads them.
      CCH_MOCK_SCENARIOS: JSON.stringify({
        'prepare#shipment': { outputs: { a_result: 'from the scenario' } },
      }),
    });

    // What a user pastes into another terminal: nothing else carries the ports over.
    const exported = exportedVariables(local.lines);
    expect(exported).toMatchObject({
      AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${ports.dynamodb}`,
      AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${ports.sqs}`,
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${ports.s3}`,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      CCH_LOCAL_DYNAMODB_PORT: String(ports.dynamodb),
      CCH_LOCAL_SQS_PORT: String(ports.sqs),
      CCH_LOCAL_S3_PORT: String(ports.s3),
    });
    const env = { ...shellEnv(), ...exported };

    const test = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        join('scripts', 'run-test.ts'),
        'fanout_a_b_c_v1.yaml',
        '--local',
        '--timeout',
        '60',
      ],
      env,
    );
    expect(test.err).toBe('');
    expect(test.out).toMatch(/\nSUCCEEDED\n$/);
    expect(test.code).toBe(0);
    const instanceId = /fanout_a_b_c_v1: instance (\S+) /.exec(test.out)?.[1];
    expect(instanceId).toBeDefined();

    // Through pnpm, as the README has it: stdout is the status record alone.
    const { packageManager } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      packageManager: string;
    };
    const status = await run(
      'npx',
      ['-y', packageManager, 'wf', 'status', instanceId as string, '--local', '--json'],
      env,
    );
    expect(status.err).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({
      instance_id: instanceId,
      workflow_id: 'fanout_a_b_c_v1',
      status: 'SUCCEEDED',
      context: expect.objectContaining({ a_result: 'from the scenario' }) as unknown,
    });
  });
});
