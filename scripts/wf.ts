import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sampleDataOutput } from '../capability-mock/src/sample-data-outputs';
import { processIo } from '../orchestrator/src/cli/cli-io';
import {
  EMBEDDED_RUN_TIMEOUT_MS,
  type EmbeddedRun,
  type EmbeddedRunner,
} from '../orchestrator/src/cli/embedded-runner';
import type { StartServices } from '../orchestrator/src/cli/start-command';
import { runCli } from '../orchestrator/src/cli/main';
import { applyCliEnvironment } from './cli-environment';
import { startLocalStack } from './local-aws/local-stack';
import { domainsOfDefinitionText, ensureCapabilityQueues } from './local-aws/provision-local';
import { domainsWithChildren, runTest } from './run-test';
import { LocalFileLogSource } from './run-test/log-sources';

/**
 * `wf run` on the embedded stack: a private local AWS on free ports (so it never disturbs `pnpm local`),
 * the capability mock playing the scripted replies, the instance followed through its logs.
 */
export const runOnEmbeddedStack: EmbeddedRunner = async ({ definitionFile, context, mocks, progress }) => {
  const logFile = join(tmpdir(), `cch-wf-run-${process.pid}-${Date.now()}.log`);
  const stack = await startLocalStack({ ports: { dynamodb: 0, sqs: 0, s3: 0 }, scenarios: mocks, logFile });
  let run: EmbeddedRun;
  try {
    // A capability domain no definition in the repository uses gets its request queue and a mock consumer
    // (its children's too).
    await stack.addCapabilityDomains(domainsWithChildren(definitionFile));
    const result = await runTest({
      definitionFile,
      target: {
        stage: stack.resources.stage,
        clients: stack.aws.clientConfig,
        logs: new LocalFileLogSource(stack.logFile),
      },
      context,
      sampleContext: false,
      timeoutMs: EMBEDDED_RUN_TIMEOUT_MS,
      out: progress ?? (() => undefined),
    });
    // The default outputs of the stack's capability mock (scripts/local-aws/local-workers.ts gives it the
    // same bucket), so wf run can name them when an expression fails on one.
    run = { view: result.record, defaultOutput: sampleDataOutput(stack.resources.names.eventDataBucket) };
  } finally {
    await stack.stop();
  }
  // The log is the stack's, private to this run: worth keeping only to look into a run that went wrong.
  if (run.view?.status === 'SUCCEEDED') {
    rmSync(logFile, { force: true });
    return run;
  }
  return { ...run, logFile };
};

/**
 * `wf start` on the embedded stack creates the request queues of capability domains that have none, as
 * run-test does (the stack's watcher would, seconds later: a START can outrun it). On AWS the CDK app owns
 * the queues.
 */
export const startOnStack: StartServices = {
  async provisionCapabilityQueues(target, definitionText) {
    if (target.stage.env !== 'local') return [];
    const sqs = new SQSClient(target.clients.sqs);
    try {
      const created = await ensureCapabilityQueues(
        sqs,
        target.stage,
        domainsOfDefinitionText(definitionText),
      );
      return created.map((queue) => queue.name);
    } finally {
      sqs.destroy();
    }
  },
};

if (require.main === module) {
  applyCliEnvironment();
  runCli(process.argv.slice(2), processIo(), { embedded: runOnEmbeddedStack, start: startOnStack }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`wf: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
