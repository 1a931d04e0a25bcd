import { createHash } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { startEmbeddedAws, type EmbeddedAws } from '../../../scripts/local-aws/embedded-aws';
import { EngineError } from '../runtime/errors';
import { pinnedKey, S3DefinitionStore } from './s3-definition-store';

jest.setTimeout(15_000);

const BUCKET = 'cch-test-aws-workflow-definitions-bucket';
const YAML = `workflow_name: "Demo ü"\nworkflow_id: demo_v1\nentry_point: End\nnodes:\n  End:\n    type: end\n`;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

let aws: EmbeddedAws;
let s3: S3Client;

beforeAll(async () => {
  aws = await startEmbeddedAws({ ports: { dynamodb: 0, sqs: 0, s3: 0 } });
  s3 = new S3Client(aws.clientConfig.s3);
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  s3?.destroy();
  await aws?.stop();
});

const put = (key: string, body: string) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));

async function getText(key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return (await response.Body?.transformToString('utf8')) ?? '';
}

describe('S3DefinitionStore (s3rver)', () => {
  it('load of a missing key is undefined', async () => {
    const store = new S3DefinitionStore(s3, BUCKET);
    await expect(store.load('nope.yaml')).resolves.toBeUndefined();
  });

  it('load returns the text and its sha256', async () => {
    await put('demo_v1.yaml', YAML);
    const store = new S3DefinitionStore(s3, BUCKET);
    await expect(store.load('demo_v1.yaml')).resolves.toEqual({ text: YAML, sha256: sha256(YAML) });
  });

  it('load always reads the current text (definitions may change between STARTs)', async () => {
    const store = new S3DefinitionStore(s3, BUCKET);
    await put('changing.yaml', 'version: 1\n');
    expect((await store.load('changing.yaml'))?.text).toBe('version: 1\n');
    await put('changing.yaml', 'version: 2\n');
    await expect(store.load('changing.yaml')).resolves.toEqual({
      text: 'version: 2\n',
      sha256: sha256('version: 2\n'),
    });
  });

  it('pin stores the text at pinned/<sha256>.yaml and loadPinned returns it', async () => {
    const text = `${YAML}# pinned ${Date.now()}\n`;
    const definition = { text, sha256: sha256(text) };
    const store = new S3DefinitionStore(s3, BUCKET);
    await store.pin(definition);

    expect(pinnedKey(definition.sha256)).toBe(`pinned/${definition.sha256}.yaml`);
    await expect(getText(`pinned/${definition.sha256}.yaml`)).resolves.toBe(text);
    await expect(store.loadPinned(definition.sha256)).resolves.toBe(text);
    // A cold container reads the same snapshot from S3.
    await expect(new S3DefinitionStore(s3, BUCKET).loadPinned(definition.sha256)).resolves.toBe(text);
  });

  it('the pinned copy survives a change of the current YAML', async () => {
    const store = new S3DefinitionStore(s3, BUCKET);
    await put('evolving.yaml', 'v: 1\n');
    const first = await store.load('evolving.yaml');
    if (!first) throw new Error('not loaded');
    await store.pin(first);
    await put('evolving.yaml', 'v: 2\n');
    await expect(new S3DefinitionStore(s3, BUCKET).loadPinned(first.sha256)).resolves.toBe('v: 1\n');
  });

  it('loadPinned of an unknown sha256 is undefined', async () => {
    const store = new S3DefinitionStore(s3, BUCKET);
    await expect(store.loadPinned('0'.repeat(64))).resolves.toBeUndefined();
  });

  it('a warm container serves loadPinned from its cache, even after the object is gone', async () => {
    const text = `${YAML}# cached\n`;
    const hash = sha256(text);
    await put(pinnedKey(hash), text);
    const warm = new S3DefinitionStore(s3, BUCKET);
    await expect(warm.loadPinned(hash)).resolves.toBe(text);

    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: pinnedKey(hash) }));

    await expect(warm.loadPinned(hash)).resolves.toBe(text);
    await expect(new S3DefinitionStore(s3, BUCKET).loadPinned(hash)).resolves.toBeUndefined();
  });

  it('a container that pinned a definition serves it from its cache', async () => {
    const text = `${YAML}# pinned-then-deleted\n`;
    const definition = { text, sha256: sha256(text) };
    const store = new S3DefinitionStore(s3, BUCKET);
    await store.pin(definition);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: pinnedKey(definition.sha256) }));
    await expect(store.loadPinned(definition.sha256)).resolves.toBe(text);
  });

  it('never hands out a pinned object whose content does not match its sha256', async () => {
    // Content addressing is the guarantee that an instance runs the definition it started with.
    const text = `${YAML}# original\n`;
    const hash = sha256(text);
    const tampered = `${YAML}# edited in place\n`;
    await put(pinnedKey(hash), tampered);
    const store = new S3DefinitionStore(s3, BUCKET);
    const result = await store.loadPinned(hash).catch((e: unknown) => e);
    expect(result).not.toBe(tampered);
  });

  describe('a missing bucket', () => {
    const store = () => new S3DefinitionStore(s3, 'cch-test-aws-no-such-bucket');

    it.each([
      ['load', () => store().load('demo_v1.yaml')],
      ['loadPinned', () => store().loadPinned('f'.repeat(64))],
      ['pin', () => store().pin({ text: YAML, sha256: sha256(YAML) })],
    ])('%s fails with a non-retryable S3_ EngineError', async (_name, call) => {
      const thrown = await (call() as Promise<unknown>).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(thrown).toBeInstanceOf(EngineError);
      expect((thrown as EngineError).code).toBe('S3_NoSuchBucket');
      expect((thrown as EngineError).retryable).toBe(false);
      expect((thrown as EngineError).cause).toMatchObject({ name: 'NoSuchBucket' });
    });
  });
});
