import { startEmbeddedAws, type EmbeddedAws, type EmbeddedAwsOptions } from './embedded-aws';
import { provisionLocal, QUEUE_SETTINGS, type LocalResources, type QueueSettings } from './provision-local';

export interface LocalServersOptions extends EmbeddedAwsOptions {
  readonly owner?: string;
  /** Queue visibility and redrive; tests shorten the visibility timeout to see DLQ moves quickly. */
  readonly queueSettings?: Partial<QueueSettings>;
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
 */
export async function startLocalServers(options: LocalServersOptions = {}): Promise<LocalServers> {
  const aws = await startEmbeddedAws(options);
  const queueSettings = { ...QUEUE_SETTINGS, ...options.queueSettings };
  try {
    const resources = await provisionLocal(aws, options.owner ?? 'dev', queueSettings);
    return {
      aws,
      resources,
      queueSettings,
      stop: () => aws.stop(),
    };
  } catch (error) {
    await aws.stop();
    throw error;
  }
}
