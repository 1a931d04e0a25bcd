import { applyCliEnvironment } from './cli-environment';
import { runTest } from './run-test';
import { LocalFileLogSource } from './run-test/log-sources';
import { startLocalStack } from './local-aws/local-stack';

/**
 * `pnpm start`: boots the embedded local AWS with the same resources as the CDK app, runs the sample
 * workflows end to end as run-test does, prints each final status, exits 0 when all succeeded.
 */
const WORKFLOWS = ['import_vn_memphis_v1.yaml', 'fanout_a_b_c_v1.yaml'];

async function main(): Promise<number> {
  const began = Date.now();
  process.stdout.write('Starting the embedded local AWS (DynamoDB, SQS, S3)...\n');
  const stack = await startLocalStack({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  const { resources, aws } = stack;
  process.stdout.write(
    `  ready in ${Date.now() - began} ms: table ${resources.names.stateTable}, ` +
      `${2 + resources.capabilityQueues.size} queues with DLQs, 2 buckets; logs in ${stack.logFile}\n\n`,
  );
  let failures = 0;
  try {
    for (const workflow of WORKFLOWS) {
      const result = await runTest({
        definitionFile: workflow,
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
    await stack.stop();
  }
  process.stdout.write(
    `${failures === 0 ? 'All workflows SUCCEEDED' : `${failures} workflow(s) did not succeed`} in ${((Date.now() - began) / 1000).toFixed(1)} s\n`,
  );
  return failures === 0 ? 0 : 1;
}

applyCliEnvironment();
main().then(
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
