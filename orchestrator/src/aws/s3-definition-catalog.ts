import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { DefinitionFilesPort } from '../operations/operations-ports';
import { awsCall } from './aws-errors';
import { pinnedKey, S3DefinitionStore } from './s3-definition-store';

/** The folder of the pinned snapshots (`pinned/<sha256>.yaml`, see pinnedKey). */
const PINNED_PREFIX = pinnedKey('').replace(/\.yaml$/, '');

const isYaml = (key: string) => /\.ya?ml$/.test(key);

/**
 * The definitions bucket listed for the operator queries (the definitions catalog). The runtime never
 * lists the bucket (a START names its key); this is the operator's view, read-only. A file is read as
 * S3DefinitionStore reads it for a START.
 */
export class S3DefinitionCatalog implements DefinitionFilesPort {
  private readonly store: S3DefinitionStore;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {
    this.store = new S3DefinitionStore(s3, bucket);
  }

  async definitionKeys(): Promise<string[]> {
    const keys = await this.list(undefined);
    return keys.filter((k) => !k.startsWith(PINNED_PREFIX) && isYaml(k)).sort();
  }

  async pinnedSha256s(): Promise<string[]> {
    const keys = await this.list(PINNED_PREFIX);
    return keys.filter((k) => k.endsWith('.yaml')).map((k) => k.slice(PINNED_PREFIX.length, -'.yaml'.length));
  }

  async definitionText(key: string): Promise<string | undefined> {
    return (await this.store.load(key))?.text;
  }

  /** Every key under `prefix`, following the continuation tokens. */
  private async list(prefix: string | undefined): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await awsCall('S3', 'ListObjectsV2', () =>
        this.s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        ),
      );
      keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }
}
