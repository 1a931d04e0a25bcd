import { describeRedriveGuarantees } from './testing/redrive-guarantees.suite';
import { dynaliteSavers } from './testing/dynalite-savers';

// The redrive's guarantees (it forks a checkpoint) on the real checkpointer over dynalite.
jest.setTimeout(120_000);

describeRedriveGuarantees('DynamoDBSaver over dynalite', dynaliteSavers()('redrive'));
