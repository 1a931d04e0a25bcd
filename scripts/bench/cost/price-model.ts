/*
 * The cost model of issue 10: us-east-1 list prices, applied to request counts measured per run. Pure, so
 * the tests can check it against hand-worked examples.
 */

/** us-east-1 on-demand list prices, in dollars per unit. */
export const US_EAST_1_PRICES = {
  /** DynamoDB on-demand: $0.625 per million write request units (since the price cut of November 2024). */
  dynamodbWriteUnit: 0.625 / 1e6,
  /** DynamoDB on-demand: $0.125 per million read request units (since November 2024). */
  dynamodbReadUnit: 0.125 / 1e6,
  /** SQS standard: $0.40 per million requests, each started 64 KB of payload one request. */
  sqsRequest: 0.4 / 1e6,
  /** S3 standard: PUT, COPY, POST, LIST $0.005 per 1,000. */
  s3Put: 0.005 / 1000,
  /** S3 standard: GET, HEAD and the rest $0.0004 per 1,000. */
  s3Get: 0.0004 / 1000,
  /** Lambda arm64: $0.0000133334 per GB-second. */
  lambdaGbSecond: 0.0000133334,
  /** Lambda: $0.20 per million requests. */
  lambdaRequest: 0.2 / 1e6,
  /** EventBridge Scheduler: $1.00 per million scheduled invocations (API calls free). */
  schedulerInvocation: 1.0 / 1e6,
  /** Step Functions Standard: $25 per million state transitions. */
  stepFunctionsTransition: 25 / 1e6,
} as const;

export type Prices = typeof US_EAST_1_PRICES;

/** SQS bills every started 64 KB of a request's payload as one request (a batch: its total payload). */
export const SQS_BILLING_CHUNK_BYTES = 64 * 1024;

export function sqsBilledRequests(payloadBytes: number): number {
  return Math.max(1, Math.ceil(payloadBytes / SQS_BILLING_CHUNK_BYTES));
}

/** What one run of a workflow used on our side, measured. */
export interface OurRunUsage {
  readonly dynamodbWriteUnits: number;
  readonly dynamodbReadUnits: number;
  /** Billed SQS requests of the orchestrator's queues (sends, receives, deletes, lookups). */
  readonly sqsRequests: number;
  /** Billed SQS requests of the capability request queues: the same under Step Functions. */
  readonly capabilitySqsRequests: number;
  readonly s3Puts: number;
  readonly s3Gets: number;
  /** EventBridge Scheduler schedules that fire (timers over 15 minutes, when it delivers them). */
  readonly schedulerInvocations: number;
  readonly lambdaInvocations: number;
  /** Sum of the invocations' durations, in milliseconds. */
  readonly lambdaMilliseconds: number;
  readonly lambdaMemoryMb: number;
}

export interface CostBreakdown {
  readonly dynamodb: number;
  readonly sqs: number;
  readonly capabilityMessages: number;
  readonly s3: number;
  readonly scheduler: number;
  readonly lambda: number;
  readonly stepFunctions: number;
  readonly total: number;
}

/** Dollars for one run of ours. */
export function ourCostPerRun(usage: OurRunUsage, prices: Prices = US_EAST_1_PRICES): CostBreakdown {
  const dynamodb =
    usage.dynamodbWriteUnits * prices.dynamodbWriteUnit + usage.dynamodbReadUnits * prices.dynamodbReadUnit;
  const sqs = usage.sqsRequests * prices.sqsRequest;
  const capabilityMessages = usage.capabilitySqsRequests * prices.sqsRequest;
  const s3 = usage.s3Puts * prices.s3Put + usage.s3Gets * prices.s3Get;
  const scheduler = usage.schedulerInvocations * prices.schedulerInvocation;
  const gbSeconds = (usage.lambdaMemoryMb / 1024) * (usage.lambdaMilliseconds / 1000);
  const lambda = gbSeconds * prices.lambdaGbSecond + usage.lambdaInvocations * prices.lambdaRequest;
  return {
    dynamodb,
    sqs,
    capabilityMessages,
    s3,
    scheduler,
    lambda,
    stepFunctions: 0,
    total: dynamodb + sqs + capabilityMessages + s3 + scheduler + lambda,
  };
}

/** What the same run would be under Step Functions Standard. */
export interface StepFunctionsRun {
  /** States entered, from the executed history (each node execution one state). */
  readonly statesEntered: number;
  /** The capability request messages, sent by the state machine's SQS integration instead. */
  readonly capabilitySqsRequests: number;
}

/** Step Functions counts the states entered plus two transitions per execution (start and end). */
export function stepFunctionsTransitions(statesEntered: number): number {
  return statesEntered + 2;
}

export function stepFunctionsCostPerRun(
  run: StepFunctionsRun,
  prices: Prices = US_EAST_1_PRICES,
): CostBreakdown {
  const stepFunctions = stepFunctionsTransitions(run.statesEntered) * prices.stepFunctionsTransition;
  const capabilityMessages = run.capabilitySqsRequests * prices.sqsRequest;
  return {
    dynamodb: 0,
    sqs: 0,
    capabilityMessages,
    s3: 0,
    scheduler: 0,
    lambda: 0,
    stepFunctions,
    total: stepFunctions + capabilityMessages,
  };
}

/** Dollars per million runs. */
export const perMillion = (dollarsPerRun: number): number => dollarsPerRun * 1e6;

/**
 * One run in Step Functions mode as deployed (`engine=stepfunctions`): the transitions the state machine
 * executed, priced per transition, plus what the project's bridges used around it (their Lambdas, the
 * command, reply and capability messages, the task-token table), priced as our own usage is.
 */
export function stepFunctionsModeCostPerRun(
  transitions: number,
  bridges: OurRunUsage,
  prices: Prices = US_EAST_1_PRICES,
): CostBreakdown {
  const around = ourCostPerRun(bridges, prices);
  const stepFunctions = transitions * prices.stepFunctionsTransition;
  return { ...around, stepFunctions, total: around.total + stepFunctions };
}

/**
 * The DynamoDB write units a run may use for Step Functions to cost `target` times ours, everything else
 * (reads, messages, Lambda) as measured: what the target asks of the storage design. Negative when even
 * free writes would not reach it.
 */
export function writeUnitsForTarget(
  target: number,
  stepFunctions: CostBreakdown,
  ours: CostBreakdown,
  usage: Pick<OurRunUsage, 'dynamodbWriteUnits'>,
  prices: Prices = US_EAST_1_PRICES,
): number {
  const oursWithoutWrites = ours.total - usage.dynamodbWriteUnits * prices.dynamodbWriteUnit;
  return (stepFunctions.total / target - oursWithoutWrites) / prices.dynamodbWriteUnit;
}
