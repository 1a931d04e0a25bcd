import type { InstanceRecord } from '../runtime/instance-record';
import { runInlineWorkflow, steps } from './testing/run-inline-workflow';

/** Behaviour of `set` nodes: context keys computed by JSONata expressions, no capability call. */

async function run(yaml: string, context: Record<string, unknown> = {}): Promise<InstanceRecord> {
  return (await runInlineWorkflow(yaml, { context })).record;
}

const PRICING = `
workflow_name: pricing
workflow_id: pricing_v1
entry_point: Price
initial_context: [price, quantity, customer]
nodes:
  Price:
    type: set
    values:
      total: 'price * quantity'
      label: '"order for " & customer.name'
      price: 'price * 2'
      lines: '[1..quantity].{"line": $}'
      nothing: 'missing_key'
    next: Route
  Route:
    type: choice
    choices:
      - when: 'total > 100'
        next: Big
    default: Small
  Big:
    type: end
    output_keys: [total, label, price, lines]
  Small:
    type: end
    output_keys: [total]
`;

describe('set', () => {
  it('computes every key over the context before the step, then routes on them', async () => {
    const record = await run(PRICING, { price: 30, quantity: 4, customer: { name: 'ACME' } });
    expect(record.status).toBe('SUCCEEDED');
    expect(steps(record)).toEqual([
      ['Price', 'SUCCEEDED'],
      ['Route', 'SUCCEEDED'],
      ['Big', 'SUCCEEDED'],
    ]);
    // total uses the price from before the step, although the same step doubles price.
    expect(record.output).toEqual({
      total: 120,
      label: 'order for ACME',
      price: 60,
      lines: [{ line: 1 }, { line: 2 }, { line: 3 }, { line: 4 }],
    });
    expect(record.context).not.toHaveProperty('nothing');
  });

  it('a later route sees the computed key: a small order goes the other way', async () => {
    const record = await run(PRICING, { price: 3, quantity: 2, customer: { name: 'ACME' } });
    expect(record.output).toEqual({ total: 6 });
  });

  it('an expression that fails takes on_failure, with the error and the node named', async () => {
    const record = await run(
      `
workflow_name: failing set
workflow_id: failing_set_v1
entry_point: Compute
nodes:
  Compute:
    type: set
    values:
      total: 'price * "many"'
    next: Done
    on_failure: Broken
  Done:
    type: end
  Broken:
    type: end
    status: FAILED
`,
      { price: 3 },
    );
    expect(record.status).toBe('FAILED');
    expect(steps(record)).toEqual([
      ['Compute', 'FAILED'],
      ['Broken', 'FAILED'],
    ]);
    expect(record.error).toMatchObject({ code: 'EXPRESSION_FAILED', node: 'Compute' });
  });

  it('an expression that runs over its time limit fails the workflow when there is no on_failure', async () => {
    const record = await run(
      `
workflow_name: slow set
workflow_id: slow_set_v1
entry_point: Compute
nodes:
  Compute:
    type: set
    values:
      spin: '($f := function($n) { $n > 0 ? $f($n - 1) + $f($n - 1) : 0 }; $f(40))'
    next: Done
  Done:
    type: end
`,
    );
    expect(record.status).toBe('FAILED');
    expect(record.error?.code).toMatch(/^EXPRESSION_(TIMEOUT|FAILED)$/);
  });
});
