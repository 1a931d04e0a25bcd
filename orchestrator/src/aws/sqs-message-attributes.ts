import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { SQSMessageAttribute, SQSMessageAttributes } from 'aws-lambda';

/** Message attributes as the SDK sends and receives them. */
export type SdkMessageAttributes = Record<string, MessageAttributeValue>;

/**
 * SDK attributes as Lambda's SQS event source hands them to a function: camel-case fields, binary values
 * base64-encoded, and the (reserved, always empty) list fields present.
 */
export function toLambdaAttributes(attributes: SdkMessageAttributes | undefined): SQSMessageAttributes {
  const out: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const attribute: SQSMessageAttribute = {
      dataType: value.DataType ?? 'String',
      stringListValues: [],
      binaryListValues: [],
    };
    if (value.StringValue !== undefined) attribute.stringValue = value.StringValue;
    if (value.BinaryValue !== undefined)
      attribute.binaryValue = Buffer.from(value.BinaryValue).toString('base64');
    out[name] = attribute;
  }
  return out;
}

/** The inverse of toLambdaAttributes: what to send to carry a received record's attributes unchanged. */
export function toSdkAttributes(attributes: SQSMessageAttributes | undefined): SdkMessageAttributes {
  const out: SdkMessageAttributes = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const attribute: MessageAttributeValue = { DataType: value.dataType };
    if (value.stringValue !== undefined) attribute.StringValue = value.stringValue;
    if (value.binaryValue !== undefined) attribute.BinaryValue = Buffer.from(value.binaryValue, 'base64');
    out[name] = attribute;
  }
  return out;
}

/** A String attribute. */
export const stringAttribute = (value: string): MessageAttributeValue => ({
  DataType: 'String',
  StringValue: value,
});

/** A Number attribute (SQS carries numbers as decimal strings). */
export const numberAttribute = (value: number): MessageAttributeValue => ({
  DataType: 'Number',
  StringValue: String(value),
});
