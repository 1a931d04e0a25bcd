import { formatDiagnostic } from './diagnostic';
import { validateDefinition } from './validate-definition';

/** Every diagnostic of `yaml` (as `wf validate` prints it), validated as file `w.yaml`. */
const diagnosticsOf = (yaml: string): string[] =>
  validateDefinition('w.yaml', yaml).diagnostics.map(formatDiagnostic);

describe('semanticChecks: parallel branches', () => {
  it('a branch listed twice is an error at the repeated entry, and the definition is refused', () => {
    const result = validateDefinition(
      'w.yaml',
      `workflow_name: dup
workflow_id: dup_v1
entry_point: Fan
nodes:
  Fan:
    type: parallel
    branches: [A, A]
    join: J
  A:
    type: sync_call
    capability_id: core-process-response
    on_success: J
  J: { type: end }
`,
    );
    expect(result.definition).toBeUndefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      "w.yaml:7:19: error: nodes.Fan.branches.1: branch 'A' is listed twice in parallel 'Fan' (also at branches[0]); no two branches may share a node, so list each branch once",
    ]);
    expect(result.diagnostics[0]?.code).toBe('duplicate-branch');
  });

  it('a branch listed twice in block style is reported at the second entry, once per repeat', () => {
    expect(
      diagnosticsOf(`workflow_name: dup
workflow_id: dup_v1
entry_point: Fan
nodes:
  Fan:
    type: parallel
    branches:
      - A
      - B
      - A
      - A
    join: J
  A: { type: sync_call, capability_id: core-process-response, on_success: J }
  B: { type: sync_call, capability_id: core-process-response, on_success: J }
  J: { type: end }
`),
    ).toEqual([
      "w.yaml:10:9: error: nodes.Fan.branches.2: branch 'A' is listed twice in parallel 'Fan' (also at branches[0]); no two branches may share a node, so list each branch once",
      "w.yaml:11:9: error: nodes.Fan.branches.3: branch 'A' is listed twice in parallel 'Fan' (also at branches[0]); no two branches may share a node, so list each branch once",
    ]);
  });
});

describe('semanticChecks: a workflow with no end node', () => {
  const WORKFLOW = (doneType: string) => `workflow_name: ends
workflow_id: ends_v1
entry_point: A
nodes:
  A:
    type: sync_call
    capability_id: core-process-response
    on_success: Done
  Done: { type: ${doneType} }
`;

  it("a misspelt type is one error, not also 'no node of type end' (the misspelt node may be the end)", () => {
    expect(diagnosticsOf(WORKFLOW('ends'))).toEqual([
      `w.yaml:9:17: error: nodes.Done.type: unknown node type "ends"; did you mean 'end'?`,
    ]);
  });

  it('every type valid and no end node: the workflow is still reported as having no end', () => {
    const diagnostics = validateDefinition(
      'w.yaml',
      WORKFLOW('set, values: { x: "1" }, next: A'),
    ).diagnostics;
    expect(diagnostics.map((d) => [d.code, d.path, d.message])).toContainEqual([
      'no-end',
      'nodes',
      "the workflow has no node of type 'end'",
    ]);
  });
});

describe('semanticChecks: max_visits below retry.max_attempts', () => {
  const ASK = (nodeFields: string, top = '') => `workflow_name: retries
workflow_id: retries_v1
entry_point: Ask
${top}nodes:
  Ask:
    type: async_request
    capability_id: 'quote#price'
    on_response: Done
    on_failure: Failed
    timeout: 1h
${nodeFields}
  Done: { type: end }
  Failed: { type: end, status: FAILED }
`;

  it("an async_request's max_visits below its max_attempts is a warning on max_visits, and the definition is kept", () => {
    const result = validateDefinition(
      'w.yaml',
      ASK('    max_visits: 2\n    retry: { max_attempts: 3, interval: 1m }'),
    );
    expect(result.definition).toBeDefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      'w.yaml:11:17: warning: nodes.Ask.max_visits: max_visits 2 is less than retry.max_attempts 3: each attempt of an async_request is a visit, so the retries it allows can never all run (attempt 3 fails with MAX_VISITS_EXCEEDED, skipping on_failure); use a max_visits of at least 3',
    ]);
    expect(result.diagnostics[0]?.code).toBe('retries-over-visits');
  });

  it("the workflow's max_visits below a node's max_attempts is a warning on max_attempts", () => {
    expect(diagnosticsOf(ASK('    retry:\n      max_attempts: 4', 'max_visits: 2\n'))).toEqual([
      "w.yaml:13:21: warning: nodes.Ask.retry.max_attempts: retry.max_attempts 4 is more than the workflow's max_visits 2: each attempt of an async_request is a visit, so the retries it allows can never all run (attempt 3 fails with MAX_VISITS_EXCEEDED, skipping on_failure); give the node a max_visits of at least 4",
    ]);
  });

  it('only the node whose attempts outnumber its visits: not one with enough, nor a sync_call (its retries are one visit)', () => {
    expect(
      diagnosticsOf(`workflow_name: retries
workflow_id: retries_v1
entry_point: Enough
max_visits: 1
nodes:
  Enough:
    type: async_request
    max_visits: 3
    capability_id: 'quote#price'
    on_response: Short
    timeout: 1h
    retry: { max_attempts: 3 }
  Short:
    type: async_request
    max_visits: 1
    capability_id: 'quote#price'
    on_response: Call
    timeout: 1h
    retry: { max_attempts: 2 }
  Call:
    type: sync_call
    capability_id: core-process-response
    retry: { max_attempts: 5 }
    on_success: Done
  Done: { type: end }
`),
    ).toEqual([
      'w.yaml:15:17: warning: nodes.Short.max_visits: max_visits 1 is less than retry.max_attempts 2: each attempt of an async_request is a visit, so the retries it allows can never all run (attempt 2 fails with MAX_VISITS_EXCEEDED, skipping on_failure); use a max_visits of at least 2',
    ]);
  });
});

describe('semanticChecks: JSONata calls of what is no function', () => {
  const SET = (values: string) => `workflow_name: calls
workflow_id: calls_v1
entry_point: S
initial_context: [tier, amount]
nodes:
  S:
    type: set
    values:
${values}
    next: Done
  Done: { type: end }
`;

  it('a call without $ and a $ name nothing binds are errors at the called name, and the definition is refused', () => {
    const result = validateDefinition(
      'w.yaml',
      SET(`      a: 'NOT(tier = "x")'\n      b: '1 + $undefinedFn(amount)'`),
    );
    expect(result.definition).toBeUndefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      "w.yaml:9:11: error: nodes.S.values.a: the JSONata expression calls NOT(...), which is not a function: JSONata's functions start with '$'; negate with $not(...), e.g. $not(approved)",
      'w.yaml:10:15: error: nodes.S.values.b: the JSONata expression calls $undefinedFn(...), which is neither a JSONata function nor bound in the expression',
    ]);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['not-a-function', 'not-a-function']);
  });

  it("beside a bad call, JSONata's functions, $now and $millis, and functions the expression binds are not reported", () => {
    expect(
      diagnosticsOf(
        SET(
          [
            `      a: '$not(tier = "x") and $now() > "2020" and $millis() > 0'`,
            `      b: '($half := function($x) { $x / 2 }; $half(amount))'`,
            `      c: '(function($f) { $f(amount) })($string)'`,
            `      d: '$sum([amount]) + $nothing(amount)'`,
          ].join('\n'),
        ),
      ),
    ).toEqual([
      'w.yaml:12:28: error: nodes.S.values.d: the JSONata expression calls $nothing(...), which is neither a JSONata function nor bound in the expression',
    ]);
  });
});

describe('semanticChecks: a loop made only of choice nodes', () => {
  const LOOP = (nodes: string) => `workflow_name: loop
workflow_id: loop_v1
entry_point: Check
initial_context: [n]
nodes:
${nodes}
  Done: { type: end }
`;
  const FIX =
    'put a step that changes the context or waits (a set, sync_call, async_request or wait) in the loop';

  it('a choice whose default is itself is a warning at the node, naming the edge, and the definition is kept', () => {
    const result = validateDefinition(
      'w.yaml',
      LOOP(`  Check:
    type: choice
    choices:
      - when: "n > 5"
        next: Done
    default: Check`),
    );
    expect(result.definition).toBeDefined();
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      `w.yaml:6:3: warning: nodes.Check: choice node 'Check' leads back to itself (Check.default -> Check), and nothing in the loop changes the context or waits: its conditions answer the same every time round, so once an instance goes round it keeps going round until max_visits and fails MAX_VISITS_EXCEEDED; ${FIX}, or point Check.default elsewhere`,
    ]);
    expect(result.diagnostics[0]?.code).toBe('choice-loop');
  });

  it('a cycle of several choices is one warning, at its first node in source order, naming its nodes and edges', () => {
    expect(
      diagnosticsOf(
        LOOP(`  Check:
    type: choice
    choices:
      - when: "n > 5"
        next: Done
    default: Again
  Again:
    type: choice
    choices:
      - when: "n < 0"
        next: Done
      - when: "n = 1"
        next: Check
    default: Check`),
      ),
    ).toEqual([
      `w.yaml:6:3: warning: nodes.Check: choice nodes 'Check', 'Again' lead round to one another (Check.default -> Again, Again.choices.1.next -> Check, Again.default -> Check), and nothing in the loop changes the context or waits: their conditions answer the same every time round, so once an instance goes round it keeps going round until max_visits and fails MAX_VISITS_EXCEEDED; ${FIX}, or point one of those edges elsewhere`,
    ]);
  });

  it('is not reported for a loop through a step, a chain of choices without a loop, or a condition calling $random', () => {
    expect(
      diagnosticsOf(
        LOOP(`  Check:
    type: choice
    choices:
      - when: "n > 5"
        next: Done
    default: Bump
  Bump:
    type: set
    values: { n: "n + 1" }
    next: Roll
  Roll:
    type: choice
    choices:
      - when: "n > 1"
        next: Then
    default: Check
  Then:
    type: choice
    choices:
      - when: "$random() < 0.5"
        next: Done
    default: Then`),
      ),
    ).toEqual([]);
  });

  it('a loop of choices with no way out is also an error for each of its nodes (no path to an end)', () => {
    const result = validateDefinition(
      'w.yaml',
      LOOP(`  Check:
    type: choice
    choices:
      - when: "n > 5"
        next: Done
    default: Spin
  Spin:
    type: choice
    choices:
      - when: "n > 6"
        next: Spin
    default: Spin`),
    );
    expect(result.definition).toBeUndefined();
    expect(result.diagnostics.map((d) => [d.line, d.severity, d.code, d.path])).toEqual([
      [12, 'warning', 'choice-loop', 'nodes.Spin'],
      [12, 'error', 'no-path-to-end', 'nodes.Spin'],
    ]);
  });
});
