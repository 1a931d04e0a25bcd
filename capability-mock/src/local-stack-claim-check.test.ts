import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { SHIPMENT, startTestStack } from '../../tests/e2e/local-stack-support';

jest.setTimeout(120_000);

const KiB = 1024;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The local stack as `pnpm local` runs it: the orchestrator and the capability mock as its own workers
 * start them (scripts/local-aws/local-workers.ts), nothing wired by the test. Requests over the claim-check
 * threshold (256 KiB) reach the mock as S3 pointers; it must read them, and send its own large replies the
 * same way.
 */
describe("the local stack's capability mock and the claim check (embedded stack)", () => {
  it('reads requests offloaded to S3 and offloads a reply over the threshold; the instance succeeds', async () => {
    const reply = 'r'.repeat(300 * KiB); // over 256 KiB: the reply must travel as a pointer
    const t = await startTestStack({
      scenarios: { 'import#enrichment': { outputs: { import_enrichment_uri: reply } } },
    });
    const s3 = new S3Client(t.stack.aws.clientConfig.s3);
    try {
      await t.upload('import_vn_memphis_v1');
      // Every request carries the context: 300 KiB of it makes each one go through S3.
      const attachment = 'a'.repeat(300 * KiB);
      await t.start('import_vn_memphis_v1', 'claim-checked-local', { ...SHIPMENT, attachment });
      const record = await t.waitFor('claim-checked-local', t.ended, 90_000);

      expect(record.status).toBe('SUCCEEDED');
      expect(record.context.attachment === attachment).toBe(true);
      expect(record.context.import_enrichment_uri === reply).toBe(true);
      const logs = t.logs();
      expect(logs.filter((l) => l.msg === 'message dead-lettered')).toEqual([]);
      // The orchestrator offloaded the requests, the mock read each one and answered it.
      const dispatched = logs.filter((l) => l.msg === 'mock capability replied');
      expect(dispatched.length).toBeGreaterThan(0);
      const enrichment = dispatched.find((l) => l.capability_id === 'import#enrichment');
      expect(enrichment).toMatchObject({ status: 'SUCCESS', offloaded: true });
      // Both directions went through the event-data bucket under the stage's payload prefix: the requests
      // the orchestrator offloaded and the reply the mock offloaded, each stored under its sha256.
      const { names } = t.stack.resources;
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: names.eventDataBucket, Prefix: names.sqsPayloadPrefix }),
      );
      const bodies = await Promise.all(
        (listed.Contents ?? []).map(async ({ Key }) => {
          const object = await s3.send(new GetObjectCommand({ Bucket: names.eventDataBucket, Key }));
          const text = (await object.Body?.transformToString()) ?? '';
          expect(Key).toBe(`${names.sqsPayloadPrefix}${sha256(text)}`);
          return JSON.parse(text) as {
            type: string;
            request_id?: string;
            status?: string;
            outputs?: Record<string, unknown>;
          };
        }),
      );
      expect(bodies.filter((b) => b.type === 'ASYNC_REQ').length).toBe(dispatched.length);
      const replies = bodies.filter((b) => b.type === 'ASYNC_RESP');
      // (Compared field by field: a failure would print 300 KiB of value otherwise.)
      expect(replies.map((b) => [b.request_id, b.status])).toEqual([
        [t.requestId('claim-checked-local', 'Prepare_Import_Enrichment'), 'SUCCESS'],
      ]);
      expect(replies[0]?.outputs?.import_enrichment_uri === reply).toBe(true);
    } finally {
      s3.destroy();
      await t.stop();
    }
  });
});
