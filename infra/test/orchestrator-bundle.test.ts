import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { buildLambdaBundle } from '../src/bundling/lambda-bundle';
import { definitionsDir, lambdaEntries, repoRoot } from '../src/paths';

// Two esbuild bundles in beforeAll: seconds alone, more on a 2-core machine running other suites.
jest.setTimeout(60_000);

/*
 * The orchestrator Lambda bundle, built exactly as the stack deploys it (buildLambdaBundle), and what could
 * regress in it: its size (issue 10: at most 1.5 MB), what must stay out (langsmith, a second zod, zod's
 * other locales, core's full import map, the SDK's other credential providers), and that the bundled
 * code still works: the handler loads and takes a batch, and the engine, bundled the same way, runs the
 * example workflows with LangGraph as bundled.
 */

const MAX_BUNDLE_BYTES = 1.5 * 1024 * 1024;

/** The engine on in-memory ports (no AWS), bundled with the Lambda settings and plugins. */
const SIMULATION_ENTRY = `
import { WorkflowSimulation } from './runtime/memory/workflow-simulation';
export async function runWorkflow(workflowId: string, yaml: string, context: Record<string, unknown>) {
  const sim = new WorkflowSimulation();
  sim.definitions.put(workflowId + '.yaml', yaml);
  sim.send({ type: 'START_WORKFLOW', workflow_id: workflowId, instance_id: 'bundle-test', context });
  await sim.drain();
  const record = await sim.instances.get('bundle-test');
  return { status: record?.status, error: record?.error, deadLetters: sim.deadLetters.map((d) => d.reason) };
}
`;

const CONTEXT = { shipmentId: 'SHP-1', originCountry: 'VN', destinationCountry: 'US' };

let dir: string;
let orchestratorFile: string;
let orchestratorMeta: Metafile;
let simulationFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'orchestrator-bundle-'));
  orchestratorFile = join(dir, 'orchestrator', 'index.js');
  simulationFile = join(dir, 'simulation', 'index.js');
  const [orchestrator] = await Promise.all([
    buildLambdaBundle({ entry: lambdaEntries.orchestrator }, orchestratorFile),
    buildLambdaBundle(
      {
        stdin: {
          contents: SIMULATION_ENTRY,
          resolveDir: join(repoRoot, 'orchestrator', 'src'),
          loader: 'ts',
          sourcefile: 'simulation-entry.ts',
        },
      },
      simulationFile,
    ),
  ]);
  expect(orchestrator.errors).toEqual([]);
  orchestratorMeta = orchestrator.metafile;
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the orchestrator bundle, as deployed', () => {
  it('is at most 1.5 MB minified', () => {
    expect(existsSync(`${orchestratorFile}.map`)).toBe(true);
    const bytes = statSync(orchestratorFile).size;
    console.log(`orchestrator bundle: ${(bytes / 1024 / 1024).toFixed(2)} MB`);
    expect(bytes).toBeLessThanOrEqual(MAX_BUNDLE_BYTES);
  });

  it('holds no langsmith, one zod package with its English locale only, core messages only in the load map', () => {
    const inputs = Object.keys(orchestratorMeta.inputs);
    expect(inputs.filter((path) => /(?:^|\/)langsmith[@/]/.test(path))).toEqual([]);
    expect(inputs).toContain('infra/src/bundling/langsmith-stub.ts');

    const zodPackages = new Set(
      inputs.map((path) => /\/(zod@[^/_]+)[^/]*\/node_modules\/zod\//.exec(path)?.[1]),
    );
    zodPackages.delete(undefined);
    expect(zodPackages.size).toBe(1);
    expect(inputs.filter((path) => /\/zod\/v4\/locales\/(?!en\.js$|index\.js$)/.test(path))).toEqual([]);
    // The locales index is ours (namespace lambda-replacement), not zod's.
    expect(inputs.filter((path) => /\/zod\/v4\/locales\/index\.js$/.test(path))).toEqual([
      expect.stringMatching(/^lambda-replacement:/),
    ]);

    // What only core's full import map brings.
    expect(
      inputs.filter((path) =>
        /@langchain\/core\/dist\/(?:prompts|testing|document_loaders|retrievers)\//.test(path),
      ),
    ).toEqual([]);
    expect(
      inputs.filter((path) => /@aws-sdk\/(?:nested-clients|credential-provider-(?:ini|sso))\//.test(path)),
    ).toEqual([]);
    // core's JSON Schema conversion: LangGraph interrupts without a response schema.
    expect(inputs.filter((path) => /@langchain\/core\/dist\/utils\/zod-to-json-schema\//.test(path))).toEqual(
      [],
    );
    expect(inputs.filter((path) => /@langchain\/core\/dist\/utils\/json_schema\.js$/.test(path))).toEqual([
      expect.stringMatching(/^lambda-replacement:/),
    ]);
    // pino without its transports (worker threads): the Lambdas log to stdout.
    expect(inputs.filter((path) => /\/(?:thread-stream|real-require)\//.test(path))).toEqual([]);
    expect(inputs.filter((path) => /\/pino\/lib\/transport\.js$/.test(path))).toEqual([
      expect.stringMatching(/^lambda-replacement:/),
    ]);
  });

  it('loads on plain Node, and its handler takes a batch: clients, credentials and SQS calls all work', async () => {
    const requests: IncomingHttpHeaders[] = [];
    const sqs = createServer((request, response) => {
      requests.push(request.headers);
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify({ QueueUrl: 'http://127.0.0.1/000000000000/resolved-by-the-test' }));
      });
    });
    await new Promise<void>((resolve) => sqs.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = sqs.address() as AddressInfo;
      const run = await runNode(
        orchestratorFile,
        "require(process.argv[1]).handler({ Records: [] }).then((r) => process.stdout.write('RESULT ' + JSON.stringify(r)))",
        {
          CCH_ENV: 'dev',
          CCH_OWNER: 'bundle-test',
          // Off AWS the reply keys come inline (on AWS through the Parameters and Secrets extension).
          CCH_REPLY_KEYS: JSON.stringify({ current: 'bundle-test-reply-key-0123456789abcdef' }),
          LOG_LEVEL: 'silent',
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${port}`,
          AWS_ACCESS_KEY_ID: 'bundle-test',
          AWS_SECRET_ACCESS_KEY: 'bundle-test',
          // Lambda runs Node.js 22; the SDK warns on the older node this test may run on.
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      );
      expect({ result: run.result, stderr: run.stderr }).toEqual({
        result: { batchItemFailures: [] },
        stderr: '',
      });
      // The reply queue's URL was looked up, signed with the environment's credentials.
      expect(requests.map((headers) => headers['x-amz-target'])).toEqual(['AmazonSQS.GetQueueUrl']);
      expect(requests[0]?.authorization).toContain('Credential=bundle-test/');
    } finally {
      await new Promise((resolve) => sqs.close(resolve));
    }
  });

  it('runs the example workflows to the end: LangGraph, zod, YAML and expressions as bundled', async () => {
    for (const workflowId of ['fanout_a_b_c_v1', 'import_vn_memphis_v1', 'export_screening_v1']) {
      const run = await runWorkflow(workflowId, {});
      expect({ workflowId, ...(run.result as object), stderr: run.stderr }).toMatchObject({
        workflowId,
        status: 'SUCCEEDED',
        deadLetters: [],
        stderr: '',
      });
    }
  });

  it('fails a run that asks for LangSmith tracing, saying why, instead of tracing nowhere', async () => {
    for (const variable of ['LANGSMITH_TRACING', 'LANGCHAIN_TRACING_V2']) {
      const run = await runWorkflow('fanout_a_b_c_v1', { [variable]: 'true' });
      // The START fails (dead-lettered, or the instance FAILED) with the stub's message.
      expect(run.result).not.toMatchObject({ status: 'SUCCEEDED' });
      expect(JSON.stringify(run.result)).toContain('LangSmith tracing is not available in the Lambda bundle');
    }
  });
});

function runWorkflow(workflowId: string, env: Record<string, string>) {
  const yaml = readFileSync(join(definitionsDir, `${workflowId}.yaml`), 'utf8');
  const call = `runWorkflow(${JSON.stringify(workflowId)}, ${JSON.stringify(yaml)}, ${JSON.stringify(CONTEXT)})`;
  return runNode(
    simulationFile,
    `require(process.argv[1]).${call}.then((r) => process.stdout.write('RESULT ' + JSON.stringify(r)))`,
    env,
  );
}

/** Runs `script` in a fresh node (the bundle's path as argv[1]; PATH and `env` its only environment). */
function runNode(
  bundle: string,
  script: string,
  env: Record<string, string>,
): Promise<{ result: unknown; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, bundle], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) {
        reject(new Error(`node exited ${code}: ${stderr.slice(-2000) || stdout.slice(-2000)}`));
        return;
      }
      resolve({ result: JSON.parse(line.slice('RESULT '.length)) as unknown, stderr });
    });
  });
}
