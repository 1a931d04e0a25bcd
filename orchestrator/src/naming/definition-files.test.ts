import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capabilityDomainsIn } from './capability-domains';
import { definitionFilesIn } from './definition-files';

const definition = (id: string, capability: string) => `workflow_name: '${id}'
workflow_id: '${id}'
entry_point: Ask
nodes:
  Ask:
    type: async_request
    capability_id: '${capability}'
    on_response: Done
  Done:
    type: end
`;

describe('definitionFilesIn', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'definition-files-'));
    writeFileSync(join(dir, 'parent.yaml'), definition('parent', 'orders#place'));
    mkdirSync(join(dir, 'team-a', 'children'), { recursive: true });
    writeFileSync(join(dir, 'team-a', 'children', 'child.yml'), definition('child', 'ledger#post'));
    writeFileSync(join(dir, 'team-a', 'notes.md'), '# not a definition');
    mkdirSync(join(dir, '.drafts'));
    writeFileSync(join(dir, '.drafts', 'draft.yaml'), definition('draft', 'drafts#x'));
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'node_modules', 'dep.yaml'), definition('dep', 'deps#x'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lists the YAML files of every subfolder by their path from the folder, skipping hidden folders and node_modules', () => {
    expect(definitionFilesIn(dir).map((f) => f.name)).toEqual(['parent.yaml', 'team-a/children/child.yml']);
    expect(definitionFilesIn(dir)[1]?.text).toContain("workflow_id: 'child'");
  });

  it('gives the capability domains of definitions in subfolders a queue too (a child a sub_workflow starts)', () => {
    expect(capabilityDomainsIn(dir)).toEqual(['ledger', 'orders']);
  });
});
