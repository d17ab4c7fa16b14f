import type { S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { publishBundle } from '../../lib/adapters/s3/publish-bundle';

/** An S3 that refuses every read of the key (403, as for a KMS key without kms:Decrypt) and records each command sent. */
function refusingReads(): { s3: S3Client; sent: string[] } {
  const sent: string[] = [];
  const s3 = {
    send: async (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      if (command.constructor.name === 'PutObjectCommand') return {};
      throw Object.assign(new Error('Forbidden'), { name: 'Forbidden', $metadata: { httpStatusCode: 403 } });
    },
  } as unknown as S3Client;
  return { s3, sent };
}

describe('Adapter: publishBundle when S3 refuses to show what is under the key', () => {
  it('uploads the bundle instead of failing: what is there cannot be told', async () => {
    // Prepare
    const bytes = Buffer.from('a bundle');
    const bundleId = createHash('sha256').update(bytes).digest('hex');
    const { s3, sent } = refusingReads();
    // Act
    const published = await publishBundle(s3, { bucket: 'deploys', prefix: 'stagegate', bytes, bundleId });
    // Assess
    expect(published.uploaded).toBe(true);
    expect(sent).toEqual(['HeadObjectCommand', 'PutObjectCommand']);
  });
});
