import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LOCAL_REGION } from '../../orchestrator/src/naming/local-endpoints';
import type { Stage } from '../../orchestrator/src/naming/resource-names';
import type { EmbeddedAws } from './embedded-aws';
import { REPO_ROOT } from './provision-local';

const WORKER_SCRIPT = join(REPO_ROOT, 'scripts', 'worker.ts');

export interface WorkerProcessOptions {
  /** The worker's whole configuration (see worker-settings.ts); added to this process's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** `--orchestrator-only` or `--mock-only`. */
  readonly args?: readonly string[];
  /** Every line the worker prints on stdout or stderr. */
  readonly onOutput?: (line: string) => void;
}

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * `scripts/worker.ts` as a child process, started with `node --import tsx` so that its pid is the worker
 * itself (the tsx and pnpm launchers would relay SIGTERM but cannot relay SIGKILL).
 */
export class WorkerProcess {
  /** Resolves when the worker polls its queues; rejects if it exits first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<WorkerExit>;
  private readonly child: ChildProcess;
  private readonly output: string[] = [];

  constructor(options: WorkerProcessOptions) {
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT, ...(options.args ?? [])], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
    });
    this.ready = new Promise((resolve, reject) => {
      for (const stream of [this.child.stdout, this.child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream }).on('line', (line) => {
          this.output.push(line);
          if (this.output.length > 200) this.output.shift();
          options.onOutput?.(line);
          if (/^worker \d+ ready:/.test(line)) resolve();
        });
      }
      void this.exited.then((exit) =>
        reject(
          new Error(
            `worker exited before it was ready (${exit.signal ?? `code ${exit.code}`}):\n` +
              this.output.join('\n'),
          ),
        ),
      );
    });
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines the worker printed (for diagnostics). */
  get recentOutput(): string {
    return this.output.join('\n');
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and resolves when the process has exited. */
  async kill(signal: NodeJS.Signals): Promise<WorkerExit> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}

/**
 * The environment that points a worker at an embedded stack in another process: its endpoints (the
 * `AWS_ENDPOINT_URL_*` lines `pnpm local` prints), the credentials s3rver checks, the stage.
 */
export function workerEnvironment(
  aws: EmbeddedAws,
  stage: Stage,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_DYNAMODB: aws.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: aws.endpoints.sqs,
    AWS_ENDPOINT_URL_S3: aws.endpoints.s3,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_SESSION_TOKEN: '',
    AWS_REGION: LOCAL_REGION,
    CCH_ENV: stage.env,
    CCH_OWNER: stage.owner,
    ...extra,
  };
}
