import { parseArgs } from 'node:util';
import { describeInstance, type InstanceDescription } from '../operations/describe-instance';
import { childState } from '../operations/child-state';
import { formatAge } from '../operations/format-age';
import { UsageError, type CliIo } from './cli-io';
import { openInstanceQueries, operatorTarget, type OperatorTarget } from './operator-target';
import { awaitedBy } from './awaited-by';
import { errorLines } from './error-lines';
import { terminalSafe, terminalSafeLines } from './terminal-safe';
import { timelineLines } from './timeline-lines';

export const DESCRIBE_USAGE = 'usage: wf describe <instance_id> [--json] [--local]';

const DESCRIBE_HELP = `${DESCRIBE_USAGE}

One instance in full: its status record, the open waits with the time left, the last error, the history
as a timeline, and the graph of the definition it runs (the pinned snapshot) as Mermaid, each node
coloured by what happened to it: done (green), failed (red), waiting (amber), cancelled (grey, dashed),
not reached (faded).

  --json    one object (README: wf describe --json); its "graph" is the Mermaid text
  --local   the embedded stack (pnpm local, ports from CCH_LOCAL_*_PORT); default: the deployment named
            by CCH_ENV/CCH_OWNER, or the embedded stack when they are unset

examples:
  wf describe 6f1c0d1e-0b7c-4c4e-9a53-2f1f7d1a2b3c
  wf describe by-hand-1 --local --json | jq -r .graph > by-hand-1.mmd
`;

export interface DescribeDependencies {
  readonly target?: (local: boolean) => OperatorTarget;
  readonly now?: () => Date;
}

/** `wf describe`: everything about one instance, for people or (`--json`) for machines. */
export async function describeCommand(
  args: readonly string[],
  io: CliIo,
  deps: DescribeDependencies = {},
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      json: { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  if (values.help) {
    io.out(DESCRIBE_HELP);
    return 0;
  }
  const [instanceId] = positionals;
  if (instanceId === undefined || positionals.length > 1) throw new UsageError('one instance id, please');
  const now = (deps.now ?? (() => new Date()))();
  const target = (deps.target ?? ((local) => operatorTarget(local, process.env)))(values.local);
  const queries = openInstanceQueries(target);
  try {
    const description = await describeInstance(queries.port, instanceId, now);
    if (!description) {
      io.err(terminalSafe(`no instance ${instanceId} in ${queries.table}`) + '\n');
      return 1;
    }
    io.out(values.json ? JSON.stringify(description) + '\n' : formatDescription(description));
    return 0;
  } finally {
    queries.close();
  }
}

function formatDescription(d: InstanceDescription): string {
  const time = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');
  const lines = [
    `${d.instance_id}  ${d.workflow_id}  ${d.status}`,
    `started ${time(d.started_at)}, updated ${time(d.updated_at)}`,
    d.step_functions
      ? `Step Functions execution ${d.step_functions.execution_arn} (${d.step_functions.execution_status})`
      : `definition ${d.definition.key} (pinned sha256 ${d.definition.sha256})`,
  ];
  if (d.parent) lines.push(`child of ${d.parent.instance_id} (its step ${d.parent.node})`);
  for (const c of d.children) lines.push(`child ${c.instance_id} (step ${c.node}): ${childState(c)}`);
  if (d.error) lines.push(...errorLines('error ', d.error, d.error.node ? ` (at ${d.error.node})` : ''));
  if (d.last_failed_step) {
    const s = d.last_failed_step;
    lines.push(`last failed step ${s.node} ${s.status} at ${time(s.ended_at)}`);
  }
  lines.push('', d.waits.length > 0 ? 'open waits:' : 'open waits: none');
  for (const w of d.waits) {
    const left =
      w.time_left_ms === null
        ? 'no deadline'
        : w.time_left_ms >= 0
          ? `${formatAge(w.time_left_ms)} left, until ${time(w.deadline ?? '')}`
          : `OVERDUE by ${formatAge(-w.time_left_ms)} (deadline ${time(w.deadline ?? '')})`;
    lines.push(`  ${w.node}${awaitedBy(w)} since ${time(w.since)}: ${left}  [request ${w.request_id}]`);
  }
  lines.push('', `timeline (${d.history.length} steps):`);
  lines.push(...timelineLines(d.history));
  lines.push('', 'nodes:');
  for (const [node, state] of Object.entries(d.nodes)) lines.push(`  ${node}: ${state}`);
  lines.push('');
  if (!d.graph) lines.push(`graph: unavailable (${d.graph_error ?? 'unknown'})`);
  // Every line is one of ours around values from outside (ids, a reply's error, node names): shown inert.
  // The graph's line breaks are its own; its labels come from the definition.
  const safe = lines.map(terminalSafe);
  if (d.graph)
    safe.push('graph (Mermaid; paste into https://mermaid.live):', terminalSafeLines(d.graph.trimEnd()));
  return safe.join('\n') + '\n';
}
