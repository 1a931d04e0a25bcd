import { MemorySaver } from '@langchain/langgraph';
import { describeRedriveGuarantees } from './testing/redrive-guarantees.suite';

describeRedriveGuarantees('MemorySaver', () => new MemorySaver());
