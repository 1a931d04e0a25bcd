import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import type { InboundMessage } from './messages';
import { simulatedRequestId } from './memory/simulation-request-ids';
import { WorkflowSimulation } from './memory/workflow-simulation';
import { DEFAULT_VALUE_LIMITS, valueLimitsViolation, type ValueLimits } from './value-limits';

/**
 * Issue 15, point 5: hostile input from callers and capabilities cannot stall the orchestrator. A START
 * context or a reply's outputs built to make a choice expression, a merge or a serialization slow (deep
 * nesting, huge lists, long strings) is refused with a clear error that fails the instance (or the step),
 * fast; within the limits, choice expressions stay bounded by their own guardrails.
 */

const SMALL: ValueLimits = {
  maxDepth: 4,
  maxArrayLength: 5,
  maxObjectKeys: 5,
  maxStringChars: 20,
  maxTotalChars: 60,
  maxValues: 40,
};

/** The same limits, checked the obvious (recursive) way, for small values only. */
function withinByRecursion(value: unknown, limits: ValueLimits): boolean {
  let values = 0;
  let chars = 0;
  const walk = (v: unknown, depth: number): boolean => {
    values++;
    if (typeof v === 'string') {
      chars += v.length;
      return v.length <= limits.maxStringChars;
    }
    if (v === null || typeof v !== 'object') return true;
    if (depth >= limits.maxDepth) return false;
    const entries = Array.isArray(v) ? v.map((x) => ['', x] as const) : Object.entries(v);
    if (Array.isArray(v) ? v.length > limits.maxArrayLength : entries.length > limits.maxObjectKeys)
      return false;
    return entries.every(([key, x]) => {
      chars += key.length;
      return key.length <= limits.maxStringChars && walk(x, depth + 1);
    });
  };
  return walk(value, 0) && values <= limits.maxValues && chars <= limits.maxTotalChars;
}

/**
 * Deeply nested, very wide or very long: what a hostile caller sends. Generated as a small description
 * (what fast-check prints when a case fails), built inside the property.
 */
type Hostile = readonly ['deep' | 'wide' | 'long' | 'keys', number];
const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  fc.tuple(fc.constant('deep' as const), fc.integer({ min: DEFAULT_VALUE_LIMITS.maxDepth, max: 20_000 })),
  fc.tuple(
    fc.constant('wide' as const),
    fc.integer({ min: DEFAULT_VALUE_LIMITS.maxArrayLength + 1, max: 300_000 }),
  ),
  fc.tuple(
    fc.constant('long' as const),
    fc.integer({
      min: DEFAULT_VALUE_LIMITS.maxStringChars + 1,
      max: DEFAULT_VALUE_LIMITS.maxStringChars + 1000,
    }),
  ),
  fc.tuple(
    fc.constant('keys' as const),
    fc.integer({ min: DEFAULT_VALUE_LIMITS.maxObjectKeys + 1, max: 40_000 }),
  ),
);

function build([kind, n]: Hostile): unknown {
  switch (kind) {
    case 'deep': {
      let value: unknown = 'SECRET-deep';
      for (let i = 0; i < n; i++) value = i % 2 ? [value] : { a: value };
      return value;
    }
    case 'wide':
      return new Array<string>(n).fill('SECRET-wide');
    case 'long':
      return 'SECRET-long'.padEnd(n, 'x');
    case 'keys':
      return Object.fromEntries(Array.from({ length: n }, (_, i) => [`SECRET-key-${i}`, i]));
  }
}

/**
 * Hands a message to the simulation's orchestrator as SQS would (parsed from JSON, never copied):
 * `send` clones its message, which a value nested thousands deep would not survive.
 */
async function deliver(sim: WorkflowSimulation, message: InboundMessage): Promise<void> {
  await sim.deliver({ id: randomUUID(), message, at: sim.clock.now().getTime(), receives: 1 });
}

describe('valueLimitsViolation', () => {
  it('agrees with the recursive definition on any JSON value (fuzzed)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(valueLimitsViolation(value, SMALL) === undefined).toBe(withinByRecursion(value, SMALL));
      }),
      { numRuns: 400 },
    );
  });

  it('refuses hostile values, says where, and quotes none of them (fuzzed)', () => {
    fc.assert(
      fc.property(hostile, (description) => {
        const value = build(description);
        const violation = valueLimitsViolation({ payload: value }, DEFAULT_VALUE_LIMITS, 'the start context');
        expect(violation).toMatch(/^the start context at payload/);
        expect(violation).not.toContain('SECRET-deep');
        expect(violation).not.toContain('SECRET-wide');
        expect(violation).not.toContain('SECRET-long');
        expect(violation).not.toMatch(/SECRET-key-\d+/);
      }),
      { numRuns: 12 },
    );
  });

  it('accepts what real payloads look like: a 5 MB document, 50,000 rows', () => {
    expect(valueLimitsViolation({ blob: 'x'.repeat(5 * 1024 * 1024) })).toBeUndefined();
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ id: i, sku: `SKU-${i}`, qty: i % 7 }));
    expect(valueLimitsViolation({ rows })).toBeUndefined();
  });
});

const ROUTE = `
workflow_name: route
workflow_id: route_v1
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: 'ask#op'
    request_output_keys: [answer]
    on_response: Route
  Route:
    type: choice
    choices:
      - when: '$count(answer.**) > 3 and $contains($string(answer), "needle")'
        next: Done
    default: Done
  Done: { type: end }
`;

function simulation() {
  const sim = new WorkflowSimulation({ mocks: false });
  sim.definitions.put('route_v1.yaml', ROUTE);
  return sim;
}

describe('hostile input fails the instance with a clear error, never stalls it', () => {
  it('a START context over the limits: FAILED with CONTEXT_LIMITS_EXCEEDED at once, nothing of it kept (fuzzed)', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (description) => {
        const sim = simulation();
        const start: InboundMessage = {
          type: 'START_WORKFLOW',
          workflow_id: 'route_v1',
          instance_id: 'inst-1',
          context: { value: build(description) },
        };
        await deliver(sim, start);
        const record = await sim.instances.get('inst-1');
        expect([record?.status, record?.error?.code]).toEqual(['FAILED', 'CONTEXT_LIMITS_EXCEEDED']);
        expect(record?.error?.message).toMatch(/^the start context at value/);
        expect(record?.context).toEqual({});
        // A redelivery of the same START is acknowledged, not applied again.
        await deliver(sim, start);
        expect((await sim.instances.get('inst-1'))?.history).toEqual(record?.history);
        expect(sim.deadLetters).toEqual([]);
      }),
      { numRuns: 6 },
    );
  });

  it('a reply over the limits: its step FAILS with REPLY_LIMITS_EXCEEDED, the outputs are not merged (fuzzed)', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, async (description) => {
        const value = build(description);
        const sim = simulation();
        sim.send({ type: 'START_WORKFLOW', workflow_id: 'route_v1', instance_id: 'inst-1', context: {} });
        await sim.drain();
        await deliver(sim, {
          type: 'ASYNC_RESP',
          instance_id: 'inst-1',
          request_id: simulatedRequestId('inst-1', 'Ask', 1),
          status: 'SUCCESS',
          outputs: { answer: value },
        });
        await sim.drain();
        const record = await sim.instances.get('inst-1');
        expect([record?.status, record?.error?.code, record?.error?.node]).toEqual([
          'FAILED',
          'REPLY_LIMITS_EXCEEDED',
          'Ask',
        ]);
        expect(record?.error?.message).toMatch(/^the reply's outputs at answer/);
        expect(record?.context.answer).toBeUndefined();
      }),
      { numRuns: 6 },
    );
  });

  it('a reply within the limits that would grow the context past them fails its step the same way', async () => {
    // Text is cheap to carry (one value each), so this one is about size: 21 MB, then 14 MB more (32 MB at most).
    const text = () => 'x'.repeat(7 * 1024 * 1024);
    const sim = simulation();
    sim.send({
      type: 'START_WORKFLOW',
      workflow_id: 'route_v1',
      instance_id: 'inst-1',
      context: { a: text(), b: text(), c: text() },
    });
    await sim.drain();
    await deliver(sim, {
      type: 'ASYNC_RESP',
      instance_id: 'inst-1',
      request_id: simulatedRequestId('inst-1', 'Ask', 1),
      status: 'SUCCESS',
      outputs: { answer: text(), more: text() },
    });
    const record = await sim.instances.get('inst-1');
    expect([record?.status, record?.error?.code]).toEqual(['FAILED', 'REPLY_LIMITS_EXCEEDED']);
    expect(record?.error?.message).toBe(
      "the context with the reply's outputs holds more than 33554432 characters of text",
    );
  });

  it('a reply within the limits but built to be slow to evaluate: the choice is decided or stopped in time', async () => {
    const near = (n: number): unknown =>
      n === 0 ? 'leaf' : { a: near(n - 1), b: [near(n - 1 > 2 ? 2 : n - 1)] };
    const answers: unknown[] = [
      Array.from({ length: 20_000 }, (_, i) => ({ i, tags: ['x', 'y'] })),
      near(60),
      'needle'.padStart(8 * 1024 * 1024, 'x'),
    ];
    for (const answer of answers) {
      const sim = simulation();
      sim.send({ type: 'START_WORKFLOW', workflow_id: 'route_v1', instance_id: 'inst-1', context: {} });
      await sim.drain();
      sim.send({
        type: 'ASYNC_RESP',
        instance_id: 'inst-1',
        request_id: simulatedRequestId('inst-1', 'Ask', 1),
        status: 'SUCCESS',
        outputs: { answer },
      });
      await sim.drain();
      const record = await sim.instances.get('inst-1');
      // Never left running: stopped by JSONata's guardrails (time, or the length of a sequence it builds), or
      // decided. No wall-clock bound: how loaded the machine is says nothing of the engine; a stall would
      // show as this test's own timeout.
      if (record?.status === 'FAILED')
        expect(['EXPRESSION_TIMEOUT', 'EXPRESSION_FAILED']).toContain(record.error?.code);
      else expect(record?.status).toBe('SUCCEEDED');
    }
  }, 30_000);
});
