import { randomUUID } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDiagnostic } from '../definition/diagnostic';
import { validateDefinition } from '../definition/validate-definition';
import type { WorkflowDefinition } from '../definition/workflow-schema';
import { statusView, type InstanceStatusView } from '../runtime/instance-record';
import {
  defaultMockOutput,
  parseCapabilityMocks,
  type CapabilityMocks,
  type DefaultOutput,
} from '../capability-mocks/capability-mocks';
import { RecordingLogger, type LogLine } from '../runtime/memory/recording-ports';
import { WorkflowSimulation } from '../runtime/memory/workflow-simulation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createDeployedSyncCapabilities } from '../aws/aws-sync-capabilities';
import { SecretsManagerSecretSource } from '../aws/secrets-manager-secret-source';
import { CachingSecretSource } from '../sync-capabilities/caching-secret-source';
import { contextOption, readOptionFile, readUserFile, UsageError, type CliIo } from './cli-io';
import { invalidChildDiagnostics, readIfPresent, searchChildDefinitions } from './child-definitions';
import type { EmbeddedRunner } from './embedded-runner';
import { missingContextKeys } from '../graph/child-outcome';
import { placeholderContext } from './context-placeholders';
import { missingChildDiagnostics } from './missing-child-diagnostics';
import { realTimeNotice } from './real-time-notice';
import { standInValueHint } from './stand-in-value-hint';
import { errorLines } from './error-lines';
import { terminalSafe, terminalSafeLines } from './terminal-safe';

export const RUN_USAGE =
  'usage: wf run <file.yaml> [--context JSON|@file] [--mocks file.yaml] [--json] [--memory]';

/**
 * `wf run`: runs one workflow with scripted capability replies and prints each step, then the status
 * record; exit 0 only on SUCCEEDED. By default on the embedded local AWS (the real handler, queues and
 * tables; scripted delays take real time, at most SQS's 15 minutes); with --memory on the in-memory
 * engine and a simulated clock, where a 2h wait takes no time.
 */
export async function runCommand(
  args: readonly string[],
  io: CliIo,
  embedded?: EmbeddedRunner,
  maxDeliveries = MEMORY_RUN_MAX_DELIVERIES,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      context: { type: 'string' },
      mocks: { type: 'string' },
      json: { type: 'boolean', default: false },
      memory: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  const [path] = positionals;
  if (path === undefined || positionals.length > 1) throw new UsageError(RUN_USAGE);

  const { display, text } = await readUserFile(io, path);
  const { definition, diagnostics } = validateDefinition(display, text);
  if (!definition) {
    for (const d of diagnostics) io.err(terminalSafe(formatDiagnostic(d)) + '\n');
    return 1;
  }
  // The definitions of the children found beside the file: both engines load these (and only these), so a
  // child with no file there could never start. Refused before anything runs, as an invalid definition is.
  const search = searchChildDefinitions(dirname(resolve(io.cwd, display)), definition, readIfPresent);
  const missing = missingChildDiagnostics(display, text, search);
  if (missing.length > 0) {
    for (const d of missing) io.err(terminalSafe(formatDiagnostic(d)) + '\n');
    io.err('wf run: a workflow this one starts has no definition file beside it: nothing ran\n');
    return 1;
  }
  // A child whose file is invalid would fail INVALID_DEFINITION when its parent reaches it: refused now.
  const invalid = invalidChildDiagnostics(dirname(display), search.found);
  if (invalid.length > 0) {
    for (const d of invalid) io.err(terminalSafe(formatDiagnostic(d)) + '\n');
    io.err('wf run: a definition this one starts is invalid: nothing ran\n');
    return 1;
  }
  const children = search.found;
  const context = await readContext(io, values.context, definition.initial_context ?? []);
  // As `wf start` refuses it: the run would only end FAILED with MISSING_CONTEXT at its first step.
  const lacking = missingContextKeys(definition.initial_context, context);
  if (lacking.length > 0) {
    io.err(`wf run: --context lacks ${lacking.join(', ')} (initial_context of ${display}): nothing ran\n`);
    return 1;
  }
  const mocks =
    values.mocks === undefined
      ? {}
      : parseCapabilityMocks(
          (await readOptionFile(io, `--mocks ${values.mocks}`, values.mocks)).text,
          values.mocks,
        );
  const loaded = [definition, ...children.flatMap((c) => c.validation.definition ?? [])];
  warnUnusedMocks(io, mocks, loaded);
  // How a failure on a stand-in value is explained, given how the engine's mocks fill outputs.
  const standIns = (defaultOutput: DefaultOutput) => (view: InstanceStatusView) =>
    standInValueHint({ view, definition, placeholders: values.context === undefined, defaultOutput });

  if (!values.memory) {
    if (!embedded) throw new UsageError('the embedded stack is not available here; pass --memory');
    const notice = realTimeNotice(loaded, mocks);
    if (notice) io.err(notice + '\n');
    const { view, defaultOutput, logFile } = await embedded({
      definitionFile: display,
      context,
      mocks,
      ...(values.json ? {} : { progress: (line: string) => io.out(terminalSafe(line) + '\n') }),
    });
    const code = report(io, view, values.json, standIns(defaultOutput));
    if (logFile !== undefined)
      io.err(terminalSafe(`the embedded stack's log (JSON lines): ${logFile}`) + '\n');
    return code;
  }

  // The simulated clock starts at the real time (whole seconds), so a `wait until` a time the context
  // gives relative to today waits as long as it would on the stack.
  const started = Math.floor(Date.now() / 1000) * 1000;
  const instanceId = `wf-run-${randomUUID()}`;
  const sim: WorkflowSimulation = new WorkflowSimulation({
    mocks,
    // Real HTTP calls, and secrets from Secrets Manager with the caller's own credentials (which are
    // then the whole boundary: any secret they may read).
    syncCapabilities: createDeployedSyncCapabilities(
      new CachingSecretSource(new SecretsManagerSecretSource(new SecretsManagerClient({}))),
      'any',
    ),
    logger: new RecordingLogger(
      [],
      {},
      values.json ? undefined : (line) => io.out(progressLine(sim, started, instanceId, line)),
    ),
  });
  sim.clock.set(started);
  const key = basename(display);
  sim.definitions.put(key, text);
  for (const child of children) {
    sim.definitions.put(child.key, child.text);
  }
  sim.send({
    type: 'START_WORKFLOW',
    workflow_id: definition.workflow_id,
    definition_key: key,
    instance_id: instanceId,
    context,
  });
  const delivered = await sim.drain(maxDeliveries);
  const left = sim.pending().length + sim.timers.scheduled.length;
  if (left > 0) {
    io.err(
      `wf run: stopped after ${delivered} deliveries (--memory's bound, about what the stack's 20 minutes ` +
        `allow) with ${left} message(s) or timer(s) still to deliver; the instance is shown as it stood\n`,
    );
  }

  const record = await sim.instances.get(instanceId);
  for (const dead of sim.deadLetters) {
    io.err(terminalSafe(`dead-lettered ${dead.delivery.message.type}: ${dead.reason}`) + '\n');
  }
  return report(io, record ? statusView(record) : undefined, values.json, standIns(defaultMockOutput));
}

/**
 * Deliveries (messages and timers) `wf run --memory` hands over before it stops and shows the instance as
 * it stands: a bound against a workflow that never ends (a loop of waits at max_visits 10,000, a map that
 * starts itself), as the stack's run follows an instance for 20 minutes; a delivery takes about 10 ms.
 */
export const MEMORY_RUN_MAX_DELIVERIES = 100_000;

/**
 * A mocks entry for a capability no loaded definition requests is never used: most often a misspelt id,
 * whose scripted reply (a FAILURE, say) the user then believes ran. Warned, not refused: the run goes on
 * with default replies.
 */
function warnUnusedMocks(
  io: CliIo,
  mocks: CapabilityMocks,
  definitions: readonly WorkflowDefinition[],
): void {
  const used = new Set<string>();
  for (const definition of definitions) {
    for (const node of Object.values(definition.nodes)) {
      if (node.type === 'async_request') used.add(node.capability_id);
    }
  }
  const known = used.size === 0 ? 'none' : [...used].sort().join(', ');
  for (const id of Object.keys(mocks)) {
    if (used.has(id)) continue;
    io.err(
      terminalSafe(
        `wf run: warning: --mocks names capability '${id}', which the workflow never requests (it requests: ${known}); its entry is ignored`,
      ) + '\n',
    );
  }
}

/** Prints the final view; `hint` may explain a failure in words (human output only, on stderr). */
function report(
  io: CliIo,
  view: InstanceStatusView | undefined,
  json: boolean,
  hint: (view: InstanceStatusView) => string | undefined,
): number {
  if (!view) {
    io.err('the instance was never created\n');
    return 1;
  }
  if (json) {
    io.out(JSON.stringify(view) + '\n');
  } else {
    // The error's code and message are the capability's: shown inert. JSON escapes C0 but not DEL or C1.
    // An end node's failure has the status for its code: `FAILED: ended at Rejected`, said once.
    const outcome = !view.error
      ? [view.status]
      : errorLines(view.error.code === view.status ? '' : `${view.status}: `, view.error);
    io.out(`\n${outcome.map(terminalSafe).join('\n')}\n`);
    io.out(terminalSafeLines(JSON.stringify(view, null, 2)) + '\n');
    const said = hint(view);
    if (said) io.err(`\n${terminalSafeLines(said)}\n`);
  }
  return view.status === 'SUCCEEDED' ? 0 : 1;
}

async function readContext(
  io: CliIo,
  option: string | undefined,
  required: readonly string[],
): Promise<Record<string, unknown>> {
  // Placeholders let any workflow run without ceremony; pass --context for real values.
  return option === undefined ? placeholderContext(required) : contextOption(io, option);
}

const QUIET = new Set(['instance busy; message will come back']);

/**
 * One progress line. Lines of the instances a sub_workflow or map started are prefixed with the child's id
 * past the run's own (`[Classify_Lines.1.2]`), so their steps are not taken for the parent's.
 */
function progressLine(sim: WorkflowSimulation, started: number, root: string, line: LogLine): string {
  if (QUIET.has(line.message)) return '';
  const elapsed = sim.clock.now().getTime() - started;
  const f = line.fields;
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  const detail = [
    f.node === undefined ? '' : `node=${text(f.node)}`,
    f.capability_id === undefined ? '' : `capability=${text(f.capability_id)}`,
    f.duration_ms === undefined ? '' : `${text(f.duration_ms)} ms`,
    f.status === undefined || line.message.startsWith('step') ? '' : `status=${text(f.status)}`,
    typeof f.child_instance_id !== 'string'
      ? ''
      : `child=${f.child_instance_id.startsWith(`${root}.`) ? f.child_instance_id.slice(root.length + 1) : f.child_instance_id}`,
  ]
    .filter(Boolean)
    .join(' ');
  const instance = typeof f.instance_id === 'string' ? f.instance_id : root;
  const who =
    instance === root
      ? ''
      : `[${instance.startsWith(`${root}.`) ? instance.slice(root.length + 1) : instance}] `;
  // Messages and fields carry what replies and contexts said (an error message, a node's input): inert.
  return `${terminalSafe(`[+${formatElapsed(elapsed)}] ${who}${line.level === 'info' ? '' : `${line.level.toUpperCase()} `}${line.message}${detail ? `  (${detail})` : ''}`)}\n`;
}

function formatElapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}
