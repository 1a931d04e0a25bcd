import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EngineError, MessageUndeliverableError } from '../runtime/errors';
import { translateAwsError } from './aws-errors';
import { numberAttribute, type SdkMessageAttributes } from './sqs-message-attributes';

/**
 * The payload-offloading format of Amazon's SQS Extended Client libraries (Java
 * `amazon-sqs-java-extended-client-lib` 2.x, Python `amazon-sqs-extended-client`), so that capability
 * teams using them read our large requests and send us large replies unchanged:
 * - the body is the JSON array `["software.amazon.payloadoffloading.PayloadS3Pointer",
 *   {"s3BucketName": "...", "s3Key": "..."}]`;
 * - the message attribute `ExtendedPayloadSize` (Number) holds the UTF-8 byte length of the real body.
 * Older clients wrote the class `com.amazon.sqs.javamessaging.MessageS3Pointer` and the attribute
 * `SQSLargePayloadSize`; both are accepted on read, never written.
 */
export const PAYLOAD_POINTER_CLASS = 'software.amazon.payloadoffloading.PayloadS3Pointer';
export const LEGACY_PAYLOAD_POINTER_CLASS = 'com.amazon.sqs.javamessaging.MessageS3Pointer';
export const PAYLOAD_SIZE_ATTRIBUTE = 'ExtendedPayloadSize';
export const LEGACY_PAYLOAD_SIZE_ATTRIBUTE = 'SQSLargePayloadSize';

/** The extended clients' default: a message (body plus attributes) above 256 KiB travels through S3. */
export const DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES = 256 * 1024;
/** SQS's own ceiling for one message; a threshold above it would send messages SQS refuses. */
export const SQS_MAX_MESSAGE_BYTES = 1024 * 1024;
/** The extended clients' ceiling for an offloaded payload (2 GB). */
export const MAX_OFFLOADED_PAYLOAD_BYTES = 2 * 1024 * 1024 * 1024;
/** SQS allows ten message attributes; offloading adds one. */
const MAX_MESSAGE_ATTRIBUTES = 10;

export interface PayloadPointer {
  readonly s3BucketName: string;
  readonly s3Key: string;
}

export interface OutgoingMessage {
  readonly body: string;
  readonly attributes: SdkMessageAttributes;
}

export interface ClaimCheckOptions {
  readonly s3: S3Client;
  /** Where offloaded bodies are written (the event-data bucket). Reads follow whatever the pointer names. */
  readonly bucket: string;
  /** Key prefix of offloaded bodies, e.g. `sqs-payloads/` (resourceNames().sqsPayloadPrefix). */
  readonly prefix: string;
  /** Messages whose body and attributes together exceed this many bytes are offloaded. @default 256 KiB */
  readonly thresholdBytes?: number;
}

/**
 * The claim check for SQS messages: `offload` before sending, `resolve` after receiving.
 *
 * Invariants:
 * - A message is measured as the extended clients measure it: UTF-8 bytes of the body plus, for every
 *   attribute, the bytes of its name, data type and value. At or under the threshold it is sent as is.
 * - Offloaded objects are content-addressed (`<prefix><sha256 of the body>`): sending the same body again
 *   (a redelivered message recomputing the same request) rewrites the same object instead of adding one.
 * - Nothing here deletes an object. One pointer may be carried by several messages at once (SQS
 *   duplicates, deferred copies, a dead-lettered copy), so the bucket's lifecycle expires the prefix, after
 *   the longest time a message can wait in a queue or DLQ.
 */
export class SqsClaimCheck {
  readonly thresholdBytes: number;

  constructor(private readonly options: ClaimCheckOptions) {
    const threshold = options.thresholdBytes ?? DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES;
    if (!Number.isInteger(threshold) || threshold < 0 || threshold > SQS_MAX_MESSAGE_BYTES) {
      throw new RangeError(
        `claim-check threshold ${threshold} must be an integer from 0 to ${SQS_MAX_MESSAGE_BYTES} bytes`,
      );
    }
    this.thresholdBytes = threshold;
  }

  /**
   * The message to send instead of `body` and `attributes`: the same, when it is small enough or already a
   * pointer; otherwise a pointer to the body stored in S3, with the size attribute added. `force` offloads
   * whatever the size (the fallback when SQS refused a message this measure let through).
   * A message no claim check can carry throws MessageUndeliverableError; S3 faults are translated.
   */
  async offload(
    body: string,
    attributes: SdkMessageAttributes = {},
    options: { readonly force?: boolean } = {},
  ): Promise<OutgoingMessage & { readonly offloaded: boolean }> {
    if (pointerIn(body) !== undefined) return { body, attributes, offloaded: false };
    if (!options.force && messageBytes(body, attributes) <= this.thresholdBytes) {
      return { body, attributes, offloaded: false };
    }
    const bodyBytes = Buffer.byteLength(body, 'utf8');
    if (bodyBytes > MAX_OFFLOADED_PAYLOAD_BYTES) {
      throw new MessageUndeliverableError(
        'MESSAGE_TOO_LARGE',
        `a message body of ${bodyBytes} bytes exceeds the ${MAX_OFFLOADED_PAYLOAD_BYTES} bytes an offloaded payload may have`,
      );
    }
    const withSize = { ...attributes, [PAYLOAD_SIZE_ATTRIBUTE]: numberAttribute(bodyBytes) };
    if (Object.keys(withSize).length > MAX_MESSAGE_ATTRIBUTES) {
      throw new MessageUndeliverableError(
        'MESSAGE_TOO_MANY_ATTRIBUTES',
        `an offloaded message needs one attribute more than the ${Object.keys(attributes).length} it has; SQS allows ${MAX_MESSAGE_ATTRIBUTES}`,
      );
    }
    const pointer: PayloadPointer = {
      s3BucketName: this.options.bucket,
      s3Key: `${this.options.prefix}${createHash('sha256').update(body, 'utf8').digest('hex')}`,
    };
    const pointerBody = JSON.stringify([PAYLOAD_POINTER_CLASS, pointer]);
    // The pointer message must fit any queue: 256 KiB (SQS's limit before 2025), or the threshold if higher.
    const pointerLimit = Math.max(this.thresholdBytes, DEFAULT_CLAIM_CHECK_THRESHOLD_BYTES);
    if (messageBytes(pointerBody, withSize) > pointerLimit) {
      throw new MessageUndeliverableError(
        'MESSAGE_ATTRIBUTES_TOO_LARGE',
        `the message attributes alone exceed the ${pointerLimit} bytes a message may have`,
      );
    }
    try {
      await this.options.s3.send(
        new PutObjectCommand({ Bucket: pointer.s3BucketName, Key: pointer.s3Key, Body: body }),
      );
    } catch (error) {
      throw translateAwsError('S3', `PutObject s3://${pointer.s3BucketName}/${pointer.s3Key}`, error);
    }
    return { body: pointerBody, attributes: withSize, offloaded: true };
  }

  /**
   * The real body of a received message: fetched from S3 when the body is a payload pointer, `body`
   * itself otherwise. `attributes` may be in the SDK's or Lambda's shape (only the names are read).
   * A message that declares an offloaded payload but carries no valid pointer, or whose object is gone,
   * can never be read: non-retryable EngineErrors. S3 faults are translated (throttling stays retryable).
   */
  async resolve(body: string, attributes?: Readonly<Record<string, unknown>>): Promise<string> {
    const pointer = pointerIn(body);
    if (pointer === undefined) {
      if (declaresOffloadedPayload(attributes)) {
        throw new EngineError(
          'CLAIM_CHECK_INVALID_POINTER',
          `the message has the ${PAYLOAD_SIZE_ATTRIBUTE} attribute but its body is not a payload pointer`,
          false,
        );
      }
      return body;
    }
    const where = `s3://${pointer.s3BucketName}/${pointer.s3Key}`;
    try {
      const response = await this.options.s3.send(
        new GetObjectCommand({ Bucket: pointer.s3BucketName, Key: pointer.s3Key }),
      );
      return (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket') {
        throw new EngineError(
          'CLAIM_CHECK_PAYLOAD_MISSING',
          `the offloaded payload ${where} does not exist (expired or deleted)`,
          false,
          { cause: error },
        );
      }
      throw translateAwsError('S3', `GetObject ${where}`, error);
    }
  }
}

/** True when the body is a payload pointer in either class name. */
export function isPayloadPointer(body: string): boolean {
  return pointerIn(body) !== undefined;
}

/** The size of a message as the extended clients (and SQS) count it. */
export function messageBytes(body: string, attributes: SdkMessageAttributes = {}): number {
  let bytes = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8');
    bytes += Buffer.byteLength(value.DataType ?? '', 'utf8');
    if (value.StringValue !== undefined) bytes += Buffer.byteLength(value.StringValue, 'utf8');
    if (value.BinaryValue !== undefined) bytes += value.BinaryValue.byteLength;
  }
  return bytes;
}

function declaresOffloadedPayload(attributes: Readonly<Record<string, unknown>> | undefined): boolean {
  return (
    attributes !== undefined &&
    (PAYLOAD_SIZE_ATTRIBUTE in attributes || LEGACY_PAYLOAD_SIZE_ATTRIBUTE in attributes)
  );
}

/**
 * The pointer a body carries, if it is one. Our own messages are JSON objects, so a two-element array
 * naming the pointer class is never mistaken for one; it is recognised even when the size attribute was
 * lost on the way (the extended clients look at the attribute only).
 */
function pointerIn(body: string): PayloadPointer | undefined {
  if (!body.trimStart().startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [cls, pointer] = parsed as [unknown, unknown];
  if (cls !== PAYLOAD_POINTER_CLASS && cls !== LEGACY_PAYLOAD_POINTER_CLASS) return undefined;
  if (typeof pointer !== 'object' || pointer === null) return undefined;
  const { s3BucketName, s3Key } = pointer as Record<string, unknown>;
  if (typeof s3BucketName !== 'string' || typeof s3Key !== 'string' || !s3BucketName || !s3Key) {
    return undefined;
  }
  return { s3BucketName, s3Key };
}
