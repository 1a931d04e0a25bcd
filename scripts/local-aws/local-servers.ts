import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createPinoLogger } from '../../orchestrator/src/aws/pino-logger';
import { startEmbeddedAws, type EmbeddedAws, type EmbeddedAwsOptions } from './embedded-aws';
import { LocalRetentionSweeper } from './local-retention-sweeper';
import { DEFAULT_LOG_FILE, fileLogSink, type LogSink } from './log-sink';
import { provisionLocal, QUEUE_SETTINGS, type LocalResources, type QueueSettings } from './provision-local';

export interface LocalServersOptions extends EmbeddedAwsOptions {
  readonly owner?: string;
  /** Queue visibility and redrive; tests shorten the visibility timeout to see DLQ moves quickly. */
  readonly queueSettings?: Partial<QueueSettings>;
  /** Where the retention sweeper logs (default: the local log stream). */
  readonly log?: LogSink;
  /** How often expired instances are removed (default: the sweeper's, a minute); `false`: never. */
  readonly retentionSweepMs?: number | false;
}

/** The AWS side of the local stack: what `pnpm local --no-workers` runs. */
export interface LocalServers {
  readonly aws: EmbeddedAws;
  readonly resources: LocalResources;
  readonly queueSettings: QueueSettings;
  stop(): Promise<void>;
}

/**
 * The embedded AWS servers and the resources the CDK app defines, and nothing that consumes them: the
 * orchestrator and the capability mock may run in this process (local-stack.ts) or in another one
 * (scripts/worker.ts), which can then be killed without losing a message or an item.
 *
 * What AWS itself does beside the servers runs here too: the retention sweeper stands in for DynamoDB TTL
 * and the retention function on the table's stream, which dynalite lacks, so a finished instance is
 * removed whole after the retention period whichever process runs the workers.
 */
export async function startLocalServers(options: LocalServersOptions = {}): Promise<LocalServers> {
  const aws = await startEmbeddedAws(options);
  const queueSettings = { ...QUEUE_SETTINGS, ...options.queueSettings };
  try {
    const resources = await provisionLocal(aws, options.owner ?? 'dev', queueSettings);
    const dynamodb = new DynamoDBClient(aws.clientConfig.dynamodb);
    const log = options.log ?? fileLogSink(DEFAULT_LOG_FILE);
    const sweeper =
      options.retentionSweepMs === false
        ? undefined
        : new LocalRetentionSweeper({
            client: dynamodb,
            tableName: resources.names.stateTable,
            logger: createPinoLogger({ write: (line: string) => log.write(line) }).child({
              component: 'local-retention-sweeper',
            }),
            ...(options.retentionSweepMs === undefined ? {} : { intervalMs: options.retentionSweepMs }),
          });
    sweeper?.start();
    return {
      aws,
      resources,
      queueSettings,
      async stop() {
        await sweeper?.stop();
        dynamodb.destroy();
        await aws.stop();
      },
    };
  } catch (error) {
    await aws.stop();
    throw error;
  }
}
