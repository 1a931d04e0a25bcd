import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

export interface DefinitionsWatcherOptions {
  /** How often the bucket is listed (default 2 s). */
  readonly intervalMs?: number;
  /** The capability domains a definition's YAML uses; none for text that is not a valid definition. */
  readonly domainsOf: (definitionText: string) => readonly string[];
  /** Called with the domains of definitions uploaded or changed since the last scan; may throw. */
  readonly onDomains: (domains: readonly string[]) => Promise<void>;
  readonly onError?: (error: unknown) => void;
}

/**
 * Watches the definitions bucket (ListObjectsV2 every few seconds) and reports the capability domains of
 * every definition uploaded since, so the local stack can create a request queue (and a mock consumer) for
 * a domain that first appears in an uploaded file. S3 has no event notifications locally; polling a
 * listing is cheap, and only new or changed objects (by ETag) are read.
 *
 * Invariant: an object counts as seen only after `onDomains` succeeded for its domains, so a failure
 * (the servers restarting, a queue not created) is retried on the next scan.
 */
export class DefinitionsWatcher {
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private running = false;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly options: DefinitionsWatcherOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.scanning;
  }

  /** One pass over the bucket; resolves when every new definition's domains were handled. */
  async scan(): Promise<void> {
    const changed = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key ?? '';
        const etag = object.ETag ?? String(object.LastModified?.getTime());
        if (/\.ya?ml$/.test(key) && this.seen.get(key) !== etag) changed.set(key, etag);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (changed.size === 0) return;
    const domains = new Set<string>();
    for (const key of changed.keys()) {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const text = (await object.Body?.transformToString('utf8')) ?? '';
      for (const domain of this.options.domainsOf(text)) domains.add(domain);
    }
    if (domains.size > 0) await this.options.onDomains([...domains].sort());
    for (const [key, etag] of changed) this.seen.set(key, etag);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.scanning = this.scan()
        .catch((error: unknown) => this.options.onError?.(error))
        .finally(() => {
          if (this.running) this.schedule(this.options.intervalMs ?? 2000);
        });
    }, delayMs);
    // A watcher alone never keeps a process alive.
    this.timer.unref();
  }
}
