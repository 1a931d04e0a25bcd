import { DEFAULT_LOCAL_PORTS as DEFAULT_PORTS } from '../orchestrator/src/naming/local-endpoints';
import { startLocalStack } from './local-aws/local-stack';

/**
 * `pnpm local`: the embedded stack on its fixed ports, kept running, with the orchestrator and the
 * capability mock polling their queues. Prints what points the AWS CLI or an SDK at it.
 */
async function main(): Promise<void> {
  const ports = {
    dynamodb: Number(process.env.CCH_LOCAL_DYNAMODB_PORT ?? DEFAULT_PORTS.dynamodb),
    sqs: Number(process.env.CCH_LOCAL_SQS_PORT ?? DEFAULT_PORTS.sqs),
    s3: Number(process.env.CCH_LOCAL_S3_PORT ?? DEFAULT_PORTS.s3),
  };
  const stack = await startLocalStack({ ports, echoLogs: process.env.CCH_LOCAL_QUIET !== '1' });
  const { endpoints } = stack.aws;
  const { names, commandQueue } = stack.resources;
  const lines = [
    '# The embedded local AWS is running. Point the AWS CLI or an SDK at it:',
    `export AWS_ENDPOINT_URL_DYNAMODB=${endpoints.dynamodb}`,
    `export AWS_ENDPOINT_URL_SQS=${endpoints.sqs}`,
    `export AWS_ENDPOINT_URL_S3=${endpoints.s3}`,
    // s3rver checks signatures against these; dynalite and local-aws-sqs accept any credentials.
    'export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1',
    '# Start a workflow by hand (--endpoint-url works with every AWS CLI version):',
    `#   aws --endpoint-url ${endpoints.s3} s3 cp workflow-definitions/import_vn_memphis_v1.yaml s3://${names.definitionsBucket}/`,
    `#   aws --endpoint-url ${endpoints.sqs} sqs send-message --queue-url ${commandQueue.url} --message-body '{"type":"START_WORKFLOW","workflow_id":"import_vn_memphis_v1","instance_id":"by-hand-1","context":{"shipmentId":"SHP-1","originCountry":"VN","destinationCountry":"US"}}'`,
    '#   pnpm wf status by-hand-1 --local',
    `# Logs (JSON lines): ${stack.logFile}. Ctrl-C stops.`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  const stop = () => {
    void stack.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`local: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
