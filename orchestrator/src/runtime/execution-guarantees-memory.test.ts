import { MemorySaver } from '@langchain/langgraph';
import { describeExecutionGuarantees } from './testing/execution-guarantees.suite';
import { describeFencingGuarantees } from './testing/fencing-guarantees.suite';
import { describeRedriveGuarantees } from './testing/redrive-guarantees.suite';
import { describeSharedEndGuarantees } from './testing/shared-end-guarantees.suite';

describeExecutionGuarantees('MemorySaver', () => new MemorySaver());

describeFencingGuarantees('MemorySaver', () => new MemorySaver());

describeRedriveGuarantees('MemorySaver', () => new MemorySaver());

describeSharedEndGuarantees('MemorySaver', () => new MemorySaver());
