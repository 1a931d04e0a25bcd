import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDbInstanceStore } from '../../orchestrator/src/aws/dynamodb-instance-store';
import type { CapabilityMocks } from '../../orchestrator/src/capability-mocks/capability-mocks';
import { validateDefinition } from '../../orchestrator/src/definition/validate-definition';
import type { WorkflowDefinition } from '../../orchestrator/src/definition/workflow-schema';
import { systemClock } from '../../orchestrator/src/graph/engine-dependencies';
import { isTerminal, type InstanceRecord } from '../../orchestrator/src/runtime/instance-record';
import { startLocalServers, type LocalServers } from '../local-aws/local-servers';
import { fileLogSink } from '../local-aws/log-sink';
import { QUEUE_SETTINGS, REPO_ROOT } from '../local-aws/provision-local';
import { existingCapabilityDomains } from '../local-aws/resolve-local-resources';
import { WorkerProcess, workerEnvironment } from '../local-aws/worker-process';

/**
 * `pnpm bench:chaos`: N instances of the fan-out and the seed workflow (half each) through the real local
 * queues, every capability reply delivered twice and the replies shuffled by random delays, while two
 * worker processes (scripts/worker.ts) consume the same queues and one of them is killed with SIGKILL every
 * 1-3 s and restarted. Then the same without kills, for comparison. Counts what must never happen:
 * instances not terminal (stuck or lost), replies applied twice, joins run twice, messages dead-lettered.
 * Exits 1 when any of those is not zero.
 *
 * "Applied twice" is read from each instance's status record: its history has one entry per execution of
 * a node, and every node of these two workflows runs at most once, so two entries for a node mean a reply
 * applied twice (an async_request), a join run twice, or another step run twice.
 */

const WORKFLOWS = ['fanout_a_b_c_v1', 'import_vn_memphis_v1'] as const;
const DEAD_LETTER_REASON = 'cch-dead-letter-reason';
const USAGE =
  'usage: pnpm bench:chaos [--instances N] [--baseline-instances N] [--no-kills] [--lease-seconds S]\n' +
  '                        [--visibility-seconds S] [--stall-seconds S] [--timeout-seconds S] [--seed N]\n' +
  '                        [--concurrency N]';

interface BenchOptions {
  readonly instances: number;
  readonly baselineInstances: number;
  readonly kills: boolean;
  readonly leaseSeconds: number;
  readonly visibilitySeconds: number;
  /** A phase gives up when no instance ended for this long. */
  readonly stallSeconds: number;
  /** A phase's hard bound. */
  readonly timeoutSeconds: number;
  readonly seed: number;
  /** Batches each worker has in hand at once per orchestrator queue. */
  readonly concurrency: number;
}

interface PhaseResult {
  readonly name: string;
  readonly instances: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly notTerminal: number;
  readonly neverStarted: number;
  readonly repliesAppliedTwice: number;
  readonly joinsRunTwice: number;
  readonly otherStepsTwice: number;
  /** Open waits the engine lost without an answer: its `wait vanished` error lines in the workers' log. */
  readonly waitsVanished: number;
  /** Per DLQ name: messages, and how many of them gave each reason. */
  readonly deadLetters: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly kills: number;
  readonly seconds: number;
  readonly instancesPerSecond: number;
  readonly uncleanStops: number;
  readonly logFile: string;
  /** A few instances that did not end, for the logs. */
  readonly stuckExamples: readonly string[];
}

async function main(): Promise<number> {
  const options = parseOptions();
  if (!options) return 0;
  const runDir = join(REPO_ROOT, '.local-aws', `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(runDir, { recursive: true });
  const random = mulberry32(options.seed);
  const mocksFile = join(runDir, 'mocks.json');
  writeFileSync(mocksFile, JSON.stringify(shuffledDuplicateReplies(random), null, 2));
  say(
    `chaos bench: ${options.instances} instances (${WORKFLOWS.join(', ')}, half each), every reply twice ` +
      `with 0-3 s random delays, 2 worker processes of ${options.concurrency} batches per queue, lease ${options.leaseSeconds} s, visibility ` +
      `${options.visibilitySeconds} s, seed ${options.seed}; run files in ${runDir}`,
  );

  const results: PhaseResult[] = [];
  if (options.kills) {
    results.push(await runPhase('with kills', options.instances, true, options, random, runDir, mocksFile));
  }
  if (!options.kills || options.baselineInstances > 0) {
    const n = options.kills ? options.baselineInstances : options.instances;
    results.push(await runPhase('no kills', n, false, options, random, runDir, mocksFile));
  }
  printTable(results);
  const bad = results.some(
    (r) =>
      r.failed +
        r.notTerminal +
        r.repliesAppliedTwice +
        r.joinsRunTwice +
        r.otherStepsTwice +
        r.waitsVanished +
        dlqTotal(r.deadLetters) >
      0,
  );
  say(bad ? 'FAIL: something was stuck, lost, failed or doubled' : 'OK: nothing stuck, lost or doubled');
  return bad ? 1 : 0;
}

class UsageError extends Error {
  override name = 'UsageError';
}

/** The options, or undefined when only the usage was asked for. */
function parseOptions(): BenchOptions | undefined {
  const { values } = parseArgs({
    options: {
      instances: { type: 'string', default: '500' },
      'baseline-instances': { type: 'string' },
      'no-kills': { type: 'boolean', default: false },
      'lease-seconds': { type: 'string', default: '5' },
      'visibility-seconds': { type: 'string', default: String(QUEUE_SETTINGS.visibilityTimeoutSeconds) },
      'stall-seconds': { type: 'string', default: '60' },
      'timeout-seconds': { type: 'string', default: '600' },
      seed: { type: 'string', default: String(Date.now() % 100_000) },
      concurrency: { type: 'string', default: '2' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    say(USAGE);
    return undefined;
  }
  const whole = (name: string, text: string | undefined, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min)
      throw new UsageError(`--${name} must be a whole number >= ${min}\n${USAGE}`);
    return n;
  };
  const instances = whole('instances', values.instances, 2);
  return {
    instances,
    baselineInstances: whole('baseline-instances', values['baseline-instances'] ?? String(instances), 0),
    kills: !values['no-kills'],
    leaseSeconds: whole('lease-seconds', values['lease-seconds'], 1),
    visibilitySeconds: whole('visibility-seconds', values['visibility-seconds'], 1),
    stallSeconds: whole('stall-seconds', values['stall-seconds'], 5),
    timeoutSeconds: whole('timeout-seconds', values['timeout-seconds'], 10),
    seed: whole('seed', values.seed, 0),
    concurrency: whole('concurrency', values.concurrency, 1),
  };
}

/**
 * Every capability replies twice (`duplicates: 1`) after a random 0-3 s, so the replies of one instance
 * arrive in a random order. The mocks language gives each capability a list used call by call.
 */
function shuffledDuplicateReplies(random: () => number): CapabilityMocks {
  const ids = new Set<string>();
  for (const workflow of WORKFLOWS) {
    for (const node of Object.values(loadDefinition(workflow).nodes)) {
      if (node.type === 'async_request') ids.add(node.capability_id);
    }
  }
  const delays = [undefined, '1s', '2s', '3s'];
  return Object.fromEntries(
    [...ids].map((id) => [
      id,
      Array.from({ length: 97 }, () => {
        const delay = delays[Math.floor(random() * delays.length)];
        return delay === undefined ? { duplicates: 1 } : { duplicates: 1, delay };
      }),
    ]),
  );
}

async function runPhase(
  name: string,
  instances: number,
  kills: boolean,
  options: BenchOptions,
  random: () => number,
  runDir: string,
  mocksFile: string,
): Promise<PhaseResult> {
  say(`\n== ${name}: ${instances} instances`);
  const logFile = join(runDir, `${name.replace(/\W+/g, '-')}.log`);
  const servers = await startLocalServers({
    ports: { dynamodb: 0, sqs: 0, s3: 0 },
    queueSettings: { visibilityTimeoutSeconds: options.visibilitySeconds },
    log: fileLogSink(logFile),
  });
  const { aws, resources } = servers;
  const sqs = new SQSClient(aws.clientConfig.sqs);
  const dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
  const store = new DynamoDbInstanceStore(dynamodb, resources.names.stateTable, systemClock);
  const env = workerEnvironment(aws, resources.stage, {
    CCH_LOG_FILE: logFile,
    CCH_LEASE_TTL_SECONDS: String(options.leaseSeconds),
    CCH_BUSY_RETRY_SECONDS: '1',
    CCH_NOT_READY_RETRY_SECONDS: '1',
    CCH_MOCK_SCENARIOS: mocksFile,
    CCH_WORKER_CONCURRENCY: String(options.concurrency),
  });
  const pool = new WorkerPool(env);
  // Ctrl-C must not leave worker processes polling a dead stack.
  const onSignal = (signal: NodeJS.Signals) => {
    say(`\n${signal}: killing the workers and stopping the servers`);
    void pool
      .killAll()
      .then(() => servers.stop())
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await uploadDefinitions(servers);
    const began = Date.now();
    await Promise.all([pool.spawn(0), pool.spawn(1)]);
    say(`  servers up, 2 workers ready in ${((Date.now() - began) / 1000).toFixed(1)} s`);

    const ids = Array.from({ length: instances }, (_, i) => `chaos-${name.replace(/\W+/g, '-')}-${i}`);
    const workflowOf = (i: number) => WORKFLOWS[i % WORKFLOWS.length] as string;
    const startedAt = Date.now();
    await sendStarts(sqs, resources.commandQueue.url, ids, workflowOf);
    say(`  ${instances} STARTs sent in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);

    const killer = kills ? pool.killEvery(0, 1000, 3000, random) : undefined;
    const pending = new Set(ids);
    const ended = new Map<string, InstanceRecord>();
    const watch = async (phaseLabel: string, stopWhenStalled: number) => {
      let lastProgress = Date.now();
      while (pending.size > 0) {
        await sleep(5000);
        const before = pending.size;
        await mapLimit([...pending], 8, async (id) => {
          const record = await store.get(id);
          if (record && isTerminal(record.status)) {
            ended.set(id, record);
            pending.delete(id);
          }
        });
        if (pending.size < before) lastProgress = Date.now();
        const elapsed = (Date.now() - startedAt) / 1000;
        const failed = [...ended.values()].filter((r) => r.status !== 'SUCCEEDED').length;
        say(
          `  ${elapsed.toFixed(0).padStart(4)} s  ${phaseLabel}: ended ${ended.size}/${instances}` +
            ` (not SUCCEEDED ${failed}), kills ${pool.kills}, workers ready ${pool.readyCount}`,
        );
        if (Date.now() - lastProgress > stopWhenStalled * 1000) break;
        if (elapsed > options.timeoutSeconds) break;
      }
    };
    await watch(kills ? 'killing' : 'running', options.stallSeconds);
    if (killer) {
      await killer.stop();
      // The last kill's messages come back after the visibility timeout and its leases expire: give the
      // survivors time to finish what is merely slow, so only what is really stuck counts as stuck.
      if (pending.size > 0) {
        say(`  kills stopped; ${pending.size} not ended yet, waiting with both workers up`);
        await watch('settling', Math.max(options.stallSeconds, options.visibilitySeconds * 3));
      }
    }
    const endTimes = [...ended.values()].map((r) => Date.parse(r.updated_at));
    const seconds = ((endTimes.length > 0 ? Math.max(...endTimes) : Date.now()) - startedAt) / 1000;
    const uncleanStops = await pool.stopAll();

    // Final reading of every record, including the ones that did not end.
    let neverStarted = 0;
    const records: InstanceRecord[] = [];
    await mapLimit(ids, 8, async (id) => {
      const record = await store.get(id);
      if (record) records.push(record);
      else neverStarted++;
    });
    const twice = countRepeats(records);
    const deadLetters = await drainDeadLetters(sqs, servers);
    const notTerminal = records.filter((r) => !isTerminal(r.status));
    return {
      name,
      instances,
      succeeded: records.filter((r) => r.status === 'SUCCEEDED').length,
      failed: records.filter((r) => isTerminal(r.status) && r.status !== 'SUCCEEDED').length,
      notTerminal: notTerminal.length + neverStarted,
      neverStarted,
      ...twice,
      waitsVanished: vanishedWaitLines(logFile),
      deadLetters,
      kills: pool.kills,
      seconds,
      instancesPerSecond: ended.size / seconds,
      uncleanStops,
      logFile,
      stuckExamples: [
        ...notTerminal.slice(0, 5).map((r) => `${r.instance_id} (${r.status}, waits ${r.waits.length})`),
      ],
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await pool.killAll();
    sqs.destroy();
    dynamodb.destroy();
    await servers.stop();
  }
}

/** Two worker slots, each with one worker process; a killed worker is replaced at once. */
class WorkerPool {
  kills = 0;
  private readonly slots: (WorkerProcess | undefined)[] = [];
  private readonly ready = new Set<WorkerProcess>();

  constructor(private readonly env: Record<string, string>) {}

  get readyCount(): number {
    return this.ready.size;
  }

  async spawn(slot: number): Promise<void> {
    const worker = new WorkerProcess({ env: this.env });
    this.slots[slot] = worker;
    void worker.exited.then(() => this.ready.delete(worker));
    try {
      await worker.ready;
      this.ready.add(worker);
    } catch (error) {
      // Killed while starting: the kill loop's own doing; anything else is worth showing.
      if (worker.running || !/SIGKILL/.test(String(error))) say(`  worker failed to start: ${String(error)}`);
    }
  }

  /**
   * Kills the worker of `slot` with SIGKILL `minMs`-`maxMs` after it became ready, and starts its
   * replacement, again and again until stopped; the other slot's worker runs throughout. So a worker dies
   * every 1-3 s of its life, holding whatever it held, while another carries on beside it.
   */
  killEvery(slot: number, minMs: number, maxMs: number, random: () => number) {
    let running = true;
    const loop = (async () => {
      while (running) {
        const victim = this.slots[slot];
        if (!victim) break;
        if (
          !(await victim.ready.then(
            () => true,
            () => false,
          ))
        ) {
          // It failed to start (spawn said why): try again, without counting a kill.
          await sleep(1000);
          if (running) void this.spawn(slot);
          continue;
        }
        await sleep(minMs + random() * (maxMs - minMs));
        if (!running) break;
        this.ready.delete(victim);
        await victim.kill('SIGKILL');
        this.kills++;
        void this.spawn(slot);
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        // Both slots up again before the phase goes on.
        await Promise.all(
          this.slots.map((worker, slot) =>
            worker && worker.running ? worker.ready.catch(() => this.spawn(slot)) : this.spawn(slot),
          ),
        );
      },
    };
  }

  /** SIGTERM to every worker; returns how many did not exit 0 (a clean stop). */
  async stopAll(): Promise<number> {
    const exits = await Promise.all(
      this.slots.filter((w): w is WorkerProcess => w?.running === true).map((w) => w.kill('SIGTERM')),
    );
    return exits.filter((e) => e.code !== 0).length;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.slots.flatMap((w) => (w ? [w.kill('SIGKILL')] : [])));
  }
}

async function uploadDefinitions(servers: LocalServers): Promise<void> {
  const s3 = new S3Client(servers.aws.clientConfig.s3);
  try {
    for (const workflow of WORKFLOWS) {
      await s3.send(
        new PutObjectCommand({
          Bucket: servers.resources.names.definitionsBucket,
          Key: `${workflow}.yaml`,
          Body: readFileSync(definitionPath(workflow), 'utf8'),
        }),
      );
    }
  } finally {
    s3.destroy();
  }
}

async function sendStarts(
  sqs: SQSClient,
  queueUrl: string,
  ids: readonly string[],
  workflowOf: (i: number) => string,
): Promise<void> {
  const batches: { Id: string; MessageBody: string }[][] = [];
  ids.forEach((id, i) => {
    if (i % 10 === 0) batches.push([]);
    batches[batches.length - 1]?.push({
      Id: String(i % 10),
      MessageBody: JSON.stringify({
        type: 'START_WORKFLOW',
        workflow_id: workflowOf(i),
        instance_id: id,
        context: { shipmentId: `SHP-${i}`, originCountry: 'VN', destinationCountry: 'US' },
      }),
    });
  });
  await mapLimit(batches, 4, async (Entries) => {
    const response = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries }));
    if ((response.Failed ?? []).length > 0)
      throw new Error(`START not sent: ${JSON.stringify(response.Failed)}`);
  });
}

/** Counts (instance, node) pairs with more than one history entry, by the kind of node. */
function countRepeats(records: readonly InstanceRecord[]) {
  const kinds = new Map<string, Map<string, 'reply' | 'join' | 'other'>>();
  for (const workflow of WORKFLOWS) {
    const definition = loadDefinition(workflow);
    const joins = new Set(
      Object.values(definition.nodes).flatMap((n) => (n.type === 'parallel' ? [n.join] : [])),
    );
    kinds.set(
      workflow,
      new Map(
        Object.entries(definition.nodes).map(([node, n]) => [
          node,
          joins.has(node) ? 'join' : n.type === 'async_request' ? 'reply' : 'other',
        ]),
      ),
    );
  }
  const counts = { repliesAppliedTwice: 0, joinsRunTwice: 0, otherStepsTwice: 0 };
  for (const record of records) {
    const perNode = new Map<string, number>();
    for (const entry of record.history) perNode.set(entry.node, (perNode.get(entry.node) ?? 0) + 1);
    for (const [node, n] of perNode) {
      if (n < 2) continue;
      const kind = kinds.get(record.workflow_id)?.get(node) ?? 'other';
      if (kind === 'reply') counts.repliesAppliedTwice++;
      else if (kind === 'join') counts.joinsRunTwice++;
      else counts.otherStepsTwice++;
    }
  }
  return counts;
}

/** Receives (and deletes) everything in every DLQ of the stage, counted by queue and reason attribute. */
async function drainDeadLetters(
  sqs: SQSClient,
  servers: LocalServers,
): Promise<Map<string, Map<string, number>>> {
  const { names, stage } = servers.resources;
  const dlqs = [
    names.commandDlq,
    names.replyDlq,
    ...(await existingCapabilityDomains(sqs, stage)).map((d) => names.capabilityRequestDlq(d)),
  ];
  const result = new Map<string, Map<string, number>>();
  for (const dlq of dlqs) {
    const url = (await sqs.send(new GetQueueUrlCommand({ QueueName: dlq }))).QueueUrl as string;
    const reasons = new Map<string, number>();
    for (;;) {
      const response = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 600,
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = response.Messages ?? [];
      if (messages.length === 0) break;
      for (const m of messages) {
        const reason = m.MessageAttributes?.[DEAD_LETTER_REASON]?.StringValue ?? '(no reason attribute)';
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    result.set(dlq, reasons);
  }
  return result;
}

/** The `wait vanished` lines (orchestrator-runtime's reconcile) in a phase's log of JSON lines. */
function vanishedWaitLines(logFile: string): number {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return 0;
  }
  return text.split('\n').filter((line) => line.includes('"msg":"wait vanished')).length;
}

function printTable(results: readonly PhaseResult[]): void {
  const rows: [string, ...string[]][] = [
    ['', ...results.map((r) => r.name)],
    ['instances', ...results.map((r) => String(r.instances))],
    ['SUCCEEDED', ...results.map((r) => String(r.succeeded))],
    ['FAILED', ...results.map((r) => String(r.failed))],
    ['not terminal', ...results.map((r) => `${r.notTerminal} (never started ${r.neverStarted})`)],
    ['replies applied twice', ...results.map((r) => String(r.repliesAppliedTwice))],
    ['joins run twice', ...results.map((r) => String(r.joinsRunTwice))],
    ['other steps run twice', ...results.map((r) => String(r.otherStepsTwice))],
    ['waits vanished (log)', ...results.map((r) => String(r.waitsVanished))],
    ['messages in DLQs', ...results.map((r) => String(dlqTotal(r.deadLetters)))],
    ['worker kills (SIGKILL)', ...results.map((r) => String(r.kills))],
    ['workers not exiting 0 on SIGTERM', ...results.map((r) => String(r.uncleanStops))],
    ['seconds to last end', ...results.map((r) => r.seconds.toFixed(1))],
    ['instances per second', ...results.map((r) => r.instancesPerSecond.toFixed(2))],
  ];
  const header = rows[0] as [string, ...string[]];
  const widths = header.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  say('');
  for (const [i, row] of rows.entries()) {
    say(`| ${row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`);
    if (i === 0) say(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  }
  for (const r of results) {
    for (const [dlq, reasons] of r.deadLetters) {
      for (const [reason, n] of reasons) say(`  ${r.name}: ${n} in ${dlq}: ${reason}`);
    }
    for (const example of r.stuckExamples) say(`  ${r.name}: not terminal: ${example}`);
    say(`  ${r.name}: worker logs in ${r.logFile}`);
  }
}

const dlqTotal = (deadLetters: PhaseResult['deadLetters']) =>
  [...deadLetters.values()].reduce(
    (sum, reasons) => sum + [...reasons.values()].reduce((a, b) => a + b, 0),
    0,
  );

const definitions = new Map<string, WorkflowDefinition>();
function loadDefinition(workflow: string): WorkflowDefinition {
  const known = definitions.get(workflow);
  if (known) return known;
  const { definition } = validateDefinition(
    `${workflow}.yaml`,
    readFileSync(definitionPath(workflow), 'utf8'),
  );
  if (!definition) throw new Error(`${workflow}.yaml does not validate`);
  definitions.set(workflow, definition);
  return definition;
}

const definitionPath = (workflow: string) => join(REPO_ROOT, 'workflow-definitions', `${workflow}.yaml`);

async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** A small seeded PRNG, so a run's delays and kill times can be replayed with --seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function say(line: string): void {
  process.stdout.write(line + '\n');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`bench:chaos: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `bench:chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
