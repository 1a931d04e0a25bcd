import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from '../../../orchestrator/src/naming/local-endpoints';
import type { EmbeddedAws } from '../../local-aws/embedded-aws';
import type { LocalServers } from '../../local-aws/local-servers';
import { QUEUE_SETTINGS, REPO_ROOT } from '../../local-aws/provision-local';
import { resolveLocalResources } from '../../local-aws/resolve-local-resources';
import { freePort } from '../../../orchestrator/test/support/free-port';

/** The stage `pnpm local` provisions. */
const LOCAL_STAGE = { env: 'local', owner: 'dev' } as const;
const READY_TIMEOUT_MS = 60_000;

/** Servers in a process of their own, and its pid (for its CPU time). */
export interface ServerProcess extends LocalServers {
  readonly pid: number | undefined;
}

/**
 * The embedded AWS servers in a process of their own (`pnpm local --no-workers` on free ports), so that
 * what the bench process measures of an orchestrator (CPU, wall time) is the orchestrator's alone, and
 * worker processes can share the servers. Returned in the shape of an in-process `LocalServers`.
 */
export async function startServerProcess(): Promise<ServerProcess> {
  const ports = { dynamodb: await freePort(), sqs: await freePort(), s3: await freePort() };
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'local.ts'), '--no-workers'],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        CCH_LOCAL_DYNAMODB_PORT: String(ports.dynamodb),
        CCH_LOCAL_SQS_PORT: String(ports.sqs),
        CCH_LOCAL_S3_PORT: String(ports.s3),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await ready(child);
  const clientConfig = localClientConfig(ports);
  const aws: EmbeddedAws = {
    endpoints: {
      dynamodb: clientConfig.dynamodb.endpoint as string,
      sqs: clientConfig.sqs.endpoint as string,
      s3: clientConfig.s3.endpoint as string,
    },
    clientConfig,
    stop: () => stopChild(child),
  };
  const sqs = new SQSClient(clientConfig.sqs);
  try {
    const resources = await resolveLocalResources(sqs, LOCAL_STAGE);
    return {
      aws,
      resources,
      queueSettings: QUEUE_SETTINGS,
      pid: child.pid,
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    sqs.destroy();
  }
}

function ready(child: ChildProcess): Promise<void> {
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`the server process was not ready in ${READY_TIMEOUT_MS / 1000} s:\n${output.join('\n')}`),
      );
    }, READY_TIMEOUT_MS);
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (line.startsWith('export AWS_ENDPOINT_URL_S3=')) {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server process exited (${signal ?? code}):\n${output.join('\n')}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(killer);
}
