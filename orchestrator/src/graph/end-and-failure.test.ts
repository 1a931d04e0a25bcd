import { builtinSyncCapabilities, SyncCapabilityError } from '../sync-capabilities/registry';
import {
  recordOf,
  requestId,
  runInlineWorkflow,
  sendSuccessReply,
  steps,
  type InlineWorkflowOptions,
} from './testing/run-inline-workflow';

/** Behaviour of `end` nodes and of failures that have no route (the workflow fails). */

/** The built-ins and `credit-check`, which answers when the context has `creditOk: true` and refuses otherwise. */
const syncCapabilities = {
  ...builtinSyncCapabilities,
  'credit-check': ({ context: c }: { context: Readonly<Record<string, unknown>> }) =>
    c.creditOk === true
      ? Promise.resolve({ credit: 'OK' })
      : Promise.reject(new SyncCapabilityError('credit refused', 'CREDIT_REFUSED')),
};

const run = (yaml: string, options: InlineWorkflowOptions) =>
  runInlineWorkflow(yaml, { syncCapabilities, ...options });

const ORDER = `
workflow_name: order
workflow_id: order_v1
entry_point: Quote
nodes:
  Quote:
    type: async_request
    capability_id: 'pricing#quote'
    request_output_keys: [price, currency]
    on_response: Credit
    on_failure: Retry_Quote
    timeout: 1h
  Retry_Quote:
    type: async_request
    capability_id: 'pricing#fallback'
    request_output_keys: [price, currency]
    on_response: Credit
    on_failure: Rejected
    timeout: 1h
  Credit:
    type: sync_call
    capability_id: credit-check
    output_keys: [credit]
    on_success: Decide
    on_failure: Rejected
  Decide:
    type: choice
    choices:
      - when: 'price > 1000'
        next: Too_Expensive
    default: Accepted
  Accepted:
    type: end
    output_keys: [orderId, price, currency, credit, notThere]
  Too_Expensive:
    type: end
    status: FAILED
    output_keys: [price]
  Rejected:
    type: end
    status: FAILED
`;

describe('end', () => {
  it('SUCCEEDED by default; output_keys picks the listed keys present in the context into output', async () => {
    const { sim, record } = await run(ORDER, {
      context: { orderId: 'O-1', creditOk: true, internal: 'x' },
      mocks: { 'pricing#quote': { outputs: { price: 10, currency: 'EUR' } } },
    });
    expect(record.status).toBe('SUCCEEDED');
    expect(record.error).toBeNull();
    expect(record.output).toEqual({ orderId: 'O-1', price: 10, currency: 'EUR', credit: 'OK' });
    expect(record.waits).toEqual([]);
    expect(steps(record).at(-1)).toEqual(['Accepted', 'SUCCEEDED']);
    expect(sim.metrics.total('WorkflowsSucceeded')).toBe(1);
    expect(sim.metrics.total('WorkflowsFailed')).toBe(0);
  });

  it('an end without output_keys gives no output', async () => {
    const { record } = await run(ORDER, {
      context: { creditOk: false },
      mocks: { 'pricing#quote': { outputs: { price: 10, currency: 'EUR' } } },
    });
    expect(record.status).toBe('FAILED');
    expect(record.output).toBeUndefined();
  });

  it('status FAILED fails the instance with the last error', async () => {
    const { sim, record } = await run(ORDER, {
      context: { creditOk: false },
      mocks: { 'pricing#quote': { outputs: { price: 10, currency: 'EUR' } } },
    });
    expect(record.status).toBe('FAILED');
    expect(steps(record)).toEqual([
      ['Quote', 'SUCCEEDED'],
      ['Credit', 'FAILED'],
      ['Rejected', 'FAILED'],
    ]);
    expect(record.error).toMatchObject({ code: 'CREDIT_REFUSED', node: 'Credit' });
    expect(record.error?.message).toContain('credit refused');
    expect(sim.metrics.total('WorkflowsFailed')).toBe(1);
    expect(sim.metrics.total('WorkflowsSucceeded')).toBe(0);
  });

  it('the error is the last one: a later failure replaces an earlier handled one', async () => {
    const { record } = await run(ORDER, {
      context: { creditOk: true },
      mocks: {
        'pricing#quote': { status: 'FAILURE', error: { code: 'QUOTE_DOWN', message: 'first' } },
        'pricing#fallback': { status: 'FAILURE', error: { code: 'FALLBACK_DOWN', message: 'second' } },
      },
    });
    expect(record.status).toBe('FAILED');
    expect(steps(record)).toEqual([
      ['Quote', 'FAILED'],
      ['Retry_Quote', 'FAILED'],
      ['Rejected', 'FAILED'],
    ]);
    expect(record.error).toEqual({ code: 'FALLBACK_DOWN', message: 'second', node: 'Retry_Quote' });
  });

  it('a FAILED end reached by a choice, with no error before it, still reports an error naming it', async () => {
    const { record } = await run(ORDER, {
      context: { creditOk: true },
      mocks: { 'pricing#quote': { outputs: { price: 5000, currency: 'EUR' } } },
    });
    expect(record.status).toBe('FAILED');
    expect(steps(record).at(-1)).toEqual(['Too_Expensive', 'FAILED']);
    expect(record.error).toMatchObject({ node: 'Too_Expensive', code: expect.any(String) as string });
    expect(record.output).toEqual({ price: 5000 });
  });

  it('after the end nothing more runs or is sent, and later messages change nothing', async () => {
    const { sim, record } = await run(ORDER, {
      context: { creditOk: true },
      mocks: { 'pricing#quote': { outputs: { price: 1, currency: 'EUR' } } },
    });
    expect(sim.dispatcher.sent.map((r) => r.node)).toEqual(['Quote']);
    sendSuccessReply(sim, requestId('Quote'), { price: 99, currency: 'USD' });
    await sim.drain();
    const after = await recordOf(sim);
    expect(after.status).toBe('SUCCEEDED');
    expect(after.history).toEqual(record.history);
    expect(after.context).toEqual(record.context);
    expect(sim.metrics.total('DuplicateReplies')).toBe(1);
  });

  it('a workflow that is a single end node runs to SUCCEEDED', async () => {
    const { sim, record } = await run(
      `
workflow_name: noop
workflow_id: noop_v1
entry_point: Done
nodes:
  Done:
    type: end
    output_keys: [orderId]
`,
      { context: { orderId: 'O-1' } },
    );
    expect(sim.deadLetters.map((d) => d.reason)).toEqual([]);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ orderId: 'O-1' });
    expect(steps(record)).toEqual([['Done', 'SUCCEEDED']]);
  });
});

describe('failures without a route', () => {
  const NO_ROUTE = `
workflow_name: strict
workflow_id: strict_v1
entry_point: Quote
nodes:
  Quote:
    type: async_request
    capability_id: 'pricing#quote'
    request_output_keys: [price]
    on_response: Credit
    timeout: 1h
  Credit:
    type: sync_call
    capability_id: credit-check
    on_success: Done
  Done:
    type: end
`;

  it('a failing async reply fails the instance with its error; nothing after it runs', async () => {
    const { sim, record } = await run(NO_ROUTE, {
      context: { creditOk: true },
      mocks: {
        'pricing#quote': { status: 'FAILURE', error: { code: 'NO_PRICE', message: 'unpriceable' } },
      },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({ code: 'NO_PRICE', message: 'unpriceable', node: 'Quote' });
    expect(steps(record)).toEqual([['Quote', 'FAILED']]);
    expect(record.waits).toEqual([]);
    expect(sim.metrics.total('WorkflowsFailed')).toBe(1);
  });

  it('a failing sync call fails the instance with its error; internal nodes stay out of the history', async () => {
    const { record } = await run(NO_ROUTE, { context: { creditOk: false } });
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ code: 'CREDIT_REFUSED', node: 'Credit' });
    expect(steps(record)).toEqual([
      ['Quote', 'SUCCEEDED'],
      ['Credit', 'FAILED'],
    ]);
  });
});
