import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SFNClient, type SFNClientConfig } from '@aws-sdk/client-sfn';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { MixedInstanceIndex } from '../aws/mixed-instance-index';
import { SfnExecutionReader } from '../aws/sfn-execution-reader';
import { deployedStateMachines } from '../aws/sfn-state-machines';
import { DynamoDbInstanceStore } from '../aws/dynamodb-instance-store';
import { S3DefinitionCatalog } from '../aws/s3-definition-catalog';
import { SqsClaimCheck } from '../aws/sqs-claim-check';
import { systemClock } from '../graph/engine-dependencies';
import { DynamoDbInstanceIndex } from '../aws/dynamodb-instance-index';
import {
  InvalidLocalPortError,
  LOCAL_REGION,
  localClientConfig,
  localPortsFromEnv,
} from '../naming/local-endpoints';
import { resourceNames, type Stage } from '../naming/resource-names';
import { DeadLetters } from '../operations/dead-letters';
import type { DefinitionFilesPort, InstanceQueryPort } from '../operations/operations-ports';

/** Which stack an operator command reads, and the SDK settings that reach it. */
export interface OperatorTarget {
  readonly stage: Stage;
  readonly clients: {
    readonly dynamodb: DynamoDBClientConfig;
    readonly sqs: SQSClientConfig;
    readonly s3: S3ClientConfig;
    /**
     * Step Functions, where the deployment's state machines (Step Functions mode) are read; absent: the
     * engine's records only. See `stepFunctionsClientConfig`.
     */
    readonly sfn?: SFNClientConfig;
  };
}

/** The setting that turns off reading Step Functions executions (`CCH_STEP_FUNCTIONS=off`). */
export const STEP_FUNCTIONS_SETTING = 'CCH_STEP_FUNCTIONS';
/** The port of a local Step Functions endpoint; the embedded stack (`pnpm local`) has none. */
export const LOCAL_SFN_PORT_SETTING = 'CCH_LOCAL_SFN_PORT';

/**
 * Where the operator commands read Step Functions executions: on AWS, Step Functions of the SDK's usual
 * chain (region, credentials, AWS_ENDPOINT_URL_SFN), unless CCH_STEP_FUNCTIONS=off (a role without
 * `states:List*`/`states:Describe*`/`states:GetExecutionHistory` reads the engine only); locally, the
 * endpoint on CCH_LOCAL_SFN_PORT when it is set, else none.
 */
export function stepFunctionsClientConfig(
  local: boolean,
  env: NodeJS.ProcessEnv,
): SFNClientConfig | undefined {
  if (!local && env.CCH_ENV && env.CCH_OWNER) return env[STEP_FUNCTIONS_SETTING] === 'off' ? undefined : {};
  const value = env[LOCAL_SFN_PORT_SETTING];
  if (value === undefined || value.trim() === '') return undefined;
  const port = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || port < 1 || port > 65535) {
    throw new InvalidLocalPortError(`${LOCAL_SFN_PORT_SETTING}=${value} is not a port (1-65535)`);
  }
  return {
    region: LOCAL_REGION,
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
}

/**
 * As `wf status` decides: the deployment named by CCH_ENV/CCH_OWNER (credentials, region and any
 * AWS_ENDPOINT_URL_* from the SDK's usual chain), else, or with `--local`, the embedded stack (`pnpm
 * local`) on the ports in CCH_LOCAL_*_PORT (default 4567, 9324, 4569). A port that is set but malformed
 * is refused, never replaced by the default.
 */
export function operatorTarget(local: boolean, env: NodeJS.ProcessEnv): OperatorTarget {
  const sfn = stepFunctionsClientConfig(local, env);
  if (!local && env.CCH_ENV && env.CCH_OWNER) {
    return {
      stage: { env: env.CCH_ENV, owner: env.CCH_OWNER },
      clients: { dynamodb: {}, sqs: {}, s3: {}, ...(sfn ? { sfn } : {}) },
    };
  }
  return {
    stage: { env: 'local', owner: env.CCH_OWNER ?? 'dev' },
    clients: { ...localClientConfig(localPortsFromEnv(env)), ...(sfn ? { sfn } : {}) },
  };
}

/** Step Functions mode's executions of a target, when it reads them (clients only, as below). */
export function openExecutionReader(
  stage: OperatorTarget['stage'],
  config: SFNClientConfig | undefined,
): { readonly reader: SfnExecutionReader; close(): void } | undefined {
  if (!config) return undefined;
  const sfn = new SFNClient(config);
  return {
    reader: new SfnExecutionReader(sfn, () => deployedStateMachines(sfn, stage)),
    close: () => sfn.destroy(),
  };
}

/** The operator queries' storage for a target (clients only: nothing is called until a query runs). */
export function openInstanceQueries(target: OperatorTarget): {
  readonly port: InstanceQueryPort;
  readonly table: string;
  close(): void;
} {
  const names = resourceNames(target.stage);
  const dynamodb = new DynamoDBClient(target.clients.dynamodb);
  const s3 = new S3Client(target.clients.s3);
  const engine = new DynamoDbInstanceIndex(dynamodb, names.stateTable, s3, names.definitionsBucket);
  const executions = openExecutionReader(target.stage, target.clients.sfn);
  return {
    port: executions ? new MixedInstanceIndex(engine, executions.reader) : engine,
    table: names.stateTable,
    close() {
      dynamodb.destroy();
      s3.destroy();
      executions?.close();
    },
  };
}

/** The definitions bucket of a target, as the definitions catalog reads it (clients only, as above). */
export function openDefinitionFiles(target: OperatorTarget): {
  readonly files: DefinitionFilesPort;
  close(): void;
} {
  const s3 = new S3Client(target.clients.s3);
  return {
    files: new S3DefinitionCatalog(s3, resourceNames(target.stage).definitionsBucket),
    close: () => s3.destroy(),
  };
}

/** The status records of a target, as the commands that act on one instance read them (clients only). */
export function openInstanceStore(target: OperatorTarget): {
  readonly store: DynamoDbInstanceStore;
  readonly table: string;
  readonly close: () => void;
} {
  const table = resourceNames(target.stage).stateTable;
  const dynamodb = new DynamoDBClient(target.clients.dynamodb);
  return {
    store: new DynamoDbInstanceStore(dynamodb, table, systemClock),
    table,
    close: () => dynamodb.destroy(),
  };
}

/** The dead-letter queues of a target, as `wf dlq` reads them (clients only, as above). */
export function openDeadLetters(target: OperatorTarget): {
  list: DeadLetters['list'];
  close(): void;
} {
  const names = resourceNames(target.stage);
  const sqs = new SQSClient(target.clients.sqs);
  const s3 = new S3Client(target.clients.s3);
  const deadLetters = new DeadLetters({
    sqs,
    stage: target.stage,
    claimCheck: new SqsClaimCheck({ s3, bucket: names.eventDataBucket, prefix: names.sqsPayloadPrefix }),
  });
  return {
    list: (selector, options) => deadLetters.list(selector, options),
    close() {
      sqs.destroy();
      s3.destroy();
    },
  };
}
