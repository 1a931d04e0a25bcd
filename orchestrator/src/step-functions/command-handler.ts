import { randomUUID } from 'node:crypto';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createPinoLogger } from '../aws/pino-logger';
import { handleBridgeBatch } from './bridge-batch';
import { CommandBridge, RefusedCommandError, type DeployedWorkflow } from './command-bridge';
import { SfnExecutionControl } from './sfn-execution-control';

/**
 * The command Lambda of Step Functions mode, on the command queue: START_WORKFLOW starts an execution
 * named by the instance id, CANCEL_WORKFLOW stops it (CommandBridge). Configuration: CCH_WORKFLOWS, JSON
 * `{ "<workflow_id>": { "stateMachineArn", "initialContext": [...] } }`, written by the CDK stack.
 */
const logger = createPinoLogger().child({ component: 'step-functions-command' });
let bridge: CommandBridge | undefined;

export function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  bridge ??= new CommandBridge({
    control: new SfnExecutionControl(new SFNClient({})),
    workflows: new Map(
      Object.entries(JSON.parse(process.env.CCH_WORKFLOWS ?? '{}') as Record<string, DeployedWorkflow>),
    ),
    newId: randomUUID,
    logger,
  });
  const commands = bridge;
  return handleBridgeBatch(event, logger, (message) => {
    if (message.type === 'START_WORKFLOW') return commands.start(message);
    if (message.type === 'CANCEL_WORKFLOW') return commands.cancel(message);
    return Promise.reject(
      new RefusedCommandError(
        'UNSUPPORTED_COMMAND',
        `${message.type} is not supported in Step Functions mode`,
      ),
    );
  });
}
