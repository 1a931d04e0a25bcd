/*
 * `pnpm bench:checkpoint`: cost and latency of checkpoint savers on the same 20-step workflow, with a 2 KB
 * and a 100 KB context, in one run against one in-process dynalite.
 *
 * Measured per saver and context size:
 * - latency (median, p95) of put, putWrites and getTuple (the calls LangGraph makes during the run, plus
 *   getTuple of every checkpoint of the thread and 20 reads of the latest);
 * - write units and bytes per step: DynamoDB-based savers are measured the same way, by SDK middleware on
 *   their client sizing every item of every write request (write units = ceil(item bytes / 1 KB) per
 *   item); the in-process savers report the growth of what they store (no write units).
 * Ratios compare each saver to the published DynamoDB peer, @rwai/langgraphjs-checkpoint-dynamodb.
 *
 * Then, one small key of a large context changing (issue 10: "bytes written per step proportional to what
 * the step changed"): an engine-shaped `context` channel (a JSON object merged by a reducer) of 1 KB,
 * 100 KB and 1 MB, 50 steps each setting one key (`status`, the same key every step; and, as a second
 * pattern, a new key every step), on DynamoDBSaver as it is (deltas) and with `deltas: false` (each
 * changed value stored whole, as before deltas). Per step: write units and bytes, measured as above, and
 * what a new process reading the latest checkpoint fetches (items, bytes, read units: strongly
 * consistent, ceil(item bytes / 4 KB) per item fetched, ceil(sum / 4 KB) per query page).
 * `--deltas-only` runs only this part.
 */
import {
  CreateTableCommand,
  type AttributeValue,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  type GetItemCommandOutput,
  type QueryCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { Annotation, END, START, StateGraph, type BaseCheckpointSaver } from '@langchain/langgraph';
import { MemorySaver } from '@langchain/langgraph-checkpoint';
import { performance } from 'node:perf_hooks';
import { createCheckpointTable } from '../../src/checkpoint/create-checkpoint-table';
import { DynamoDBSaver } from '../../src/checkpoint/dynamodb-saver';
import { itemSizeBytes } from '../../src/checkpoint/item-size';
import { startDynalite, type DynaliteServer } from '../support/dynalite-server';
import { STEPS, compileBenchWorkflow, contextOfSize } from './bench-workflow';
import { meterWrites } from './write-meter';

type Method = 'put' | 'putWrites' | 'getTuple';

interface Written {
  readonly bytes: number;
  /** Write units, for DynamoDB-based savers only. */
  readonly units?: number;
}

interface SaverUnderTest {
  readonly name: string;
  readonly saver: BaseCheckpointSaver;
  /** Cumulative bytes (and write units) written by this saver so far. */
  readonly written: () => Written;
}

interface Result {
  readonly saver: string;
  readonly context: string;
  readonly latency: Record<Method, number[]>;
  /** What each node step wrote: from the end of one put to the end of the next, over all runs. */
  readonly steps: Written[];
  /** What one run wrote, input included (mean over the runs). */
  readonly total: Written;
}

const CONTEXTS = [
  { label: '2 KB', bytes: 2 * 1024 },
  { label: '100 KB', bytes: 100 * 1024 },
] as const;
const PEER = '@rwai/langgraphjs-checkpoint-dynamodb';
/** Workflow runs per saver and context: latency samples are pooled over them. */
const RUNS = 3;

async function main(): Promise<void> {
  const started = performance.now();
  const server = await startDynalite();
  const notes: string[] = [];
  try {
    if (process.argv.includes('--deltas-only')) {
      printContextReport(await measureContexts(server), performance.now() - started);
      return;
    }
    const savers: SaverUnderTest[] = [await dynamoDBSaver(server)];
    const peer = await tryCreate(PEER, () => peerSaver(server), notes);
    if (peer) savers.push(peer);
    savers.push(memorySaver());
    const sqlite = await tryCreate('SqliteSaver', sqliteSaver, notes);
    if (sqlite) savers.push(sqlite);

    const results: Result[] = [];
    for (const subject of [...savers]) {
      try {
        for (let i = 0; i < 3; i += 1)
          await runWorkflow(subject, contextOfSize(CONTEXTS[0].bytes), 'warm-up');
        for (const context of CONTEXTS) {
          results.push(await measure(subject, context.label, contextOfSize(context.bytes), notes));
        }
      } catch (error) {
        notes.push(`${subject.name} could not run the workflow: ${describe(error)}`);
        savers.splice(savers.indexOf(subject), 1);
      }
    }
    printReport(results, notes, performance.now() - started);
    console.log('');
    printContextReport(await measureContexts(server), performance.now() - started);
  } finally {
    await server.close();
  }
}

/** Runs the workflow RUNS times on fresh threads; latency samples are pooled, costs averaged per run. */
async function measure(
  subject: SaverUnderTest,
  label: string,
  context: Record<string, unknown>,
  notes: string[],
): Promise<Result> {
  const latency: Record<Method, number[]> = { put: [], putWrites: [], getTuple: [] };
  const steps: Written[] = [];
  const nodeSteps: Written[] = [];
  const before = subject.written();
  let last = before;
  let puts = 0;
  const restore = instrument(subject.saver, latency, (method) => {
    if (method !== 'put') return;
    const now = subject.written();
    steps.push(difference(now, last));
    last = now;
    puts += 1;
  });
  try {
    for (let run = 0; run < RUNS; run += 1) {
      const putsBefore = puts;
      const threadId = await runWorkflow(subject, context, label);
      // The node steps are the run's last STEPS puts; the first ones store the input.
      nodeSteps.push(...steps.slice(-STEPS));
      const config = { configurable: { thread_id: threadId, checkpoint_ns: '' } };
      const ids: string[] = [];
      for await (const tuple of subject.saver.list(config))
        ids.push(String(tuple.config.configurable?.checkpoint_id));
      if (run === 0 && ids.length !== puts - putsBefore) {
        notes.push(
          `${subject.name} (${label}): list() returned ${ids.length} of the ${puts - putsBefore} checkpoints it stored.`,
        );
      }
      for (const id of ids)
        await subject.saver.getTuple({ configurable: { ...config.configurable, checkpoint_id: id } });
      for (let i = 0; i < 20; i += 1) await subject.saver.getTuple(config);
    }
  } finally {
    restore();
  }
  const total = difference(subject.written(), before);
  return {
    saver: subject.name,
    context: label,
    latency,
    steps: nodeSteps,
    total: { bytes: total.bytes / RUNS, ...(total.units !== undefined ? { units: total.units / RUNS } : {}) },
  };
}

let threadCount = 0;

async function runWorkflow(subject: SaverUnderTest, context: Record<string, unknown>, label: string) {
  threadCount += 1;
  const threadId = `bench-${threadCount}-${label}`;
  const result = await compileBenchWorkflow(subject.saver).invoke(
    { context },
    { configurable: { thread_id: threadId }, durability: 'sync' },
  );
  if (result.history.length !== STEPS)
    throw new Error(`workflow ran ${result.history.length} of ${STEPS} steps`);
  return threadId;
}

/** Times every call of the three methods; `after` runs when a call completes. */
function instrument(
  saver: BaseCheckpointSaver,
  latency: Record<Method, number[]>,
  after: (method: Method) => void,
): () => void {
  const target = saver as unknown as Record<Method, (...args: unknown[]) => Promise<unknown>>;
  const originals = {} as Record<Method, (...args: unknown[]) => Promise<unknown>>;
  for (const method of ['put', 'putWrites', 'getTuple'] as const) {
    const original = target[method];
    originals[method] = original;
    target[method] = async (...args: unknown[]) => {
      const start = performance.now();
      const result = await original.apply(saver, args);
      latency[method].push(performance.now() - start);
      after(method);
      return result;
    };
  }
  return () => {
    for (const method of ['put', 'putWrites', 'getTuple'] as const) target[method] = originals[method];
  };
}

/* ------------------------------------------------------------------------------------------------------
 * The savers
 * ---------------------------------------------------------------------------------------------------- */

function clientConfig(server: DynaliteServer) {
  return {
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'dummy', secretAccessKey: 'dummy' },
  };
}

async function dynamoDBSaver(server: DynaliteServer): Promise<SaverUnderTest> {
  const client = server.createClient();
  const tableName = 'bench-dynamodb-saver';
  await createCheckpointTable(client, tableName);
  const meter = meterWrites(client);
  return {
    name: 'DynamoDBSaver',
    saver: new DynamoDBSaver({ client, tableName }),
    written: () => ({ bytes: meter.totals().bytes, units: meter.totals().writeUnits }),
  };
}

/** The published peer, with the two tables its README asks for, its own client metered the same way. */
async function peerSaver(server: DynaliteServer): Promise<SaverUnderTest> {
  const { DynamoDBSaver: PeerSaver } = await import('@rwai/langgraphjs-checkpoint-dynamodb');
  const setup = server.createClient();
  await createTable(setup, 'bench-peer-checkpoints', 'thread_id', 'checkpoint_id');
  await createTable(setup, 'bench-peer-writes', 'thread_id_checkpoint_id_checkpoint_ns', 'task_id_idx');
  const saver = new PeerSaver({
    clientConfig: clientConfig(server),
    checkpointsTableName: 'bench-peer-checkpoints',
    writesTableName: 'bench-peer-writes',
  });
  // The peer builds its client from `clientConfig` and keeps it private; the meter needs its middleware stack.
  const client = (saver as unknown as { client: DynamoDBClient }).client;
  const meter = meterWrites(client);
  return {
    name: PEER,
    saver: saver as unknown as BaseCheckpointSaver,
    written: () => ({ bytes: meter.totals().bytes, units: meter.totals().writeUnits }),
  };
}

function memorySaver(): SaverUnderTest {
  const saver = new MemorySaver();
  const stored = (value: unknown): number => {
    if (value instanceof Uint8Array) return value.byteLength;
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (value !== null && typeof value === 'object') {
      return Object.values(value as Record<string, unknown>).reduce<number>((sum, v) => sum + stored(v), 0);
    }
    return 0;
  };
  return {
    name: 'MemorySaver',
    saver,
    written: () => ({ bytes: stored(saver.storage) + stored(saver.writes) }),
  };
}

async function sqliteSaver(): Promise<SaverUnderTest> {
  const { SqliteSaver } = await import('@langchain/langgraph-checkpoint-sqlite');
  const saver = SqliteSaver.fromConnString(':memory:');
  const db = saver.db as { prepare(sql: string): { get(): { bytes: number | null } } };
  const sum = (sql: string) => {
    try {
      return db.prepare(sql).get().bytes ?? 0;
    } catch {
      return 0; // tables are created on first use
    }
  };
  return {
    name: 'SqliteSaver (in-memory)',
    // Loaded with import(): typed by the ESM declarations of the base class, the same class at runtime.
    saver: saver as unknown as BaseCheckpointSaver,
    written: () => ({
      bytes:
        sum('SELECT SUM(LENGTH(checkpoint) + LENGTH(metadata)) AS bytes FROM checkpoints') +
        sum('SELECT SUM(LENGTH(value)) AS bytes FROM writes'),
    }),
  };
}

async function createTable(client: DynamoDBClient, name: string, hash: string, range: string) {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: hash, AttributeType: 'S' },
        { AttributeName: range, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: hash, KeyType: 'HASH' },
        { AttributeName: range, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

async function tryCreate(
  name: string,
  create: () => Promise<SaverUnderTest>,
  notes: string[],
): Promise<SaverUnderTest | undefined> {
  try {
    return await create();
  } catch (error) {
    const reason = describe(error).split('\n')[0] ?? '';
    const hint = /bindings file/.test(reason)
      ? ' (better-sqlite3 has no native build: pnpm runs its build script only when better-sqlite3 is in' +
        ' onlyBuiltDependencies of pnpm-workspace.yaml, followed by `pnpm rebuild better-sqlite3`)'
      : '';
    notes.push(`${name} is not measured: ${reason}${hint}`);
    return undefined;
  }
}

/* ------------------------------------------------------------------------------------------------------
 * One key of a large context changing
 * ---------------------------------------------------------------------------------------------------- */

const CONTEXT_STEPS = 50;
const LARGE_CONTEXTS = [
  { label: '1 KB', bytes: 1024 },
  { label: '100 KB', bytes: 100 * 1024 },
  { label: '1 MB', bytes: 1024 * 1024 },
] as const;
type Pattern = 'one key' | 'new key';

interface ContextResult {
  readonly saver: string;
  readonly pattern: Pattern;
  readonly context: string;
  /** What each node step wrote. */
  readonly steps: { bytes: number; units: number }[];
  /** What the input checkpoints wrote (the context stored whole). */
  readonly first: { bytes: number; units: number };
  /** A new process reading the latest checkpoint. */
  readonly read: ReadTotals;
}

const ContextState = Annotation.Root({
  context: Annotation<Record<string, unknown>>({ reducer: (a, b) => ({ ...a, ...b }), default: () => ({}) }),
});

/** CONTEXT_STEPS nodes in a row, each setting one small key of the context. */
function compileContextWorkflow(checkpointer: BaseCheckpointSaver, pattern: Pattern) {
  const graph = new StateGraph(ContextState);
  const name = (step: number) => `step_${String(step).padStart(2, '0')}`;
  for (let step = 1; step <= CONTEXT_STEPS; step += 1) {
    graph.addNode(name(step), () => ({
      context:
        pattern === 'one key'
          ? { status: { node: name(step), state: 'done', at: step } }
          : { [`result_${step}`]: { node: name(step), state: 'done', at: step } },
    }));
  }
  const edges = graph as unknown as { addEdge(from: string, to: string): void };
  edges.addEdge(START, name(1));
  for (let step = 1; step < CONTEXT_STEPS; step += 1) edges.addEdge(name(step), name(step + 1));
  edges.addEdge(name(CONTEXT_STEPS), END);
  return graph.compile({ checkpointer });
}

/** A context of about `bytes` bytes serialized, in keys of about 100 bytes (built in linear time). */
function largeContext(bytes: number): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (let i = 0, length = 2; length < bytes; i += 1) {
    const value = { id: i, label: `value ${i} `.repeat(6), score: i * 1.5 };
    context[`field_${i}`] = value;
    length += `"field_${i}":`.length + JSON.stringify(value).length + 1;
  }
  return context;
}

async function measureContexts(server: DynaliteServer): Promise<ContextResult[]> {
  const results: ContextResult[] = [];
  for (const [saverName, deltas] of [
    ['DynamoDBSaver', true],
    ['DynamoDBSaver, deltas off', false],
  ] as const) {
    const client = server.createClient();
    const tableName = deltas ? 'bench-context-deltas' : 'bench-context-whole';
    await createCheckpointTable(client, tableName);
    const writes = meterWrites(client);
    const reads = meterReads(client);
    const written = () => ({ bytes: writes.totals().bytes, units: writes.totals().writeUnits });
    for (const pattern of ['one key', 'new key'] as const) {
      for (const context of LARGE_CONTEXTS) {
        const saver = new DynamoDBSaver({ client, tableName, ...(deltas ? {} : { deltas: false }) });
        const marks: { bytes: number; units: number }[] = [written()];
        const latency: Record<Method, number[]> = { put: [], putWrites: [], getTuple: [] };
        const restore = instrument(saver, latency, (method) => {
          if (method === 'put') marks.push(written());
        });
        threadCount += 1;
        const threadId = `context-${threadCount}`;
        try {
          await compileContextWorkflow(saver, pattern).invoke(
            { context: largeContext(context.bytes) },
            { configurable: { thread_id: threadId }, durability: 'sync', recursionLimit: CONTEXT_STEPS + 5 },
          );
        } finally {
          restore();
        }
        const diffs = marks.slice(1).map((mark, i) => ({
          bytes: mark.bytes - (marks[i]?.bytes ?? 0),
          units: mark.units - (marks[i]?.units ?? 0),
        }));
        const steps = diffs.slice(-CONTEXT_STEPS);
        const inputs = diffs.slice(0, -CONTEXT_STEPS);
        const before = reads.totals();
        const reader = new DynamoDBSaver({ client, tableName });
        await reader.getTuple({ configurable: { thread_id: threadId, checkpoint_ns: '' } });
        results.push({
          saver: saverName,
          pattern,
          context: context.label,
          steps,
          first: {
            bytes: inputs.reduce((sum, d) => sum + d.bytes, 0),
            units: inputs.reduce((sum, d) => sum + d.units, 0),
          },
          read: subtractReads(reads.totals(), before),
        });
      }
    }
  }
  return results;
}

interface ReadTotals {
  readonly items: number;
  readonly bytes: number;
  readonly units: number;
}

/** Items, bytes and (strongly consistent) read units of what a client's reads return. */
function meterReads(client: DynamoDBClient): { totals(): ReadTotals } {
  let items = 0;
  let bytes = 0;
  let units = 0;
  const fetched = (item: Record<string, AttributeValue>) => {
    const size = itemSizeBytes(item);
    items += 1;
    bytes += size;
    units += Math.max(1, Math.ceil(size / 4096));
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const output = result.output as unknown;
      switch (context.commandName) {
        case 'GetItemCommand': {
          const item = (output as GetItemCommandOutput).Item;
          if (item) fetched(item);
          break;
        }
        case 'BatchGetItemCommand':
          for (const item of Object.values((output as BatchGetItemCommandOutput).Responses ?? {}).flat()) {
            fetched(item);
          }
          break;
        case 'QueryCommand': {
          // A query is billed on the total size of the page.
          const page = (output as QueryCommandOutput).Items ?? [];
          const size = page.reduce((sum, item) => sum + itemSizeBytes(item), 0);
          items += page.length;
          bytes += size;
          units += Math.max(1, Math.ceil(size / 4096));
          break;
        }
      }
      return result;
    },
    { step: 'initialize', name: 'checkpointBenchReadMeter' },
  );
  return { totals: () => ({ items, bytes, units }) };
}

function subtractReads(a: ReadTotals, b: ReadTotals): ReadTotals {
  return { items: a.items - b.items, bytes: a.bytes - b.bytes, units: a.units - b.units };
}

function printContextReport(results: ContextResult[], elapsedMs: number): void {
  const header = [
    'saver',
    'pattern',
    'context',
    'WCU/step',
    'bytes/step',
    'max WCU/step',
    'WCU/step vs 1 KB',
    'input WCU',
    'read latest: items / KB / RCU',
  ];
  const baseline = (result: ContextResult) =>
    results.find((r) => r.saver === result.saver && r.pattern === result.pattern && r.context === '1 KB');
  const table = results.map((result) => {
    const units = mean(result.steps.map((s) => s.units));
    const reference = baseline(result);
    const referenceUnits = reference ? mean(reference.steps.map((s) => s.units)) : NaN;
    return [
      result.saver,
      result.pattern,
      result.context,
      units.toFixed(1),
      formatBytes(mean(result.steps.map((s) => s.bytes))),
      String(Math.max(...result.steps.map((s) => s.units))),
      ratio(units, referenceUnits),
      result.first.units.toFixed(0),
      `${result.read.items} / ${(result.read.bytes / 1024).toFixed(0)} / ${result.read.units}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(
    `One small key of a large context changing: ${CONTEXT_STEPS} steps (durability "sync"), one dynalite.\n` +
      'Per step = mean over the node steps of what each checkpoint wrote (a context channel merged by a\n' +
      'reducer, nothing else changing); "one key" sets the same key every step, "new key" adds one.\n' +
      '"input WCU" is what storing the context whole cost at the start. "read latest" is a new process\'s\n' +
      'getTuple of the last checkpoint: items returned (query page and fetched values/chunks), KB, RCU.',
  );
  console.log('');
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of table) console.log(line(row));
  console.log('');
  console.log(`Total: ${(elapsedMs / 1000).toFixed(1)} s.`);
}

/* ------------------------------------------------------------------------------------------------------
 * Report
 * ---------------------------------------------------------------------------------------------------- */

function printReport(results: Result[], notes: string[], elapsedMs: number): void {
  const rows = results.map((result) => {
    const nodeSteps = result.steps;
    const perStep = mean(nodeSteps.map((s) => s.bytes));
    const unitsPerStep =
      result.total.units === undefined ? undefined : mean(nodeSteps.map((s) => s.units ?? 0));
    return { result, perStep, unitsPerStep };
  });
  const peerOf = (context: string) =>
    rows.find((row) => row.result.saver === PEER && row.result.context === context);
  const header = [
    'saver',
    'context',
    'put p50/p95 ms',
    'putWrites p50/p95 ms',
    'getTuple p50/p95 ms',
    'WCU/step',
    'bytes/step',
    'WCU run',
    'bytes run',
    'WCU/step vs peer',
    'bytes/step vs peer',
  ];
  const table = rows.map(({ result, perStep, unitsPerStep }) => {
    const peer = peerOf(result.context);
    return [
      result.saver,
      result.context,
      latencyCell(result.latency.put),
      latencyCell(result.latency.putWrites),
      latencyCell(result.latency.getTuple),
      unitsPerStep === undefined ? 'n/a' : unitsPerStep.toFixed(1),
      formatBytes(perStep),
      result.total.units === undefined ? 'n/a' : result.total.units.toFixed(0),
      formatBytes(result.total.bytes),
      unitsPerStep === undefined || peer?.unitsPerStep === undefined
        ? 'n/a'
        : ratio(unitsPerStep, peer.unitsPerStep),
      peer === undefined ? 'n/a' : ratio(perStep, peer.perStep),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;

  console.log(`Checkpoint savers on a ${STEPS}-step workflow (durability "sync"), one dynalite, one run.`);
  console.log(
    'Per step = mean over the 20 node steps of what was written from the end of one put to the end of the\n' +
      'next (the node\'s putWrites + its checkpoint); "run" adds the input checkpoints. Each step appends a\n' +
      'history entry and replaces a ~250 B output; the context is written once, at the start.\n' +
      'WCU = sum over written items of ceil(item bytes / 1 KB), measured by SDK middleware on each DynamoDB\n' +
      "saver's client; in-process savers report the growth of what they store, and have no WCU.",
  );
  console.log('');
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of table) console.log(line(row));
  console.log('');
  for (const note of notes) console.log(`Note: ${note}`);
  const samples = results[0]?.latency;
  if (samples) {
    console.log(
      `Latency samples per row: ${samples.put.length} put, ${samples.putWrites.length} putWrites, ` +
        `${samples.getTuple.length} getTuple (${RUNS} runs; fewer getTuple where list() returned fewer).`,
    );
  }
  console.log(`Done in ${(elapsedMs / 1000).toFixed(1)} s.`);
}

function latencyCell(samples: number[]): string {
  if (samples.length === 0) return 'n/a';
  return `${percentile(samples, 50).toFixed(2)} / ${percentile(samples, 95).toFixed(2)}`;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

function ratio(value: number, reference: number): string {
  return reference === 0 ? 'n/a' : `${(value / reference).toFixed(2)}x`;
}

function formatBytes(bytes: number): string {
  return bytes >= 10 * 1024 ? `${(bytes / 1024).toFixed(0)} KB` : `${(bytes / 1024).toFixed(1)} KB`;
}

function difference(a: Written, b: Written): Written {
  return {
    bytes: a.bytes - b.bytes,
    ...(a.units !== undefined && b.units !== undefined ? { units: a.units - b.units } : {}),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
