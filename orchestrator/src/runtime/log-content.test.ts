import { readdirSync } from 'node:fs';
import { createPinoLogger } from '../aws/pino-logger';
import type { CapabilityMocks } from '../capability-mocks/capability-mocks';
import { validateDefinition } from '../definition/validate-definition';
import { WorkflowSimulation } from './memory/workflow-simulation';
import { EXAMPLES_DIR, exampleText } from './testing/example-workflows';

/**
 * Issue 15, point 4: nothing of the business data reaches the logs by default. Every example runs on the
 * in-memory orchestrator with the product's pino logger, with secrets in its START context, in every
 * capability's outputs and in a capability's error message; no log line may contain any of them. An
 * explicit `loggable_keys` logs the values of the keys it names, and only those.
 * (tests/e2e/reply-security.e2e.test.ts does the same on the embedded stack, whose log has every process.)
 */

const EXAMPLES = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

interface Run {
  readonly lines: string[];
  readonly secrets: string[];
  readonly sim: WorkflowSimulation;
}

/** Runs `yaml` (a workflow) with secret values everywhere a value can enter. */
async function runWithSecrets(yaml: string, failing?: string): Promise<Run> {
  const { definition } = validateDefinition('example.yaml', yaml);
  if (!definition) throw new Error('the example does not validate');
  const secrets: string[] = [];
  const secret = (where: string) => {
    const value = `SECRET-${where}-${secrets.length}-${Math.random().toString(36).slice(2)}`;
    secrets.push(value);
    return value;
  };
  const context: Record<string, unknown> = { notes: { card: secret('nested') } };
  for (const key of definition.initial_context ?? []) context[key] = secret(key);
  const mocks: CapabilityMocks = {};
  for (const node of Object.values(definition.nodes)) {
    if (node.type !== 'async_request') continue;
    mocks[node.capability_id] =
      node.capability_id === failing
        ? { status: 'FAILURE', error: { code: 'UPSTREAM_DOWN', message: `no data for ${secret('error')}` } }
        : {
            outputs: Object.fromEntries(
              (node.request_output_keys ?? []).map((key) => [key, secret(`${node.capability_id}-${key}`)]),
            ),
          };
  }
  const lines: string[] = [];
  const sim = new WorkflowSimulation({
    mocks,
    logger: createPinoLogger({ write: (l: string) => lines.push(l) }),
  });
  sim.definitions.put(`${definition.workflow_id}.yaml`, yaml);
  sim.send({ type: 'START_WORKFLOW', workflow_id: definition.workflow_id, instance_id: 'inst-1', context });
  await sim.drain();
  return { lines, secrets, sim };
}

const leaks = ({ lines, secrets }: Run) =>
  lines.flatMap((line) => secrets.filter((s) => line.includes(s)).map((s) => `${s} in ${line}`));

describe('no business data in the logs by default', () => {
  it.each(EXAMPLES)('%s: no log line carries a value of its context, inputs or outputs', async (id) => {
    const run = await runWithSecrets(exampleText(id));
    expect((await run.sim.instances.get('inst-1'))?.status).toMatch(/SUCCEEDED|FAILED/);
    expect(run.lines.length).toBeGreaterThan(5);
    expect(leaks(run)).toEqual([]);
    // What is logged instead: keys and sizes.
    const starting = run.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'workflow starting');
    expect(starting?.context).toMatchObject({
      keys: expect.arrayContaining(['notes']) as unknown,
      chars: expect.any(Number) as unknown,
    });
  });

  it("a capability's error message, which may quote anything, is not logged (its code is)", async () => {
    const run = await runWithSecrets(exampleText('import_vn_memphis_v1'), 'import#enrichment');
    const record = await run.sim.instances.get('inst-1');
    expect(record?.error?.code).toBe('UPSTREAM_DOWN');
    expect(leaks(run)).toEqual([]);
    const failed = run.lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'workflow FAILED');
    expect(failed?.error).toEqual({
      code: 'UPSTREAM_DOWN',
      node: 'Prepare_Import_Enrichment',
      message_chars: expect.any(Number) as unknown,
    });
  });

  it("an expression's error, which can quote a context value, is not logged either", async () => {
    const yaml = `
workflow_name: cast
workflow_id: cast_v1
entry_point: Route
initial_context: [amount]
nodes:
  Route:
    type: choice
    choices:
      - when: '$number(amount) > 1'
        next: Done
    default: Done
  Done: { type: end }
`;
    const run = await runWithSecrets(yaml);
    const record = await run.sim.instances.get('inst-1');
    expect(record?.error?.code).toBe('EXPRESSION_FAILED');
    expect(run.secrets.some((s) => record?.error?.message.includes(s))).toBe(true); // the record keeps it
    expect(leaks(run)).toEqual([]);
  });

  it('loggable_keys logs the values of the keys it names, and only those', async () => {
    const yaml = exampleText('import_vn_memphis_v1').replace(
      /^initial_context:/m,
      'loggable_keys: [shipmentId, import_enrichment_uri]\ninitial_context:',
    );
    const run = await runWithSecrets(yaml);
    const [shipmentId, ...others] = run.secrets.filter((s) =>
      /^SECRET-(shipmentId|import#enrichment)/.test(s),
    );
    const logged = run.lines.map(
      (l) => JSON.parse(l) as Record<string, { values?: Record<string, unknown> }>,
    );
    expect(logged.find((l) => l.msg === ('workflow starting' as unknown))?.context?.values).toEqual({
      shipmentId,
    });
    expect(logged.find((l) => l.msg === ('reply received' as unknown))?.outputs?.values).toEqual({
      import_enrichment_uri: others[0],
    });
    const allowed = new Set([shipmentId, ...others]);
    expect(leaks({ ...run, secrets: run.secrets.filter((s) => !allowed.has(s)) })).toEqual([]);
  });
});
