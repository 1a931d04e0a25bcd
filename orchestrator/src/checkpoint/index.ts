export { DynamoDBSaver, type DynamoDBSaverOptions, type DynamoDBSaverTtl } from './dynamodb-saver';
export { createCheckpointTable, type CreateCheckpointTableOptions } from './create-checkpoint-table';
export {
  CheckpointConfigError,
  CheckpointCorruptError,
  CheckpointError,
  CheckpointItemTooLargeError,
  CheckpointStoreError,
  CheckpointWriteConflictError,
} from './errors';
export { MAX_ITEM_BYTES, itemSizeBytes, writeUnits } from './item-size';
