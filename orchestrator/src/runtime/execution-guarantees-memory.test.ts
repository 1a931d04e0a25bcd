import { MemorySaver } from '@langchain/langgraph';
import { describeExecutionGuarantees } from './testing/execution-guarantees.suite';
import { describeFencingGuarantees } from './testing/fencing-guarantees.suite';

// The redrive and shared-end suites have files of their own (the runner spreads them over its workers).
describeExecutionGuarantees('MemorySaver', () => new MemorySaver());

describeFencingGuarantees('MemorySaver', () => new MemorySaver());
