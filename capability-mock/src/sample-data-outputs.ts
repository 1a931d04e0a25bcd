import type { AsyncRequestMessage } from '../../orchestrator/src/runtime/messages';

/** Where run-test uploads sample-data/ in the event-data bucket. */
export const SAMPLE_DATA_PREFIX = 'sample-data';

/** The seed's output keys point at the uploaded sample documents. */
const SAMPLE_FILES: Readonly<Record<string, string>> = {
  import_enrichment_uri: 'asn_vn_memphis.json',
  asn_uri: 'asn_vn_memphis.json',
  delivery_uri: 'delivery_vn_memphis.json',
};

/**
 * Default output values of the mock capability: S3 URIs of the sample data for the keys the seed uses,
 * and a per-instance URI for any other key.
 */
export function sampleDataOutput(bucket: string) {
  return (request: Pick<AsyncRequestMessage, 'instance_id' | 'node'>, key: string): string => {
    const file = SAMPLE_FILES[key];
    return file
      ? `s3://${bucket}/${SAMPLE_DATA_PREFIX}/${file}`
      : `s3://${bucket}/mock-outputs/${request.instance_id}/${request.node}/${key}.json`;
  };
}
