import type { SyncCapability } from '../sync-capabilities/registry';
import { runInlineWorkflow, steps } from './testing/run-inline-workflow';

/** `input` and `result`: capability contracts need not match the context's key names. */

const SCREEN = (input: string, result = "{ risk: 'score', band: 'details.band' }") => `
workflow_name: screen
workflow_id: screen_v1
entry_point: Screen
initial_context: [order]
nodes:
  Screen:
    type: async_request
    capability_id: 'risk#screening'
    input: '${input}'
    request_output_keys: [score, details]
    result: ${result}
    on_response: Done
    on_failure: Broken
    timeout: 1h
  Done: { type: end, output_keys: [risk, band] }
  Broken: { type: end, status: FAILED }
`;

const ORDER = { id: 'O-1', customer: { name: 'ACME' }, lines: [{ sku: 'A' }, { sku: 'B' }] };

describe('input and result mapping', () => {
  it('input builds the request from the context; result picks the reply outputs into context keys', async () => {
    const { sim, record } = await runInlineWorkflow(
      SCREEN('{"orderId": order.id, "party": order.customer.name, "skus": order.lines.sku}'),
      {
        context: { order: ORDER },
        mocks: { 'risk#screening': { outputs: { score: 0.7, details: { band: 'HIGH', raw: 'x' } } } },
      },
    );
    expect(sim.dispatcher.sent.map((r) => r.input)).toEqual([
      { orderId: 'O-1', party: 'ACME', skus: ['A', 'B'] },
    ]);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.output).toEqual({ risk: 0.7, band: 'HIGH' });
    // Only the mapped keys enter the context: the reply's own names do not.
    expect(Object.keys(record.context).sort()).toEqual(['band', 'order', 'risk']);
  });

  it('an input that is not an object fails the step before anything is sent', async () => {
    const { sim, record } = await runInlineWorkflow(SCREEN('order.lines'), {
      context: { order: ORDER },
    });
    expect(sim.dispatcher.sent).toEqual([]);
    expect(record.status).toBe('FAILED');
    expect(steps(record)).toEqual([
      ['Screen', 'FAILED'],
      ['Broken', 'FAILED'],
    ]);
    expect(record.error).toMatchObject({ code: 'INVALID_INPUT', node: 'Screen' });
    expect(record.error?.message).toMatch(/^input gave \[\{"sku":"A"\},\{"sku":"B"\}\], not an object$/);
    expect(record.waits).toEqual([]);
  });

  it('a result expression that fails takes on_failure with EXPRESSION_FAILED', async () => {
    const { record } = await runInlineWorkflow(SCREEN('{"id": order.id}', `{ risk: 'score * "high"' }`), {
      context: { order: ORDER },
      mocks: { 'risk#screening': { outputs: { score: 0.7, details: {} } } },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ code: 'EXPRESSION_FAILED', node: 'Screen' });
    expect(record.error?.message).toMatch(/^result: expression failed/);
  });

  it('a sync_call result maps its outputs; a failing mapping is not retried as the call would be', async () => {
    let calls = 0;
    const quote: SyncCapability = () => {
      calls += 1;
      return Promise.resolve({ amount: 120, currency: 'EUR' });
    };
    const yaml = (result: string) => `
workflow_name: quote
workflow_id: quote_v1
entry_point: Quote
nodes:
  Quote:
    type: sync_call
    capability_id: fx-quote
    result: ${result}
    retry: { max_attempts: 3, interval: 1s }
    on_success: Done
    on_failure: Broken
  Done: { type: end, output_keys: [price] }
  Broken: { type: end, status: FAILED }
`;
    const ok = await runInlineWorkflow(yaml(`{ price: 'amount & " " & currency' }`), {
      syncCapabilities: { 'fx-quote': quote },
    });
    expect(ok.record.output).toEqual({ price: '120 EUR' });
    expect(ok.record.context).toEqual({ price: '120 EUR' });

    calls = 0;
    const bad = await runInlineWorkflow(yaml(`{ price: 'amount * currency' }`), {
      syncCapabilities: { 'fx-quote': quote },
    });
    expect(bad.record.error).toMatchObject({ code: 'EXPRESSION_FAILED', node: 'Quote' });
    expect(calls).toBe(1);
  });
});
