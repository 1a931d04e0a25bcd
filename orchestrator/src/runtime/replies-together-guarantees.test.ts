import { MemorySaver } from '@langchain/langgraph';
import { describeExecutionGuarantees } from './testing/execution-guarantees.suite';
import { describeRedriveGuarantees } from './testing/redrive-guarantees.suite';
import { describeSharedEndGuarantees } from './testing/shared-end-guarantees.suite';

// The same guarantees when the replies of one instance that are due together are applied together, as the
// SQS batch processor hands them over (`OrchestratorRuntime.handleReplies`).
const together = { repliesTogether: true };

describeExecutionGuarantees('MemorySaver, replies together', () => new MemorySaver(), together);

describeRedriveGuarantees('MemorySaver, replies together', () => new MemorySaver(), together);

describeSharedEndGuarantees('MemorySaver, replies together', () => new MemorySaver(), together);
