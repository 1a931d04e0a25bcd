import { Match, type Template } from 'aws-cdk-lib/assertions';
import { INSTANCE_INDEX } from '../../orchestrator/src/aws/instance-index-layout';
import type { WorkflowEngineStack } from '../src/workflow-engine-stack';
import { synthStack } from './support/synth-stack';

let stack: WorkflowEngineStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack({ env: 'dev', owner: 'alice' }));
});

describe('instance index on the state table', () => {
  it('has the by-status, by-workflow, by-change and by-deadline indexes, keys only (by-change: with ix_workflow), on string keys', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: stack.names.stateTable,
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-status',
          KeySchema: [
            { AttributeName: 'ix_status', KeyType: 'HASH' },
            { AttributeName: 'ix_started', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'by-workflow',
          KeySchema: [
            { AttributeName: 'ix_workflow', KeyType: 'HASH' },
            { AttributeName: 'ix_started', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'by-change',
          KeySchema: [
            { AttributeName: 'ix_status', KeyType: 'HASH' },
            { AttributeName: 'ix_changed', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['ix_workflow'] },
        },
        {
          IndexName: 'by-deadline',
          KeySchema: [
            { AttributeName: 'ix_due', KeyType: 'HASH' },
            { AttributeName: 'ix_deadline', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'ix_status', AttributeType: 'S' },
        { AttributeName: 'ix_started', AttributeType: 'S' },
        { AttributeName: 'ix_workflow', AttributeType: 'S' },
        { AttributeName: 'ix_changed', AttributeType: 'S' },
        { AttributeName: 'ix_due', AttributeType: 'S' },
        { AttributeName: 'ix_deadline', AttributeType: 'S' },
      ]),
    });
  });

  it('uses the names and attributes the instance store writes and the query layer reads', () => {
    expect(INSTANCE_INDEX.byStatus).toEqual({
      name: 'by-status',
      partitionKey: 'ix_status',
      sortKey: 'ix_started',
    });
    expect(INSTANCE_INDEX.byWorkflow).toEqual({
      name: 'by-workflow',
      partitionKey: 'ix_workflow',
      sortKey: 'ix_started',
    });
    expect(INSTANCE_INDEX.byChange).toEqual({
      name: 'by-change',
      partitionKey: 'ix_status',
      sortKey: 'ix_changed',
      include: ['ix_workflow'],
    });
    expect(INSTANCE_INDEX.byDeadline).toEqual({
      name: 'by-deadline',
      partitionKey: 'ix_due',
      sortKey: 'ix_deadline',
    });
  });
});
