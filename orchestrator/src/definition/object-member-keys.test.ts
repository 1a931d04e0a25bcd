import { runInlineWorkflow, steps } from '../graph/testing/run-inline-workflow';
import { formatDiagnostic } from './diagnostic';
import { validateDefinition } from './validate-definition';

/**
 * Context keys named like what every JavaScript object has: `constructor` and `toString` are keys like any
 * other (present only when the context holds them), and `__proto__` is refused wherever a definition names
 * a key, since an object reads it as its prototype and the key would vanish.
 */

const MEMBERS = `workflow_name: members
workflow_id: members_v1
entry_point: Calc
initial_context: [constructor, toString]
nodes:
  Calc: { type: set, values: { valueOf: '"v"' }, next: Check }
  Check:
    type: sync_call
    capability_id: core-process-response
    output_keys: [constructor, toString, valueOf]
    on_success: Done
  Done: { type: end, output_keys: [constructor, toString, valueOf] }
`;

describe('context keys named like object members', () => {
  it('a START without `constructor` and `toString` FAILS MISSING_CONTEXT naming both, sending nothing', async () => {
    const { sim, record } = await runInlineWorkflow(MEMBERS, { context: {} });
    expect(record.status).toBe('FAILED');
    expect(record.error).toEqual({
      code: 'MISSING_CONTEXT',
      message: 'the start context lacks required keys constructor, toString (initial_context)',
    });
    expect(record.history).toEqual([]);
    expect(sim.dispatcher.sent).toEqual([]);
  });

  it('with them, they are ordinary keys: set, checked by core-process-response and output', async () => {
    const { record } = await runInlineWorkflow(MEMBERS, { context: { constructor: 'c', toString: 't' } });
    expect(steps(record)).toEqual([
      ['Calc', 'SUCCEEDED'],
      ['Check', 'SUCCEEDED'],
      ['Done', 'SUCCEEDED'],
    ]);
    expect(record.output).toEqual({ constructor: 'c', toString: 't', valueOf: 'v' });
  });

  it('core-process-response fails MISSING_RESPONSE_KEYS for a key the context only inherits', async () => {
    const withoutValueOf = MEMBERS.replace(`values: { valueOf: '"v"' }`, `values: { other: '"o"' }`);
    const { record } = await runInlineWorkflow(withoutValueOf, {
      context: { constructor: 'c', toString: 't' },
    });
    expect(record.status).toBe('FAILED');
    expect(record.error).toMatchObject({ code: 'MISSING_RESPONSE_KEYS', node: 'Check' });
    expect(record.error?.message).toContain('valueOf');
  });

  it('a set whose only key is `__proto__` gets that error alone, not also "must set at least one key"', () => {
    const text = MEMBERS.replace(`values: { valueOf: '"v"' }`, `values: { __proto__: '"v"' }`);
    const errors = validateDefinition('m.yaml', text).diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.path)).toEqual(['nodes.Calc.values.__proto__']);
  });

  it('`__proto__` is refused where a definition names a key, at the key, each once', () => {
    const text = `workflow_name: proto
workflow_id: proto_v1
entry_point: Calc
initial_context: [__proto__]
nodes:
  Calc: { type: set, values: { __proto__: '1', kept: '2' }, next: Ask }
  Ask:
    type: async_request
    capability_id: 'billing#quote'
    request_output_keys: [total]
    result: { __proto__: total }
    on_response: Check
    timeout: 1h
  Check:
    type: sync_call
    capability_id: core-process-response
    with: { __proto__: 1 }
    output_keys: [total]
    on_success: Done
  Done: { type: end, output_keys: [__proto__, total] }
`;
    const result = validateDefinition('p.yaml', text);
    expect(result.definition).toBeUndefined();
    const why =
      "'__proto__' is not valid: it names an object's prototype in JavaScript, so the key would vanish; rename it";
    expect(result.diagnostics.filter((d) => d.message.includes('__proto__')).map(formatDiagnostic)).toEqual([
      `p.yaml:4:19: error: initial_context.0: ${why}`,
      `p.yaml:6:32: error: nodes.Calc.values.__proto__: ${why}`,
      `p.yaml:11:15: error: nodes.Ask.result.__proto__: ${why}`,
      `p.yaml:17:13: error: nodes.Check.with.__proto__: ${why}`,
      `p.yaml:20:36: error: nodes.Done.output_keys.0: ${why}`,
    ]);
  });
});
