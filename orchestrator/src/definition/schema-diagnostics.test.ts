import { formatDiagnostic } from './diagnostic';
import { validateDefinition } from './validate-definition';

/** A workflow with one more node, `key`, whose name is given as the YAML key text `key`. */
const WITH_NODE = (key: string) => `workflow_name: nk
workflow_id: nk_v1
entry_point: A
nodes:
  A:
    type: sync_call
    capability_id: core-process-response
    on_success: Done
  ${key}: { type: end }
  Done: { type: end }
`;

const nameErrors = (key: string): string[] =>
  validateDefinition('w.yaml', WITH_NODE(key))
    .diagnostics.filter((d) => d.code === 'invalid-name')
    .map(formatDiagnostic);

describe('nodeNameDiagnostics: keys YAML reads as null', () => {
  it('a node named `null` is named as written, with why it is no name and how to fix it', () => {
    expect(nameErrors('null')).toEqual([
      "w.yaml:9:3: error: nodes.null: a node name must be a non-empty string; `null` is read as YAML null — quote it ('null')",
    ]);
  });

  it('a key that is no node name gets that error alone: no follow-on "can never run" about a node named nothing', () => {
    for (const key of ['null', '~', "''", '1st']) {
      const codes = validateDefinition('w.yaml', WITH_NODE(key)).diagnostics.map((d) => d.code);
      expect([key, codes.filter((code) => code === 'unreachable')]).toEqual([key, []]);
      expect([key, codes.filter((code) => code === 'invalid-name').length]).toEqual([key, 1]);
    }
  });

  it('`~` is named as written too; quoting it would not make a valid name, so the fix is to rename', () => {
    expect(nameErrors('~')).toEqual([
      'w.yaml:9:3: error: nodes.~: a node name must be a non-empty string; `~` is read as YAML null — rename the node',
    ]);
  });

  it("a quoted empty key keeps the plain message (its value is '' as written)", () => {
    expect(nameErrors("''")).toEqual([
      "w.yaml:9:3: error: nodes.: '' is not a valid node name (an ASCII letter, then ASCII letters, digits, _ or -)",
    ]);
  });

  it("a quoted 'null' is a valid node name", () => {
    expect(nameErrors("'null'")).toEqual([]);
  });
});

describe('the rules of names and capability ids, as the messages state them', () => {
  it('a node name with a non-ASCII letter is refused with a message that says the letters are ASCII', () => {
    expect(nameErrors('Größe')).toEqual([
      "w.yaml:9:3: error: nodes.Größe: 'Größe' is not a valid node name (an ASCII letter, then ASCII letters, digits, _ or -)",
    ]);
  });

  it('a capability id in upper case is refused with the rule of its domain and operation', () => {
    const text = WITH_NODE('B').replace(
      '  A:\n    type: sync_call\n    capability_id: core-process-response\n    on_success: Done',
      "  A:\n    type: async_request\n    capability_id: 'Billing#Charge'\n    on_response: Done\n    timeout: 1m",
    );
    const messages = validateDefinition('w.yaml', text).diagnostics.map((d) => d.message);
    expect(messages).toContain(
      "'Billing#Charge' is not a capability id of the form domain#operation (domain: a lower-case ASCII letter, " +
        'then up to 23 lower-case ASCII letters, digits or -; operation: 1 to 80 ASCII letters, digits, _, . or -), ' +
        "e.g. 'import#enrichment'",
    );
  });
});
