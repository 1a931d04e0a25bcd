import { MemorySaver } from '@langchain/langgraph';
import { describeRedriveGuarantees } from './testing/redrive-guarantees.suite';
import { describeSharedEndGuarantees } from './testing/shared-end-guarantees.suite';

describeRedriveGuarantees('MemorySaver', () => new MemorySaver());

describeSharedEndGuarantees('MemorySaver', () => new MemorySaver());
