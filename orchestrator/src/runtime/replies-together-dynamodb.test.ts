import { describeExecutionGuarantees } from './testing/execution-guarantees.suite';
import { dynaliteSavers } from './testing/dynalite-savers';

// The execution guarantees on the real checkpointer (DynamoDB's wire protocol, dynalite) when the replies of
// one instance that are due together are applied together (`OrchestratorRuntime.handleReplies`).
jest.setTimeout(120_000);

const saver = dynaliteSavers();

describeExecutionGuarantees('DynamoDBSaver over dynalite, replies together', saver('together'), {
  repliesTogether: true,
});
