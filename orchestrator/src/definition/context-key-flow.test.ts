import { z } from 'zod';
import { createSyncCapabilities } from '../sync-capabilities/registry';
import { expressionParameter } from '../sync-capabilities/expression-parameter';
import { NO_SECRETS } from '../sync-capabilities/secret-source';
import { defineSyncCapability } from '../sync-capabilities/sync-capability';
import type { SyncCapabilityCatalog } from './capability-parameters';
import { formatDiagnostic } from './diagnostic';
import { validateDefinition } from './validate-definition';

/** The warnings about context keys that may be missing, as `line:col message`. */
function keyWarnings(yaml: string, syncCapabilities?: SyncCapabilityCatalog): string[] {
  const result = validateDefinition('wf.yaml', yaml, syncCapabilities ? { syncCapabilities } : {});
  expect(result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
  return result.diagnostics
    .filter((d) => d.code === 'uncertain-key')
    .map((d) => `${d.line}:${d.column} ${d.message}`);
}

const HEAD = `workflow_name: keys
workflow_id: keys_v1
entry_point: Route
`;

describe('context keys that may be missing where they are used', () => {
  it('a misspelt key in a when is a warning at the key, with a did-you-mean', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [amount]
nodes:
  Route:
    type: choice
    choices:
      - when: 'ammount > 10000 and amount < 20000'
        next: Done
    default: Done
  Done: { type: end }
`);
    expect(warnings).toEqual([
      "9:16 context key 'ammount' may be missing here: it is not in initial_context and not produced on every path to 'Route'; did you mean 'amount'?",
    ]);
  });

  it('a key produced on only one route of a choice is missing on the other', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [amount]
nodes:
  Route:
    type: choice
    choices:
      - when: 'amount > 10'
        next: Review
    default: Report
  Review:
    type: async_request
    capability_id: 'risk#review'
    request_output_keys: [verdict]
    on_response: Report
    timeout: 1h
    on_timeout: Report
  Report:
    type: async_request
    capability_id: 'risk#report'
    input_keys: [amount, verdict]
    on_response: Done
    timeout: 1h
  Done:
    type: end
    output_keys: [amount]
`);
    expect(warnings).toEqual([
      "22:26 context key 'verdict' may be missing here: it is not in initial_context and not produced on every path to 'Report'",
    ]);
  });

  it('at a join, the keys of every branch are there; a failure route carries none of them', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [id]
nodes:
  Route:
    type: parallel
    branches: [Left, Right]
    join: Joined
    on_failure: Failed
  Left:
    type: async_request
    capability_id: 'side#left'
    request_output_keys: [left]
    on_response: Joined
    timeout: 1h
  Right:
    type: async_request
    capability_id: 'side#right'
    request_output_keys: [right]
    on_response: Joined
    timeout: 1h
  Joined:
    type: end
    output_keys: [id, left, right]
  Failed:
    type: end
    status: FAILED
    output_keys: [left]
`);
    expect(warnings).toEqual([
      "29:19 context key 'left' may be missing here: it is not in initial_context and not produced on every path to 'Failed'",
    ]);
  });

  it("a shared end reached from a branch has that branch's keys, not its siblings' (they may have been stopped)", () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [id]
nodes:
  Route:
    type: parallel
    branches: [Left, Right]
    join: Joined
  Left:
    type: async_request
    capability_id: 'side#left'
    request_output_keys: [left]
    on_response: Check
    timeout: 1h
    on_timeout: Stopped
  Check:
    type: choice
    choices: [{ when: 'left = "stop"', next: Stopped }]
    default: Joined
  Right:
    type: async_request
    capability_id: 'side#right'
    request_output_keys: [right]
    on_response: Joined
    timeout: 1h
  Joined:
    type: end
    output_keys: [id, left, right]
  Stopped:
    type: end
    output_keys: [id, left, right]
`);
    // 'left' comes with the choice's route but not with the timeout's; 'right' with neither.
    expect(warnings).toEqual([
      "32:23 context key 'left' may be missing here: it is not in initial_context and not produced on every path to 'Stopped'",
      "32:29 context key 'right' may be missing here: it is not in initial_context and not produced on every path to 'Stopped'",
    ]);
  });

  it('a loop keeps what it produced before coming back; the first pass decides', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [id]
nodes:
  Route:
    type: async_request
    capability_id: 'poll#status'
    request_output_keys: [state]
    on_response: Check
    timeout: 1h
  Check:
    type: choice
    choices:
      - when: 'state = "DONE" and attempts > 3'
        next: Done
    default: Route
  Done: { type: end }
`);
    expect(warnings).toEqual([
      "15:35 context key 'attempts' may be missing here: it is not in initial_context and not produced on every path to 'Check'",
    ]);
  });

  it('past a step that declares no outputs, or without initial_context, nothing is reported', () => {
    const undeclared = keyWarnings(`${HEAD}initial_context: [id]
nodes:
  Route:
    type: async_request
    capability_id: 'any#thing'
    on_response: Check
    timeout: 1h
  Check:
    type: choice
    choices:
      - when: 'whatever = 1'
        next: Done
    default: Done
  Done: { type: end, output_keys: [anything] }
`);
    expect(undeclared).toEqual([]);
    const noInitial = keyWarnings(`${HEAD}nodes:
  Route:
    type: choice
    choices:
      - when: 'amount > 1'
        next: Done
    default: Done
  Done: { type: end }
`);
    expect(noInitial).toEqual([]);
  });

  it('a key read through $ or $$ (the whole context) is checked like a bare one, at the key', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [amount, order]
nodes:
  Route:
    type: choice
    choices:
      - when: '$.ammount > 5 and $$.order.total > 1 and $sum($.ordr.lines) > 0 and $.amount > 1'
        next: Done
    default: Done
  Done: { type: end }
`);
    expect(warnings).toEqual([
      "9:18 context key 'ammount' may be missing here: it is not in initial_context and not produced on every path to 'Route'; did you mean 'amount'?",
      "9:64 context key 'ordr' may be missing here: it is not in initial_context and not produced on every path to 'Route'; did you mean 'order'?",
    ]);
  });

  it('a key in a block scalar (| or >) is placed on its own line and column', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [amount, order]
nodes:
  Route:
    type: choice
    choices:
      - when: |
          amount > 5 and
            ammount < 10
        next: Done
      - when: >-  # folded
          order.total > 1 and

          ordr.x = 2
        next: Done
    default: Done
  Done: { type: end }
`);
    expect(warnings.map((w) => w.replace(/ may be missing .*/, ''))).toEqual([
      "11:13 context key 'ammount'",
      "16:11 context key 'ordr'",
    ]);
  });

  it('keys inside paths, predicates and lambdas are not context keys; True is a hint for true', () => {
    const warnings = keyWarnings(`${HEAD}initial_context: [order, flag]
nodes:
  Route:
    type: choice
    choices:
      - when: 'order.total > 10 and $count(order.lines[qty > 1]) > 0 and $map(order.lines, function($l) { $l.sku }) and flag = True'
        next: Done
    default: Done
  Done: { type: end }
`);
    expect(warnings).toEqual([
      expect.stringMatching(
        /context key 'True' may be missing here: .*; JSONata's literals are true, false and null$/,
      ),
    ]);
  });

  it("a sync_call's http with: url, query, text headers and body are read as expressions; a secret header is not", () => {
    const warnings = keyWarnings(`workflow_name: keys
workflow_id: keys_v1
entry_point: Notify
initial_context: [shipmentId, amount]
nodes:
  Notify:
    type: sync_call
    capability_id: http
    with:
      method: POST
      url: "'https://hooks.example.com/' & shipmentid"
      query:
        large: 'ammount > 10000'
        ok: 'amount > 0'
      headers:
        X-Ref: 'shipmentId & refrence'
        Authorization: { secret: 'hooks/token', prefix: 'Bearer ' }
      body: '{"id": shipmentId, "total": totl}'
    output_keys: [status]
    on_success: Done
  Done: { type: end }
`);
    expect(warnings).toEqual([
      "11:44 context key 'shipmentid' may be missing here: it is not in initial_context and not produced on every path to 'Notify'; did you mean 'shipmentId'?",
      "13:17 context key 'ammount' may be missing here: it is not in initial_context and not produced on every path to 'Notify'; did you mean 'amount'?",
      "16:30 context key 'refrence' may be missing here: it is not in initial_context and not produced on every path to 'Notify'",
      "18:42 context key 'totl' may be missing here: it is not in initial_context and not produced on every path to 'Notify'",
    ]);
  });

  it("a team's capability gets the same analysis by declaring its expression fields", () => {
    const quote = defineSyncCapability<{ lane: string; weight: number }>({
      id: 'rate-quote',
      parameters: z.strictObject({ lane: expressionParameter, weight: z.number() }),
      expressionFields: ['lane'],
      create: () => () => Promise.resolve({ rate: 1 }),
    });
    const undeclared = defineSyncCapability<{ lane: string }>({
      id: 'rate-quote-legacy',
      parameters: z.strictObject({ lane: expressionParameter }),
      create: () => () => Promise.resolve({ rate: 1 }),
    });
    const catalog = createSyncCapabilities({ secrets: NO_SECRETS, fetch }, [quote, undeclared]);
    const node = (id: string, weight: string) => `workflow_name: keys
workflow_id: keys_v1
entry_point: Quote
initial_context: [origin, destination]
nodes:
  Quote:
    type: sync_call
    capability_id: ${id}
    with: { lane: "orign & '-' & destination"${weight} }
    output_keys: [rate]
    on_success: Done
  Done: { type: end }
`;
    expect(keyWarnings(node('rate-quote', ', weight: 5'), catalog)).toEqual([
      "9:20 context key 'orign' may be missing here: it is not in initial_context and not produced on every path to 'Quote'; did you mean 'origin'?",
    ]);
    // A capability that declares no expression fields is not read: nothing is guessed.
    expect(keyWarnings(node('rate-quote-legacy', ''), catalog)).toEqual([]);
  });

  it('expression fields are typed by the parameters: a misspelt one does not compile', () => {
    const declare = () =>
      defineSyncCapability<{ lane: string }>({
        id: 'typed',
        parameters: z.strictObject({ lane: expressionParameter }),
        // @ts-expect-error 'lnae' is no field of the parameters
        expressionFields: ['lnae'],
        create: () => () => Promise.resolve({}),
      });
    expect(declare().expressionFields).toEqual(['lnae']);
  });
});
