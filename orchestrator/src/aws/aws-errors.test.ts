import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { AccessDenied, NoSuchBucket } from '@aws-sdk/client-s3';
import { KmsThrottled, RequestThrottled } from '@aws-sdk/client-sqs';
import { EngineError, StaleCommitError } from '../runtime/errors';
import { awsCall, translateAwsError } from './aws-errors';

// SDK-shaped errors: the SDK's own exception classes where it has one, plain objects otherwise (what the
// SDK throws for unmodelled errors: a name, a message and `$metadata`).
const metadata = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

describe('translateAwsError', () => {
  describe('retryable: throttling, 5xx and network faults', () => {
    it.each([
      [
        'DynamoDB ThrottlingException',
        'DYNAMODB',
        new ThrottlingException({ message: 'slow down', ...metadata(400) }),
      ],
      [
        'DynamoDB ProvisionedThroughputExceededException',
        'DYNAMODB',
        new ProvisionedThroughputExceededException({ message: 'too fast', ...metadata(400) }),
      ],
      [
        'DynamoDB RequestLimitExceeded',
        'DYNAMODB',
        { name: 'RequestLimitExceeded', message: 'account limit', ...metadata(400) },
      ],
      ['S3 SlowDown', 'S3', { name: 'SlowDown', message: 'reduce your request rate', ...metadata(503) }],
      ['SQS RequestThrottled', 'SQS', new RequestThrottled({ message: 'Rate exceeded', ...metadata(400) })],
      ['SQS KmsThrottled', 'SQS', new KmsThrottled({ message: 'KMS throttled', ...metadata(400) })],
      [
        'HTTP 429 TooManyRequestsException',
        'LOGS',
        { name: 'TooManyRequestsException', message: 'too many requests', ...metadata(429) },
      ],
    ] as const)('%s', (_label, service, error) => {
      const translated = translateAwsError(service, 'Op', error);
      expect(translated).toBeInstanceOf(EngineError);
      expect(translated.retryable).toBe(true);
    });

    it.each([
      ['InternalServerError (modelled)', new InternalServerError({ message: 'oops', ...metadata(500) })],
      ['an unknown name with HTTP 500', { name: 'WeirdFault', message: 'x', ...metadata(500) }],
      ['an unknown name with HTTP 503', { name: 'ServiceUnavailable', message: 'x', ...metadata(503) }],
      ['an unknown name with HTTP 502', { name: 'BadGateway', message: 'x', ...metadata(502) }],
    ])('5xx: %s', (_label, error) => {
      expect(translateAwsError('DYNAMODB', 'GetItem', error).retryable).toBe(true);
    });

    it('honours the SDK $retryable marker on an error with no retryable name or status', () => {
      const error = { name: 'SomethingTransient', message: 'x', $retryable: { throttling: false } };
      expect(translateAwsError('SQS', 'SendMessage', error).retryable).toBe(true);
    });

    it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN'])(
      'network fault %s (a Node error, no $metadata)',
      (code) => {
        const error = Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
        const translated = translateAwsError('SQS', 'SendMessage', error);
        expect(translated.retryable).toBe(true);
        expect(translated.code).toBe('SQS_Error');
      },
    );

    it('a TimeoutError (the SDK request handler timing out)', () => {
      const error = Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
      expect(translateAwsError('S3', 'GetObject', error).retryable).toBe(true);
    });
  });

  describe('not retryable: validation, access and missing resources', () => {
    it.each([
      [
        'DYNAMODB',
        'ValidationException',
        { name: 'ValidationException', message: 'bad key', ...metadata(400) },
      ],
      [
        'DYNAMODB',
        'ResourceNotFoundException',
        new ResourceNotFoundException({ message: 'no table', ...metadata(400) }),
      ],
      [
        'DYNAMODB',
        'ConditionalCheckFailedException',
        new ConditionalCheckFailedException({ message: 'condition', ...metadata(400) }),
      ],
      [
        'DYNAMODB',
        'AccessDeniedException',
        { name: 'AccessDeniedException', message: 'denied', ...metadata(400) },
      ],
      ['S3', 'AccessDenied', new AccessDenied({ message: 'Access Denied', ...metadata(403) })],
      ['S3', 'NoSuchBucket', new NoSuchBucket({ message: 'no bucket', ...metadata(404) })],
      ['SQS', 'QueueDoesNotExist', { name: 'QueueDoesNotExist', message: 'no queue', ...metadata(400) }],
      [
        'SQS',
        'InvalidParameterValue',
        { name: 'InvalidParameterValue', message: 'bad value', ...metadata(400) },
      ],
    ] as const)('%s %s', (service, name, error) => {
      const translated = translateAwsError(service, 'Op', error);
      expect(translated.retryable).toBe(false);
      expect(translated.code).toBe(`${service}_${name}`);
    });
  });

  it('builds the code as <SERVICE>_<SdkName> and names the service and operation in the message', () => {
    const error = new ResourceNotFoundException({
      message: 'Requested resource not found',
      ...metadata(400),
    });
    const translated = translateAwsError('DYNAMODB', 'GetItem', error);
    expect(translated.code).toBe('DYNAMODB_ResourceNotFoundException');
    expect(translated.message).toBe('DYNAMODB GetItem failed: Requested resource not found');
    expect(translated.name).toBe('EngineError');
  });

  it('keeps the original error as cause, unchanged', () => {
    const error = new ThrottlingException({ message: 'slow down', ...metadata(400) });
    const translated = translateAwsError('DYNAMODB', 'UpdateItem', error);
    expect(translated.cause).toBe(error);
  });

  it('passes an EngineError through as the same object', () => {
    const ours = new StaleCommitError('inst-1');
    expect(translateAwsError('DYNAMODB', 'UpdateItem', ours)).toBe(ours);
    const plain = new EngineError('SQS_PARTIAL_SEND', 'x', true);
    expect(translateAwsError('SQS', 'SendMessageBatch', plain)).toBe(plain);
  });

  it('survives a thrown non-error, keeping it as cause', () => {
    const translated = translateAwsError('S3', 'PutObject', 'socket hang up');
    expect(translated).toBeInstanceOf(EngineError);
    expect(translated.code).toBe('S3_Error');
    expect(translated.cause).toBe('socket hang up');
    expect(translateAwsError('S3', 'PutObject', undefined).code).toBe('S3_Error');
  });
});

describe('awsCall', () => {
  it('returns what the call returns', async () => {
    await expect(awsCall('SQS', 'Op', () => Promise.resolve(42))).resolves.toBe(42);
  });

  it('translates what the call throws', async () => {
    const error = new ThrottlingException({ message: 'slow down', ...metadata(400) });
    const thrown = await awsCall('DYNAMODB', 'Query', () => Promise.reject(error)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(EngineError);
    expect(thrown).toMatchObject({ code: 'DYNAMODB_ThrottlingException', retryable: true, cause: error });
  });

  it('lets an EngineError thrown inside the call out unchanged', async () => {
    const ours = new StaleCommitError('inst-1');
    await expect(awsCall('DYNAMODB', 'Op', () => Promise.reject(ours))).rejects.toBe(ours);
  });
});
