import type { BatchWriteItemCommandInput, DynamoDBClient, WriteRequest } from '@aws-sdk/client-dynamodb';

/** Thrown in place of a write that the simulated crash prevented. */
export class SimulatedCrash extends Error {
  constructor(readonly itemsWritten: number) {
    super(`simulated crash after ${itemsWritten} item writes`);
    this.name = 'SimulatedCrash';
  }
}

export interface WriteFaultInjector {
  /** Items written (put or deleted) through the client since the last `reset`. */
  readonly itemsWritten: number;
  /** From now on, let `items` more item writes through, then crash; `undefined` lets everything through. */
  crashAfter(items: number | undefined): void;
  reset(): void;
}

const SINGLE_ITEM_WRITES = new Set(['PutItemCommand', 'DeleteItemCommand', 'UpdateItemCommand']);

/**
 * Middleware on a real SDK client that simulates a process dying in the middle of a write sequence. It
 * counts writes per item: a batch write the budget only partly covers is cut to its first items, which
 * are sent (DynamoDB batches are not atomic either), and then the crash is thrown. Nothing is mocked: every
 * write that the budget allows reaches the table.
 */
export function injectWriteFaults(client: DynamoDBClient): WriteFaultInjector {
  let written = 0;
  let budget: number | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      if (SINGLE_ITEM_WRITES.has(command)) {
        if (budget !== undefined && budget <= 0) throw new SimulatedCrash(written);
        const result = await next(args);
        written += 1;
        if (budget !== undefined) budget -= 1;
        return result;
      }
      if (command === 'BatchWriteItemCommand') {
        const input = args.input as BatchWriteItemCommandInput;
        const [table, requests] = Object.entries(input.RequestItems ?? {})[0] ?? ['', [] as WriteRequest[]];
        if (budget === undefined || requests.length <= budget) {
          const result = await next(args);
          written += requests.length;
          if (budget !== undefined) budget -= requests.length;
          return result;
        }
        if (budget > 0) {
          const allowed = requests.slice(0, budget);
          await next({ ...args, input: { ...input, RequestItems: { [table]: allowed } } });
          written += allowed.length;
          budget = 0;
        }
        throw new SimulatedCrash(written);
      }
      return next(args);
    },
    { step: 'initialize', name: 'writeFaultInjector' },
  );
  return {
    get itemsWritten() {
      return written;
    },
    crashAfter(items) {
      budget = items;
    },
    reset() {
      written = 0;
      budget = undefined;
    },
  };
}
