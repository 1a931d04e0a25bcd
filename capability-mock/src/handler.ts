import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import pino from 'pino';
import { capabilityMocksSchema } from '../../orchestrator/src/capability-mocks/capability-mocks';
import { createCapabilityMock } from './capability-mock';
import { sampleDataOutput } from './sample-data-outputs';

/**
 * The capability-mock Lambda. CCH_MOCK_SCENARIOS (JSON, optional) scripts replies per capability id;
 * CCH_EVENTDATA_BUCKET names the bucket whose sample data default outputs point at.
 */
const logger = pino({ base: { service: 'capability-mock' }, timestamp: pino.stdTimeFunctions.isoTime });
let mock: ((event: SQSEvent) => Promise<SQSBatchResponse>) | undefined;

export function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  mock ??= createCapabilityMock({
    sqs: new SQSClient({}),
    scenarios: capabilityMocksSchema.parse(JSON.parse(process.env.CCH_MOCK_SCENARIOS ?? '{}')),
    defaultOutput: sampleDataOutput(process.env.CCH_EVENTDATA_BUCKET ?? 'eventdata'),
    log: (level, fields, message) => logger[level](fields, message),
  });
  return mock(event);
}
