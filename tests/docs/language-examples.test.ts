import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { recordingIo } from '../../orchestrator/src/cli/cli-test-io';
import { runCli } from '../../orchestrator/src/cli/main';
import {
  asyncRequestNodeSchema,
  choiceEntrySchema,
  choiceNodeSchema,
  endNodeSchema,
  parallelNodeSchema,
  setNodeSchema,
  waitNodeSchema,
  subWorkflowNodeSchema,
  mapNodeSchema,
  retrySchema,
  syncCallNodeSchema,
  workflowDefinitionSchema,
} from '../../orchestrator/src/definition/workflow-schema';
import { fencedBlocks } from './markdown-blocks';

/**
 * docs/language.md cannot rot: every `yaml` block in it is a whole workflow that `wf validate` accepts with
 * no diagnostic at all, every `yaml invalid` block gives exactly the output in the `text` block after it,
 * and the valid examples together use every field of every node kind the zod models define.
 */
const blocks = fencedBlocks('language.md');
const valid = blocks.filter((b) => b.info === 'yaml');
const invalid = blocks.filter((b) => b.info === 'yaml invalid');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cch-docs-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `wf validate <file>` in-process, from the folder the file is in (as a user would type it). */
async function validate(name: string, text: string) {
  writeFileSync(join(dir, name), text);
  const io = recordingIo(dir);
  const code = await runCli(['validate', name], io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

describe('docs/language.md', () => {
  it('has examples of both kinds', () => {
    expect(valid.length).toBeGreaterThanOrEqual(8);
    expect(invalid.length).toBeGreaterThanOrEqual(1);
  });

  it.each(valid.map((b) => [b.line, b] as const))(
    'the example at line %i passes wf validate with no error or warning',
    async (line, block) => {
      // Named after its workflow_id, as the definitions bucket keys it (else wf validate warns file-name).
      const workflowId = /^workflow_id: '?([^'\s]+)'?$/m.exec(block.text)?.[1];
      expect([line, workflowId]).toEqual([line, expect.any(String)]);
      const result = await validate(`${workflowId ?? ''}.yaml`, block.text);
      expect(result.stdout).toBe('');
      expect(result.code).toBe(0);
    },
  );

  it.each(invalid.map((b) => [b.line, b] as const))(
    'the invalid example at line %i gives exactly the output shown after it',
    async (line, block) => {
      const shown = blocks[blocks.indexOf(block) + 1];
      expect(shown?.info).toBe('text');
      const result = await validate('bad.yaml', block.text);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe(shown?.text);
    },
  );

  it('uses every field of the workflow, of each node kind, of retry and of a choice entry', () => {
    const documents = valid.map((b) => parse(b.text) as Record<string, unknown>);
    const nodes = documents.flatMap((d) => Object.values(d.nodes as Record<string, Record<string, unknown>>));
    const used = (objects: readonly Record<string, unknown>[]) =>
      new Set(objects.flatMap((o) => Object.keys(o)));
    const missing = (schema: { shape: object }, objects: readonly Record<string, unknown>[]) => {
      const seen = used(objects);
      return Object.keys(schema.shape).filter((field) => !seen.has(field));
    };
    const ofType = (type: string) => nodes.filter((n) => n.type === type);
    const retries = nodes.map((n) => n.retry).filter((r): r is Record<string, unknown> => r !== undefined);
    const entries = ofType('choice').flatMap((n) => n.choices as Record<string, unknown>[]);

    expect({
      workflow: missing(workflowDefinitionSchema, documents),
      async_request: missing(asyncRequestNodeSchema, ofType('async_request')),
      sync_call: missing(syncCallNodeSchema, ofType('sync_call')),
      choice: missing(choiceNodeSchema, ofType('choice')),
      choice_entry: missing(choiceEntrySchema, entries),
      parallel: missing(parallelNodeSchema, ofType('parallel')),
      set: missing(setNodeSchema, ofType('set')),
      wait: missing(waitNodeSchema, ofType('wait')),
      sub_workflow: missing(subWorkflowNodeSchema, ofType('sub_workflow')),
      map: missing(mapNodeSchema, ofType('map')),
      end: missing(endNodeSchema, ofType('end')),
      retry: missing(retrySchema, retries),
      // Both retry placements are shown.
      retried_kinds: ['async_request', 'sync_call'].filter((t) => !ofType(t).some((n) => n.retry)),
    }).toEqual({
      workflow: [],
      async_request: [],
      sync_call: [],
      choice: [],
      choice_entry: [],
      parallel: [],
      set: [],
      wait: [],
      sub_workflow: [],
      map: [],
      end: [],
      retry: [],
      retried_kinds: [],
    });
  });
});
