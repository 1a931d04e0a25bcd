import type { AsyncRequestMessage } from '../runtime/messages';
import type { CapabilityDispatcher, DispatchReport } from '../runtime/ports';
import { EngineSteps } from './engine-steps';
import { ReplyBridge } from './reply-bridge';
import { RequestDispatch } from './request-dispatch';
import type { RequestTaskPayload } from './step-payloads';
import { MemoryTaskTokenStore } from './task-token-store';

/**
 * An async_request's `input` and `result` mappings in Step Functions mode: the request Lambda builds the
 * input, the reply bridge hands the whole reply to the task, `map_reply` checks and maps it. The parity
 * tests run these on a state machine; here, what a scripted mock cannot make happen (a reply missing an
 * expected key: the mocks fill every expected key in).
 */

const payload: RequestTaskPayload = {
  task_token: 'token-1',
  instance_id: 'i-1',
  workflow_id: 'quote_v1',
  node: 'Quote',
  capability_id: 'pricing#quote',
  input: '{"id": shipmentId}',
  expected_output_keys: ['price'],
  whole_reply: true,
  context: { shipmentId: 'SHP-1', secret: 's' },
};

function dispatchTo(sent: AsyncRequestMessage[], tokens: MemoryTaskTokenStore): RequestDispatch {
  const dispatcher: CapabilityDispatcher = {
    dispatch: (messages) => {
      sent.push(...(messages as AsyncRequestMessage[]));
      return Promise.resolve({ undeliverable: [] } as unknown as DispatchReport);
    },
  };
  return new RequestDispatch({
    tokens,
    dispatcher,
    clock: { now: () => new Date('2026-01-01T00:00:00Z') } as never,
    replyTo: 'local://reply',
  });
}

describe('async_request mappings in Step Functions mode', () => {
  it("sends the input expression's object, and the task gets the reply's whole outputs, unchecked", async () => {
    const tokens = new MemoryTaskTokenStore();
    const sent: AsyncRequestMessage[] = [];
    const request = await dispatchTo(sent, tokens).handle(payload);
    expect(sent).toEqual([request]);
    expect(request).toMatchObject({ input: { id: 'SHP-1' }, expected_output_keys: ['price'] });
    const completed: unknown[] = [];
    const bridge = new ReplyBridge({
      tokens,
      completion: {
        succeed: (_token, output) => (completed.push(output), Promise.resolve('completed')),
        fail: () => Promise.reject(new Error('no failure expected')),
      },
    });
    const outcome = await bridge.handle({
      type: 'ASYNC_RESP',
      instance_id: 'i-1',
      request_id: request.request_id,
      status: 'SUCCESS',
      outputs: { currency: 'EUR' },
    });
    // No context merged, no expected key checked: map_reply does both next, as the engine does.
    expect([outcome, completed]).toEqual(['applied', [{ currency: 'EUR' }]]);
  });

  it('map_reply fails a reply without an expected key with MISSING_OUTPUT_KEYS, mapping nothing', async () => {
    const steps = new EngineSteps({});
    const run = steps.run({
      action: 'map_reply',
      node: 'Quote',
      expected_output_keys: ['price'],
      result: { total: 'price * 2' },
      state: { context: { a: 1 }, last_error: null, reply: { currency: 'EUR' } },
    });
    await expect(run).rejects.toMatchObject({
      name: 'MISSING_OUTPUT_KEYS',
      error: { code: 'MISSING_OUTPUT_KEYS', message: "the reply lacks 'price'", node: 'Quote' },
    });
  });
});
