import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EngineError } from '../runtime/errors';
import { sha256Of } from '../definition/content-hash';
import type { DefinitionStore, DefinitionText } from '../runtime/ports';
import { awsCall, translateAwsError } from './aws-errors';

/** Pinned snapshots live beside the definitions, addressed by content: `pinned/<sha256>.yaml`. */
export const pinnedKey = (sha256: string): string => `pinned/${sha256}.yaml`;

/**
 * Workflow definitions in S3. A START reads the current YAML and pins an immutable copy by sha256; every
 * later message of that instance reads the pinned copy, cached for the life of the Lambda container
 * (content-addressed, so the cache can never be stale).
 */
export class S3DefinitionStore implements DefinitionStore {
  private readonly pinnedCache = new Map<string, string>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async load(key: string): Promise<DefinitionText | undefined> {
    const text = await this.read(key);
    return text === undefined ? undefined : { text, sha256: sha256Of(text) };
  }

  async pin(definition: DefinitionText): Promise<void> {
    if (this.pinnedCache.has(definition.sha256)) return;
    await awsCall('S3', 'PutObject', () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: pinnedKey(definition.sha256),
          Body: definition.text,
          ContentType: 'application/yaml',
        }),
      ),
    );
    this.pinnedCache.set(definition.sha256, definition.text);
  }

  async loadPinned(sha256: string): Promise<string | undefined> {
    const cached = this.pinnedCache.get(sha256);
    if (cached !== undefined) return cached;
    const text = await this.read(pinnedKey(sha256));
    if (text === undefined) return undefined;
    // Content-addressed: a copy that does not hash to its name was altered, and must not run.
    if (sha256Of(text) !== sha256) {
      throw new EngineError(
        'PINNED_DEFINITION_MISMATCH',
        `pinned definition ${pinnedKey(sha256)} does not match its sha256; it was altered after the instance started`,
        false,
      );
    }
    this.pinnedCache.set(sha256, text);
    return text;
  }

  private async read(key: string): Promise<string | undefined> {
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
      throw translateAwsError('S3', 'GetObject', error);
    }
  }
}
