import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { childDefinitions, readIfPresent } from '../../orchestrator/src/cli/child-definitions';
import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';
import type { Context } from '../../orchestrator/src/graph/workflow-state';
import { EXAMPLES_DIR, exampleText } from '../../orchestrator/src/runtime/testing/example-workflows';
import type { LocalServers } from '../local-aws/local-servers';
import { REPO_ROOT } from '../local-aws/provision-local';
import { asyncChain, fanOut, type BenchWorkflow } from './cost/bench-workflows';
import { measureCostPerRun, orchestratorMemoryMb, warmUp, type RunCost } from './cost/cost-per-million-runs';
import { MeteredEngine } from './cost/metered-engine';
import { perMillion, US_EAST_1_PRICES } from './cost/price-model';
import { num, renderSection, type Section } from './cost/report-table';
import { startServerProcess } from './cost/server-process';
import {
  bridgeMemoryMb,
  measureStepFunctionsMode,
  SQS_REQUESTS_PER_MESSAGE,
  type ModeRun,
} from './cost/step-functions-mode';

/*
 * `pnpm bench:modes`: every example of workflow-definitions/ (and the bench's 100-step chain and width-20
 * fan-out) run once in each mode, costed per million runs from what the run used: in Step Functions mode
 * the transitions the state machine executed and what the bridges did around it; on the LangGraph engine
 * the requests the performance bench's figure 6 measures, measured by the same code.
 */

/**
 * The language-v2 example (map, sub_workflow, wait, set), run as `pnpm start` runs it: its children
 * deployed beside it, from its folder, and its own start context.
 */
const LANGUAGE_V2 = {
  workflowId: 'order_fulfilment_v2',
  dir: join(EXAMPLES_DIR, 'language-v2'),
  contextFile: 'sample-data/contexts/order-fulfilment-v2.json',
};

function withChildren(workflowId: string, dir: string, context: string): BenchWorkflow {
  const file = `${workflowId}.yaml`;
  const text = readFileSync(join(dir, file), 'utf8');
  const { definition } = validateDefinition(file, text);
  if (!definition) throw new Error(`${join(dir, file)} is not a valid workflow`);
  return {
    workflowId,
    text,
    context: JSON.parse(readFileSync(context, 'utf8')) as Context,
    children: childDefinitions(dir, definition, readIfPresent),
  };
}

function modesWorkflows(): BenchWorkflow[] {
  const examples = readdirSync(EXAMPLES_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => f.replace(/\.yaml$/, ''));
  return [
    ...examples.map((workflowId) => ({ workflowId, text: exampleText(workflowId) })),
    withChildren(LANGUAGE_V2.workflowId, LANGUAGE_V2.dir, join(REPO_ROOT, LANGUAGE_V2.contextFile)),
    asyncChain(100),
    fanOut(20),
  ];
}

const dollars = (value: number) => `$${value < 10 ? value.toFixed(2) : num(value)}`;

function modesSection(
  workflows: readonly BenchWorkflow[],
  sfn: readonly ModeRun[],
  engine: readonly RunCost[],
  memory: { bridges: number; orchestrator: number },
): Section {
  const rows = sfn.map((run) => {
    const ours = engine.find((e) => e.workflow === run.workflow);
    const l = run.lambdas;
    const sfnPerMillion = perMillion(run.cost.total);
    const enginePerMillion = ours ? perMillion(ours.ours.total) : NaN;
    return [
      run.workflow,
      `${run.status} / ${ours?.status ?? 'missing'}`,
      num(run.transitions),
      `${l.command + l.request + l.steps + l.reply} (${l.command}/${l.request}/${l.steps}/${l.reply})`,
      num(1 + run.replies + run.capabilityRequests),
      `${num(run.taskTokens.requests)} (${num(run.taskTokens.wcu)}/${num(run.taskTokens.rcu)})`,
      dollars(sfnPerMillion),
      dollars(enginePerMillion),
      `${(sfnPerMillion / enginePerMillion).toFixed(1)}x`,
    ];
  });
  const p = US_EAST_1_PRICES;
  const breakdown = sfn.map((run) => {
    const c = run.cost;
    const share = (part: number) => `${((part / c.total) * 100).toFixed(0)}%`;
    const ours = engine.find((e) => e.workflow === run.workflow);
    const nested =
      run.executions > 1
        ? ` ${run.executions} executions (its own and ${run.executions - 1} nested, ` +
          `${run.childFailures} of them failed); engine: ${ours?.usage.deliveries ?? '?'} messages, ` +
          `${ours?.usage.steps ?? '?'} steps, ${ours?.usage.capabilityRequests ?? '?'} capability requests, ` +
          `children included.`
        : '';
    return (
      `${run.workflow}: SFN ${dollars(perMillion(c.total))}/M = transitions ${share(c.stepFunctions)}, ` +
      `Lambda ${share(c.lambda)} (${num(run.usage.lambdaMilliseconds)} ms), ` +
      `SQS ${share(c.sqs + c.capabilityMessages)}, task tokens ${share(c.dynamodb)}.${nested}`
    );
  });
  const withChildren = workflows.filter((w) => (w.children?.length ?? 0) > 0).map((w) => w.workflowId);
  const ownContexts = workflows.filter((w) => w.context).map((w) => w.workflowId);
  const waits = workflows.flatMap((w) =>
    Object.entries(validateDefinition(`${w.workflowId}.yaml`, w.text).definition?.nodes ?? {}).flatMap(
      ([name, node]) =>
        node.type === 'wait' ? [`${w.workflowId}'s ${name}, ${node.duration ?? `until ${node.until}`}`] : [],
    ),
  );
  return {
    title: 'Step Functions mode vs the LangGraph engine: cost per 1M runs (us-east-1)',
    header: [
      'workflow',
      'status SFN / engine',
      'SFN transitions',
      'bridge Lambdas (cmd/req/steps/reply)',
      'SQS messages',
      'token table req (WRU/RRU)',
      'SFN $/1M',
      'engine $/1M',
      'SFN / engine',
    ],
    rows,
    notes: [
      ...breakdown,
      'Assumptions (region us-east-1, list prices of scripts/bench/cost/price-model.ts):',
      `- Step Functions Standard $${(p.stepFunctionsTransition * 1e6).toFixed(0)}/M transitions: states entered ` +
        'and retries as aws-local-stepfunctions executed them (its event log), plus 2 per execution (start, ' +
        'end), as the performance bench counts them. Callbacks (SendTaskSuccess) and timeouts are not billed.',
      `- Children (${withChildren.join(', ') || 'none here'}): in Step Functions mode each sub_workflow step and ` +
        "each map item is a nested execution (startExecution.sync:2) of the child's own state machine, run by " +
        'the harness with the same capabilities and token table; each bills its own transitions (+2, its ' +
        'start and end), and its bridge Lambdas, messages and token-table requests are summed into the ' +
        "parent's row (children's children too). The command Lambda runs once, for the parent: Step " +
        'Functions starts nested executions itself. On the engine the children, deployed beside the parent ' +
        'in the definitions bucket (under their definition_key, default `<workflow_id>.yaml`), run as ' +
        'instances of their own on the same tables and queues; the run is metered from its START until ' +
        'nothing is left to deliver (the parent ended), so their requests are in its row.',
      `- Bridge Lambdas arm64 at ${memory.bridges} MB (infra StepFunctionsEngine), $${p.lambdaGbSecond}/GB-s times ` +
        `the real handlers' wall time in this process, plus $${(p.lambdaRequest * 1e6).toFixed(2)}/M invocations: ` +
        'command 1 per run (the real CommandBridge; its StartExecution answered in-process, no network), ' +
        'request 1 per async_request attempt, steps 1 per other Lambda task attempt, reply 1 per reply.',
      '- Task token table: the real DynamoDbTaskTokenStore on the embedded DynamoDB, requests and units ' +
        `metered as the engine's (DynamoDB on-demand $${(p.dynamodbWriteUnit * 1e6).toFixed(3)}/M WRU, ` +
        `$${(p.dynamodbReadUnit * 1e6).toFixed(3)}/M RRU).`,
      `- SQS $${(p.sqsRequest * 1e6).toFixed(2)}/M requests. Messages counted (START, capability requests, ` +
        `replies), each priced as ${SQS_REQUESTS_PER_MESSAGE} requests (send, receive, delete; batches of one): ` +
        "a model, as the harness carries them in memory. The engine's column is measured on its SQS client.",
      '- Engine: figure 6 of `pnpm bench` (the same MeteredEngine and measureCostPerRun: DynamoDB, SQS, S3, ' +
        `EventBridge Scheduler, Lambda at ${memory.orchestrator} MB), capabilities answering SUCCESS after 1 s.`,
      '- Both modes: one run per workflow after a warm-up run, every capability answering SUCCESS with a value ' +
        'for each expected key; context shipmentId, originCountry, destinationCountry' +
        (ownContexts.length > 0
          ? `, except ${ownContexts.join(', ')}: its own start context (${LANGUAGE_V2.contextFile}).`
          : '.'),
      `- Waits (${waits.join(', ') || 'none'}): run as written, a Wait state on aws-local-stepfunctions (in real ` +
        'time, no wait override), on the engine its timer (an SQS-delayed TIMER_FIRED or an EventBridge schedule) ' +
        "delivered at its time on the bench's clock, which jumps to it.",
    ],
  };
}

async function main(): Promise<number> {
  const began = performance.now();
  const date = new Date();
  const machine = `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 1024 ** 3)} GB, Node ${process.version}`;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    `pnpm bench:modes, ${date.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine}, load average ` +
      loadavg()
        .map((l) => l.toFixed(2))
        .join(' '),
  );
  const workflows = modesWorkflows();
  const memory = { bridges: bridgeMemoryMb(), orchestrator: orchestratorMemoryMb() };
  let servers: LocalServers | undefined;
  let engine: MeteredEngine | undefined;
  try {
    servers = await startServerProcess();
    await measureStepFunctionsMode(servers, workflows, memory.bridges, 'bench-modes-warm');
    const sfn = await measureStepFunctionsMode(servers, workflows, memory.bridges);
    for (const run of sfn)
      if (run.error) say(`(warning) ${run.workflow} failed in Step Functions mode: ${run.error}`);
    // Timers as deployed on AWS: EventBridge Scheduler for waits over 15 minutes (as figure 6).
    engine = await MeteredEngine.start({ servers, timers: 'eventbridge' });
    await warmUp(engine, workflows);
    const ours = await measureCostPerRun(engine, workflows, memory.orchestrator);
    for (const run of ours.runs)
      if (run.status !== 'SUCCEEDED') say(`(warning) ${run.workflow} ended ${run.status} on the engine`);
    const section = modesSection(workflows, sfn, ours.runs, memory);
    say('');
    say(renderSection(section));
    const seconds = (performance.now() - began) / 1000;
    say('');
    say(`Done in ${seconds.toFixed(0)} s.`);
    const file = join(REPO_ROOT, '.bench', `modes-${date.toISOString().replace(/[:.]/g, '-')}.json`);
    mkdirSync(join(REPO_ROOT, '.bench'), { recursive: true });
    writeFileSync(
      file,
      JSON.stringify({ date: date.toISOString(), machine, seconds, section, sfn, engine: ours }, null, 2),
    );
    say(`Results: ${file}`);
    return 0;
  } finally {
    await engine?.stop();
    await servers?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench:modes: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
