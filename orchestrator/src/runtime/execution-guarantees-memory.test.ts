import { MemorySaver } from '@langchain/langgraph';
import { describeExecutionGuarantees } from './testing/execution-guarantees.suite';

describeExecutionGuarantees('MemorySaver', () => new MemorySaver());
