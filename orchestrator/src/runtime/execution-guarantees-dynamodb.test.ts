import { describeExecutionGuarantees } from './testing/execution-guarantees.suite';
import { describeFencingGuarantees } from './testing/fencing-guarantees.suite';
import { dynaliteSavers } from './testing/dynalite-savers';

// The same guarantees on the real checkpointer over DynamoDB's wire protocol (dynalite). The redrive and
// shared-end suites have files of their own, so the test runner spreads the slow suites over its workers.
jest.setTimeout(120_000);

const saver = dynaliteSavers();

describeExecutionGuarantees('DynamoDBSaver over dynalite', saver('guarantees'));

describeFencingGuarantees('DynamoDBSaver over dynalite', saver('fencing'));
