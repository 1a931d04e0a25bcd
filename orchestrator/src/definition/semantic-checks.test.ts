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
