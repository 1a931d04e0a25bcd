import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDbInstanceStore } from '../../../orchestrator/src/aws/dynamodb-instance-store';
import { systemClock } from '../../../orchestrator/src/graph/engine-dependencies';
import { isTerminal, type InstanceRecord } from '../../../orchestrator/src/runtime/instance-record';
import { exampleText, SHIPMENT_CONTEXT } from '../../../orchestrator/src/runtime/testing/example-workflows';
import type { LocalServers } from '../../local-aws/local-servers';
import { WorkerProcess, workerEnvironment } from '../../local-aws/worker-process';
import { groupCpuSeconds } from './process-cpu';
import { num, ratio, type Section } from './report-table';

/*
 * Figure 8: throughput on the embedded stack. The servers run in their own process; the capability mock
 * in a worker process of its own (scripts/worker.ts --mock-only, every capability answering at once); the
 * orchestrator in 1, 2 or 4 worker processes (scripts/worker.ts --orchestrator-only: Lambda-style pollers
 * on the command and reply queues). Each round sends 16 START_WORKFLOW of the fan-out example at once and
 * ends when all 16 instances ended; instances per second = instances / (last end - first send).
 */

export const WORKER_COUNTS = [1, 2, 4] as const;
const CONCURRENT_STARTS = 16;
const ROUND_TIMEOUT_MS = 60_000;

export interface ThroughputRow {
  readonly workers: number;
  readonly rounds: number;
  readonly instances: number;
  readonly succeeded: number;
  readonly seconds: number;
  /** Undefined when some instance did not end in time. */
  readonly instancesPerSecond?: number;
  /**
   * CPU each process group used over the measured rounds, as a share of one core (1 = one core busy all
   * the time; this machine has `cores`), where /proc could be read.
   */
  readonly cpu?: { readonly servers: number; readonly orchestrators: number; readonly mock: number };
}

export interface ThroughputResult {
  readonly rows: readonly ThroughputRow[];
  readonly cores: number;
  readonly notes: readonly string[];
}

export async function measureThroughput(
  servers: LocalServers & { readonly pid?: number },
  budgetMs: number,
): Promise<ThroughputResult> {
  const began = performance.now();
  const { aws, resources } = servers;
  const logDir = mkdtempSync(join(tmpdir(), 'cch-bench-workers-'));
  const env = workerEnvironment(aws, resources.stage, {
    CCH_LOG_FILE: join(logDir, 'workers.log'),
    CCH_BUSY_RETRY_SECONDS: '1',
    CCH_NOT_READY_RETRY_SECONDS: '1',
  });
  const sqs = new SQSClient(aws.clientConfig.sqs);
  const s3 = new S3Client(aws.clientConfig.s3);
  const dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
  const store = new DynamoDbInstanceStore(dynamodb, resources.names.stateTable, systemClock);
  const workers: WorkerProcess[] = [];
  const rows: ThroughputRow[] = [];
  const notes: string[] = [];
  let round = 0;
  let failed = false;
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: resources.names.definitionsBucket,
        Key: 'fanout_a_b_c_v1.yaml',
        Body: exampleText('fanout_a_b_c_v1'),
      }),
    );
    const mock = new WorkerProcess({ env, args: ['--mock-only'] });
    workers.push(mock);
    await mock.ready;
    const runRound = async (count: number, orchestrators: readonly WorkerProcess[]) => {
      round += 1;
      const ids = Array.from({ length: count }, (_, i) => `bench-throughput-${round}-${i}`);
      const groups = [[servers.pid], orchestrators.map((w) => w.pid), [mock.pid]];
      const cpuBefore = groups.map(groupCpuSeconds);
      const began = performance.now();
      const sent = Date.now();
      await sendStarts(sqs, resources.commandQueue.url, ids);
      const ended = await waitForEnd(store, ids, ROUND_TIMEOUT_MS);
      const last = Math.max(...ended.map((r) => Date.parse(r.updated_at)));
      const cpuAfter = groups.map(groupCpuSeconds);
      const used = cpuAfter.map((after, i) => {
        const before = cpuBefore[i];
        return after === undefined || before === undefined ? undefined : after - before;
      });
      return {
        ended: ended.length,
        succeeded: ended.filter((r) => r.status === 'SUCCEEDED').length,
        seconds: (ended.length > 0 ? last - sent : Date.now() - sent) / 1000,
        // CPU over the whole round (sends and the last poll included), against that round's wall time.
        cpuWindowSeconds: (performance.now() - began) / 1000,
        cpu: used.every((u) => u !== undefined)
          ? { servers: used[0] ?? 0, orchestrators: used[1] ?? 0, mock: used[2] ?? 0 }
          : undefined,
      };
    };
    for (const count of WORKER_COUNTS) {
      if (performance.now() - began > budgetMs) {
        notes.push(`${count} workers: not measured, time budget spent.`);
        continue;
      }
      const orchestrators = Array.from(
        { length: count },
        () => new WorkerProcess({ env, args: ['--orchestrator-only'] }),
      );
      workers.push(...orchestrators);
      await Promise.all(orchestrators.map((w) => w.ready));
      // Warm every worker's caches (graph, definition, clients) as a warm Lambda would be.
      let phaseFailed = false;
      const warm = await runRound(count, orchestrators);
      if (warm.ended < count) {
        notes.push(
          `${count} workers: ${count - warm.ended} of ${count} warm-up instances did not end in ${ROUND_TIMEOUT_MS / 1000} s.`,
        );
        phaseFailed = true;
      }
      let instances = 0;
      let succeeded = 0;
      let seconds = 0;
      let rounds = 0;
      let cpuWindow = 0;
      let cpu: ThroughputRow['cpu'] | undefined = { servers: 0, orchestrators: 0, mock: 0 };
      // One measured round at least; a second while the budget allows.
      while (rounds < 1 || (rounds < 2 && performance.now() - began < budgetMs * 0.4)) {
        const result = await runRound(CONCURRENT_STARTS, orchestrators);
        instances += CONCURRENT_STARTS;
        succeeded += result.succeeded;
        seconds += result.seconds;
        rounds += 1;
        cpuWindow += result.cpuWindowSeconds;
        cpu =
          cpu && result.cpu
            ? {
                servers: cpu.servers + result.cpu.servers,
                orchestrators: cpu.orchestrators + result.cpu.orchestrators,
                mock: cpu.mock + result.cpu.mock,
              }
            : undefined;
        if (result.ended < CONCURRENT_STARTS) {
          notes.push(
            `${count} workers: ${CONCURRENT_STARTS - result.ended} of ${CONCURRENT_STARTS} instances did not end within ${ROUND_TIMEOUT_MS / 1000} s.`,
          );
          phaseFailed = true;
          break;
        }
      }
      rows.push({
        workers: count,
        rounds,
        instances,
        succeeded,
        seconds,
        ...(phaseFailed ? {} : { instancesPerSecond: instances / seconds }),
        ...(cpu && cpuWindow > 0
          ? {
              cpu: {
                servers: cpu.servers / cpuWindow,
                orchestrators: cpu.orchestrators / cpuWindow,
                mock: cpu.mock / cpuWindow,
              },
            }
          : {}),
      });
      failed ||= phaseFailed;
      await Promise.all(orchestrators.map((w) => w.kill('SIGTERM')));
    }
  } finally {
    await Promise.all(workers.map((w) => w.kill('SIGKILL')));
    sqs.destroy();
    s3.destroy();
    dynamodb.destroy();
    // The workers' logs are kept when something did not end, for whoever looks into it.
    if (failed) notes.push(`Worker logs kept in ${logDir}.`);
    else rmSync(logDir, { recursive: true, force: true });
  }
  return { rows, cores: availableParallelism(), notes };
}

async function sendStarts(sqs: SQSClient, queueUrl: string, ids: readonly string[]): Promise<void> {
  const batches: string[][] = [];
  ids.forEach((id, i) => (i % 10 === 0 ? batches.push([id]) : batches[batches.length - 1]?.push(id)));
  await Promise.all(
    batches.map(async (batch) => {
      const response = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((id, i) => ({
            Id: String(i),
            MessageBody: JSON.stringify({
              type: 'START_WORKFLOW',
              workflow_id: 'fanout_a_b_c_v1',
              instance_id: id,
              context: SHIPMENT_CONTEXT,
            }),
          })),
        }),
      );
      if ((response.Failed ?? []).length > 0)
        throw new Error(`START not sent: ${JSON.stringify(response.Failed)}`);
    }),
  );
}

/** The records of the instances that ended, polling until all did or `timeoutMs` passed. */
async function waitForEnd(
  store: DynamoDbInstanceStore,
  ids: readonly string[],
  timeoutMs: number,
): Promise<InstanceRecord[]> {
  const deadline = Date.now() + timeoutMs;
  const ended = new Map<string, InstanceRecord>();
  while (ended.size < ids.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const id of ids) {
      if (ended.has(id)) continue;
      const record = await store.get(id);
      if (record && isTerminal(record.status)) ended.set(id, record);
    }
  }
  return [...ended.values()];
}

export function throughputSection(result: ThroughputResult): Section {
  const one = result.rows.find((r) => r.workers === 1);
  return {
    title: `8. Throughput on the embedded stack: fanout_a_b_c_v1, ${CONCURRENT_STARTS} concurrent starts`,
    header: [
      'orchestrator workers',
      'rounds',
      'instances',
      'succeeded',
      'seconds',
      'instances/s',
      'vs 1 worker',
      'CPU: servers / workers / mock',
    ],
    rows: result.rows.map((r) => [
      String(r.workers),
      String(r.rounds),
      String(r.instances),
      String(r.succeeded),
      num(r.seconds, 1),
      r.instancesPerSecond === undefined ? 'n/a' : num(r.instancesPerSecond, 2),
      ratio(r.instancesPerSecond, one?.instancesPerSecond),
      r.cpu
        ? [r.cpu.servers, r.cpu.orchestrators, r.cpu.mock]
            .map((share) => `${num(share * 100, 0)}%`)
            .join(' / ')
        : 'n/a',
    ]),
    notes: [
      'Servers (dynalite, SQS, S3) in one process, the capability mock in another, each orchestrator worker a ' +
        "process of its own (scripts/worker.ts, one batch in hand per queue); all on this machine's cores. " +
        'Each worker warmed by one round first; seconds = first START sent to last instance ended, summed over rounds.',
      `CPU: each process group's CPU time over the measured rounds, as a share of one core (this machine has ${result.cores}; ` +
        'the servers are one Node process, so 100% is all they can use). Where the servers sit near 100%, ' +
        'the embedded stack, not the orchestrator, bounds the rate, and more workers cannot raise it.',
      'No 2026-11 figure: the issue asks for this to be printed before and after.',
      ...result.notes,
    ],
  };
}
