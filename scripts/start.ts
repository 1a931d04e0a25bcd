import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  IN_PROCESS_CONSOLE_FLAGS,
  inProcessConsoleOptions,
  startInProcessConsole,
  type InProcessConsoleOptions,
} from '../console/src/in-process-console';
import { applyCliEnvironment } from './cli-environment';
import { domainsWithChildren, runTest } from './run-test';
import { LocalFileLogSource } from './run-test/log-sources';
import { startLocalStack } from './local-aws/local-stack';
import { REPO_ROOT } from './local-aws/provision-local';

/**
 * `pnpm start`: boots the embedded local AWS with the same resources as the CDK app, runs the sample
 * workflows end to end as run-test does, prints each final status, exits 0 when all succeeded. The web
 * console serves the stack while the workflows run (`--console-port`, `--no-console`) and stops with it:
 * `pnpm start` is the quick proof that ends with its exit code; `pnpm local` is the stack that stays up,
 * with its console.
 */
const WORKFLOWS: readonly { readonly file: string; readonly context?: Record<string, unknown> }[] = [
  { file: 'import_vn_memphis_v1.yaml' },
  { file: 'fanout_a_b_c_v1.yaml' },
  // Language v2: set, map (a child per line), sub_workflow, input/result mapping, wait, a shared end.
  {
    file: 'language-v2/order_fulfilment_v2.yaml',
    // The context README's `wf run` example passes too (`--context @sample-data/contexts/...`).
    context: JSON.parse(
      readFileSync(join(REPO_ROOT, 'sample-data', 'contexts', 'order-fulfilment-v2.json'), 'utf8'),
    ) as Record<string, unknown>,
  },
];

async function main(consoleOptions: InProcessConsoleOptions): Promise<number> {
  const began = Date.now();
  process.stdout.write('Starting the embedded local AWS (DynamoDB, SQS, S3)...\n');
  const stack = await startLocalStack({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  const { resources, aws } = stack;
  process.stdout.write(
    `  ready in ${Date.now() - began} ms: table ${resources.names.stateTable}, ` +
      `${2 + resources.capabilityQueues.size} queues with DLQs, 2 buckets; logs in ${stack.logFile}\n` +
      // Free ports, chosen anew each run: printed so the stack can be reached while the workflows run.
      `  DynamoDB ${aws.endpoints.dynamodb}, SQS ${aws.endpoints.sqs}, S3 ${aws.endpoints.s3}\n`,
  );
  const webConsole = await startInProcessConsole(
    { stage: resources.stage, clients: aws.clientConfig },
    consoleOptions,
  );
  process.stdout.write(`  ${webConsole.summary}\n`);
  if (webConsole.url) {
    process.stdout.write(
      '  (it serves while the workflows run and stops with them; `pnpm local` keeps one up)\n',
    );
  }
  process.stdout.write('\n');
  let failures = 0;
  try {
    for (const workflow of WORKFLOWS) {
      // The capability domains it and its children use get a request queue and a mock consumer first.
      await stack.addCapabilityDomains(domainsWithChildren(workflow.file));
      const result = await runTest({
        definitionFile: workflow.file,
        ...(workflow.context ? { context: workflow.context } : {}),
        target: {
          stage: resources.stage,
          clients: aws.clientConfig,
          logs: new LocalFileLogSource(stack.logFile),
        },
        timeoutMs: 60_000,
      });
      const steps = result.record?.history.length ?? 0;
      process.stdout.write(`  => ${result.status} (${steps} steps, instance ${result.instanceId})\n\n`);
      if (result.status !== 'SUCCEEDED') failures++;
    }
  } finally {
    await webConsole.close();
    await stack.stop();
  }
  process.stdout.write(
    `${failures === 0 ? 'All workflows SUCCEEDED' : `${failures} workflow(s) did not succeed`} in ${((Date.now() - began) / 1000).toFixed(1)} s\n`,
  );
  return failures === 0 ? 0 : 1;
}

/** The arguments, or a usage error on stderr (exit 2) before anything starts. */
function parseOptions(): InProcessConsoleOptions | undefined {
  try {
    const { values } = parseArgs({ options: IN_PROCESS_CONSOLE_FLAGS });
    return inProcessConsoleOptions(values, process.env);
  } catch (error) {
    process.stderr.write(
      `start: ${error instanceof Error ? error.message : String(error)}\n` +
        'usage: pnpm start [--console-port N | --no-console]\n',
    );
    process.exitCode = 2;
    return undefined;
  }
}

applyCliEnvironment();
const options = parseOptions();
if (options) {
  main(options).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
