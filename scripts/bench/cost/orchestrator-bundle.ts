import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { SQSEvent } from 'aws-lambda';
import { DynamoDbInstanceStore } from '../../../orchestrator/src/aws/dynamodb-instance-store';
import { systemClock } from '../../../orchestrator/src/graph/engine-dependencies';
import { exampleText, SHIPMENT_CONTEXT } from '../../../orchestrator/src/runtime/testing/example-workflows';
import type { LocalServers } from '../../local-aws/local-servers';
import { localReplyKeysFile } from '../../local-aws/local-reply-keys';
import { REPO_ROOT } from '../../local-aws/provision-local';
import { workerEnvironment } from '../../local-aws/worker-process';
import { BUNDLING, buildLambdaBundle, ESBUILD_VERSION } from '../../../infra/src/bundling/lambda-bundle';
import { lambdaEntries } from '../../../infra/src/paths';
import { BASELINE_LABEL, ISSUE_10_BASELINE } from './issue-10-baseline';
import { met, num, ratio, type Section } from './report-table';

/*
 * Figure 7: the orchestrator Lambda's bundle, built exactly as the stack deploys it (infra's
 * `buildLambdaBundle`: the BUNDLING settings and the bundling plugins of infra/src/bundling), its size and
 * what is inside (esbuild's metafile); cold `require` in a fresh node process against a LangGraph-only
 * bundle built the same way; and the time from a cold process to the first START handled, against the
 * running servers.
 */

const MAX_BYTES = 1.5 * 1024 * 1024;
const COLD_RATIO_TARGET = 1.5;
const REQUIRE_RUNS = 7;
const START_RUNS = 3;

/** What the bench uses of esbuild's metafile. */
interface Metafile {
  readonly inputs: Record<string, unknown>;
  readonly outputs: Record<string, { readonly inputs: Record<string, { readonly bytesInOutput: number }> }>;
}

/** A tiny LangGraph application: StateGraph + MemorySaver, a 2-node graph compiled at load. */
const LANGGRAPH_ONLY_ENTRY = `
import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph';
const State = Annotation.Root({ n: Annotation<number>({ reducer: (_a: number, b: number) => b, default: () => 0 }) });
export const graph = new StateGraph(State)
  .addNode('first', (s: { n: number }) => ({ n: s.n + 1 }))
  .addNode('second', (s: { n: number }) => ({ n: s.n + 1 }))
  .addEdge(START, 'first')
  .addEdge('first', 'second')
  .addEdge('second', END)
  .compile({ checkpointer: new MemorySaver() });
`;

/**
 * The LangGraph-only reference plus the three AWS SDK clients every orchestrator message uses, created as
 * the handler creates them at load: how much of the orchestrator's cold require is the SDK.
 */
const LANGGRAPH_AND_SDK_ENTRY = `${LANGGRAPH_ONLY_ENTRY}
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { S3Client } from '@aws-sdk/client-s3';
export const clients = [DynamoDBClient, SQSClient, S3Client].map((C) => new C({ region: 'us-east-1' }));
`;

export interface BundleInfo {
  readonly bytes: number;
  readonly mapBytes: number;
  /** Distinct zod packages (name@version). */
  readonly zodPackages: readonly string[];
  /** Bytes in the output of zod's v3 API, its v4 API, and of v4's locales (a zod 4 package has both APIs). */
  readonly zodBytes: {
    readonly v3: number;
    readonly v4: number;
    readonly locales: number;
    readonly total: number;
  };
  readonly langsmithInside: boolean;
  /** Largest packages by bytes in the output. */
  readonly largest: readonly { readonly name: string; readonly bytes: number }[];
}

export interface ColdTimes {
  readonly requireMs: number;
  readonly requireMsSourceMaps: number;
  readonly processMs: number;
}

export interface BundleResult {
  readonly orchestrator: BundleInfo;
  readonly langGraphOnly: BundleInfo;
  readonly orchestratorCold: ColdTimes;
  readonly langGraphOnlyCold: ColdTimes;
  readonly langGraphAndSdk: BundleInfo;
  readonly langGraphAndSdkCold: ColdTimes;
  readonly firstStart?: {
    readonly sinceProcessStartMs: number;
    readonly requireMs: number;
    readonly handleMs: number;
    readonly wallMs: number;
    readonly status: string;
  };
  readonly firstStartError?: string;
  readonly options: string;
}

/** A reference bundle of `contents`, resolved as the orchestrator's sources are, with the same options. */
function buildReference(contents: string, sourcefile: string, outfile: string) {
  return buildLambdaBundle(
    { stdin: { contents, resolveDir: join(REPO_ROOT, 'orchestrator'), loader: 'ts', sourcefile } },
    outfile,
  );
}

export async function measureBundle(servers: LocalServers | undefined): Promise<BundleResult> {
  const dir = mkdtempSync(join(tmpdir(), 'cch-bench-bundle-'));
  try {
    const orchestratorFile = join(dir, 'orchestrator', 'index.js');
    const orchestrator = await buildLambdaBundle({ entry: lambdaEntries.orchestrator }, orchestratorFile);
    const langGraphFile = join(dir, 'langgraph-only', 'index.js');
    const langGraph = await buildReference(LANGGRAPH_ONLY_ENTRY, 'langgraph-only.ts', langGraphFile);
    const sdkFile = join(dir, 'langgraph-and-sdk', 'index.js');
    const withSdk = await buildReference(LANGGRAPH_AND_SDK_ENTRY, 'langgraph-and-sdk.ts', sdkFile);
    const orchestratorCold: number[][] = [];
    const langGraphCold: number[][] = [];
    const sdkCold: number[][] = [];
    for (let run = 0; run < REQUIRE_RUNS; run += 1) {
      orchestratorCold.push(await coldRequire(orchestratorFile));
      langGraphCold.push(await coldRequire(langGraphFile));
      sdkCold.push(await coldRequire(sdkFile));
    }
    let firstStart: BundleResult['firstStart'];
    let firstStartError: string | undefined;
    if (servers) {
      try {
        firstStart = await measureFirstStart(orchestratorFile, servers);
      } catch (error) {
        firstStartError = error instanceof Error ? error.message : String(error);
      }
    } else {
      firstStartError = 'no servers to run it against';
    }
    return {
      orchestrator: describe(orchestrator.metafile, orchestratorFile),
      langGraphOnly: describe(langGraph.metafile, langGraphFile),
      orchestratorCold: medians(orchestratorCold),
      langGraphOnlyCold: medians(langGraphCold),
      langGraphAndSdk: describe(withSdk.metafile, sdkFile),
      langGraphAndSdkCold: medians(sdkCold),
      ...(firstStart ? { firstStart } : {}),
      ...(firstStartError ? { firstStartError } : {}),
      options:
        `esbuild ${ESBUILD_VERSION}: bundle, platform ${BUNDLING.platform}, target ${BUNDLING.target}, ` +
        `${BUNDLING.format}, minify ${BUNDLING.minify}, sourcemap ${BUNDLING.sourcemap} ` +
        `(sources ${BUNDLING.sourcesContent ? 'in' : 'out'}), main fields ${BUNDLING.mainFields.join(',')}, ` +
        `plugins of infra/src/bundling (langsmith stub, module replacements, zod namespace imports)`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function describe(metafile: Metafile, outfile: string): BundleInfo {
  const inputs = Object.keys(metafile.inputs);
  const zodPackages = new Set<string>();
  for (const path of inputs) {
    const match = /(?:^|\/)zod@([^/]+)\/node_modules\/zod\//.exec(path);
    if (match) zodPackages.add(`zod@${match[1]?.split('_')[0]}`);
    else if (/node_modules\/zod\//.test(path)) zodPackages.add('zod');
  }
  const langsmithInside = inputs.some((p) => /(?:^|\/)langsmith[@/]/.test(p));
  const output = Object.entries(metafile.outputs).find(([path]) => path.endsWith('.js'))?.[1];
  const byPackage = new Map<string, number>();
  const zodBytes = { v3: 0, v4: 0, locales: 0, total: 0 };
  for (const [path, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    if (/node_modules\/zod\//.test(path)) {
      zodBytes.total += bytesInOutput;
      if (/\/zod\/v3\//.test(path) || /zod@3\./.test(path)) zodBytes.v3 += bytesInOutput;
      if (/\/zod\/v4\//.test(path)) zodBytes.v4 += bytesInOutput;
      if (/\/zod\/v4\/locales\//.test(path)) zodBytes.locales += bytesInOutput;
    }
    const parts = path.split('node_modules/');
    const last = parts.length > 1 ? (parts[parts.length - 1] ?? '') : '';
    const name =
      last === ''
        ? '(project sources)'
        : last.startsWith('@')
          ? last.split('/').slice(0, 2).join('/')
          : (last.split('/')[0] ?? '');
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const largest = [...byPackage.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([name, bytes]) => ({ name, bytes }));
  return {
    bytes: statSync(outfile).size,
    mapBytes: statSync(`${outfile}.map`, { throwIfNoEntry: false })?.size ?? 0,
    zodPackages: [...zodPackages].sort(),
    zodBytes,
    langsmithInside,
    largest,
  };
}

/** [require ms, require ms with --enable-source-maps, process wall ms] of one fresh process each. */
async function coldRequire(file: string): Promise<number[]> {
  const script =
    "const t=performance.now();require(process.argv[1]);process.stdout.write('BENCH_RESULT '+JSON.stringify({ms:performance.now()-t})+'\\n')";
  const plain = await runNode(['-e', script, file], {});
  const maps = await runNode(['--enable-source-maps', '-e', script, file], {});
  return [plain.result.ms as number, maps.result.ms as number, plain.wallMs];
}

function medians(runs: number[][]): ColdTimes {
  const median = (i: number) => {
    const values = runs.map((r) => r[i] ?? NaN).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)] ?? NaN;
  };
  return { requireMs: median(0), requireMsSourceMaps: median(1), processMs: median(2) };
}

/** Runs node with `args`; resolves with the JSON after `BENCH_RESULT ` on its stdout and the wall time. */
function runNode(
  args: string[],
  env: Record<string, string>,
): Promise<{ result: Record<string, unknown>; wallMs: number; output: string }> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('exit', (code) => {
      const wallMs = performance.now() - began;
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (!line) {
        reject(
          new Error(
            `node ${args[0]} exited ${code} without a result: ${err.slice(-2000) || out.slice(-2000)}`,
          ),
        );
        return;
      }
      resolve({
        result: JSON.parse(line.slice('BENCH_RESULT '.length)) as Record<string, unknown>,
        wallMs,
        output: out,
      });
    });
  });
}

/**
 * A fresh node process that requires the bundle and hands its handler one START_WORKFLOW record, as the
 * Lambda's first invocation would, against the running servers; as deployed (NODE_OPTIONS
 * --enable-source-maps). Median of START_RUNS processes.
 */
async function measureFirstStart(
  bundle: string,
  servers: LocalServers,
): Promise<NonNullable<BundleResult['firstStart']>> {
  const { aws, resources } = servers;
  const s3 = new S3Client(aws.clientConfig.s3);
  const dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: resources.names.definitionsBucket,
        Key: 'fanout_a_b_c_v1.yaml',
        Body: exampleText('fanout_a_b_c_v1'),
      }),
    );
    const script = [
      'const t0=performance.now();',
      'const {handler}=require(process.argv[1]);',
      'const t1=performance.now();',
      'handler(JSON.parse(process.env.BENCH_EVENT)).then((r)=>{const t2=performance.now();',
      "process.stdout.write('BENCH_RESULT '+JSON.stringify({requireMs:t1-t0,handleMs:t2-t1,sinceStartMs:t2,failures:r.batchItemFailures.length})+'\\n');process.exit(0)},",
      '(e)=>{console.error(e);process.exit(1)});',
    ].join('');
    const runs: { sinceStartMs: number; requireMs: number; handleMs: number; wallMs: number }[] = [];
    let status = 'missing';
    for (let run = 0; run < START_RUNS; run += 1) {
      const instanceId = `bench-cold-start-${randomUUID()}`;
      const event: SQSEvent = {
        Records: [
          {
            messageId: randomUUID(),
            receiptHandle: 'bench',
            body: JSON.stringify({
              type: 'START_WORKFLOW',
              workflow_id: 'fanout_a_b_c_v1',
              instance_id: instanceId,
              context: SHIPMENT_CONTEXT,
            }),
            attributes: {
              ApproximateReceiveCount: '1',
              SentTimestamp: String(Date.now()),
              SenderId: 'bench',
              ApproximateFirstReceiveTimestamp: String(Date.now()),
            },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: resources.commandQueue.arn,
            awsRegion: 'us-east-1',
          },
        ],
      };
      const { result, wallMs, output } = await runNode(['-e', script, bundle], {
        ...workerEnvironment(aws, resources.stage),
        // The Lambda reads its reply keys from Secrets Manager; the local stack's are in its key file.
        CCH_REPLY_KEYS:
          process.env.CCH_REPLY_KEYS ?? readFileSync(localReplyKeysFile(resources.stage), 'utf8'),
        NODE_OPTIONS: '--enable-source-maps',
        BENCH_EVENT: JSON.stringify(event),
      });
      if (result.failures !== 0) {
        // The handler's log lines (pino, on stdout) say why.
        const log = output.split('\n').filter((l) => l !== '' && !l.startsWith('BENCH_RESULT '));
        throw new Error(
          `the handler reported the START as failed; its last log lines: ${log.slice(-3).join(' ')}`,
        );
      }
      runs.push({
        sinceStartMs: result.sinceStartMs as number,
        requireMs: result.requireMs as number,
        handleMs: result.handleMs as number,
        wallMs,
      });
      const store = new DynamoDbInstanceStore(dynamodb, resources.names.stateTable, systemClock);
      status = (await store.get(instanceId))?.status ?? 'missing';
    }
    runs.sort((a, b) => a.sinceStartMs - b.sinceStartMs);
    const median = runs[Math.floor(runs.length / 2)] as (typeof runs)[number];
    return {
      sinceProcessStartMs: median.sinceStartMs,
      requireMs: median.requireMs,
      handleMs: median.handleMs,
      wallMs: median.wallMs,
      status,
    };
  } finally {
    s3.destroy();
    dynamodb.destroy();
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

export function bundleSection(result: BundleResult): Section {
  const o = result.orchestrator;
  const l = result.langGraphOnly;
  const oc = result.orchestratorCold;
  const lc = result.langGraphOnlyCold;
  const b = ISSUE_10_BASELINE.bundle;
  const coldRatio = oc.requireMs / lc.requireMs;
  const rows = [
    [
      'orchestrator bundle size (minified)',
      mb(o.bytes),
      `${b.megabytes.toFixed(2)} MB`,
      ratio(o.bytes / 1024 / 1024, b.megabytes),
      `<= 1.5 MB: ${met(o.bytes <= MAX_BYTES)}`,
    ],
    [
      'zod inside',
      `${o.zodPackages.join(', ')}: ${(o.zodBytes.total / 1024).toFixed(0)} KB, v3 API ${(o.zodBytes.v3 / 1024).toFixed(0)} KB`,
      'zod 3 and 4 both',
      '-',
      `one zod: ${met(o.zodPackages.length <= 1)}`,
    ],
    [
      'langsmith inside',
      o.langsmithInside ? 'yes' : 'no',
      'yes',
      '-',
      `no unused tracing: ${met(!o.langsmithInside)}`,
    ],
    [
      'cold require, orchestrator (median)',
      `${num(oc.requireMs, 1)} ms`,
      `${b.coldRequireMs} ms`,
      ratio(oc.requireMs, b.coldRequireMs),
      '',
    ],
    [
      'cold require, LangGraph-only bundle',
      `${num(lc.requireMs, 1)} ms`,
      `${b.langGraphOnlyColdRequireMs} ms`,
      ratio(lc.requireMs, b.langGraphOnlyColdRequireMs),
      '',
    ],
    [
      'cold require, orchestrator / LangGraph-only',
      `${coldRatio.toFixed(2)}x`,
      `${(b.coldRequireMs / b.langGraphOnlyColdRequireMs).toFixed(2)}x`,
      '-',
      `<= ${COLD_RATIO_TARGET}x: ${met(coldRatio <= COLD_RATIO_TARGET)}`,
    ],
    [
      'cold require, LangGraph + 3 AWS SDK clients',
      `${num(result.langGraphAndSdkCold.requireMs, 1)} ms (${mb(result.langGraphAndSdk.bytes)})`,
      '-',
      '-',
      '',
    ],
    [
      'orchestrator / (LangGraph + AWS SDK clients)',
      `${(oc.requireMs / result.langGraphAndSdkCold.requireMs).toFixed(2)}x`,
      '-',
      '-',
      'reported',
    ],
    [
      '  the same with --enable-source-maps',
      `${num(oc.requireMsSourceMaps, 1)} / ${num(lc.requireMsSourceMaps, 1)} ms`,
      '-',
      `${(oc.requireMsSourceMaps / lc.requireMsSourceMaps).toFixed(2)}x`,
      '',
    ],
    [
      'node process, start to exit after require',
      `${num(oc.processMs, 0)} / ${num(lc.processMs, 0)} ms`,
      '-',
      '-',
      '',
    ],
  ];
  if (result.firstStart) {
    const f = result.firstStart;
    rows.push([
      'cold process to first START handled',
      `${num(f.sinceProcessStartMs, 0)} ms`,
      '-',
      '-',
      `require ${num(f.requireMs, 0)} + handle ${num(f.handleMs, 0)} ms; instance ${f.status}`,
    ]);
  }
  const notes = [
    `${result.options}; the LangGraph-only bundle: StateGraph + MemorySaver, a 2-node graph compiled at load.`,
    `Sizes: orchestrator ${mb(o.bytes)} (+ ${mb(o.mapBytes)} source map), LangGraph-only ${mb(l.bytes)}. ` +
      `zod: v4 API ${(o.zodBytes.v4 / 1024).toFixed(0)} KB of which locales ${(o.zodBytes.locales / 1024).toFixed(0)} KB, ` +
      `v3 API ${(o.zodBytes.v3 / 1024).toFixed(0)} KB. Largest in the orchestrator: ${o.largest.map((p) => `${p.name} ${(p.bytes / 1024).toFixed(0)} KB`).join(', ')}.`,
    `Cold require: \`require()\` of the bundle in a fresh \`node\` (no flags), median of ${REQUIRE_RUNS} alternating runs. ` +
      `First START: a fresh node with NODE_OPTIONS=--enable-source-maps as deployed, the handler given one START_WORKFLOW ` +
      `record (fanout_a_b_c_v1) against the embedded servers, median of ${START_RUNS}; time since the process started.`,
    `${BASELINE_LABEL}: 2.65 MB (zod 3 and 4 both, langsmith, ...); cold require 132 ms vs 50 ms.`,
  ];
  if (o.zodPackages.length === 1 && o.zodBytes.v3 > 0) {
    notes.push(
      `One zod package (the baseline had zod 3 and zod 4 both); its v3 API (zod/v3 inside ${o.zodPackages[0]}) ` +
        'is in because @langchain/core imports it (runnables, tools, its zod-to-json-schema) and LangGraph ' +
        'builds MessagesZodState with it at load: it is in every bundle of LangGraph, the LangGraph-only one too.',
    );
  }
  if (result.firstStartError) notes.push(`First START not measured: ${result.firstStartError}`);
  return {
    title: '7. Orchestrator bundle and cold start',
    header: ['figure', 'now', 'baseline', 'now / baseline', 'target'],
    rows,
    notes,
  };
}
