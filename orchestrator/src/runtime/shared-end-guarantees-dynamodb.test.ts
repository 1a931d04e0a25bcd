import { describeSharedEndGuarantees } from './testing/shared-end-guarantees.suite';
import { dynaliteSavers } from './testing/dynalite-savers';

// Shared end nodes' guarantees on the real checkpointer over dynalite.
jest.setTimeout(120_000);

describeSharedEndGuarantees('DynamoDBSaver over dynalite', dynaliteSavers()('shared-end'));
