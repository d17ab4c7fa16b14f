import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildCatalog } from '../../lib/core/catalog';
import { encodeBundle } from '../../lib/core/bundle-format';
import { BundleCache } from '../../lib/adapters/s3/bundle-cache';
import { publishBundle } from '../../lib/adapters/s3/publish-bundle';
import { S3BundleSource } from '../../lib/adapters/s3/s3-bundle-source';
import { useS3 } from '../support/s3';
import { failure } from '../support/failure';

const bundle = encodeBundle(buildCatalog([{ path: 'a/0001_x.sql', content: 'CREATE TABLE x (id int);' }]));

describe('Integration: S3 adapter over HTTP (s3rver)', () => {
  const s3 = useS3('deploys');

  it('publishes under the content-addressed key once; publishing again is a no-op', async () => {
    // Act
    const first = await publishBundle(s3.client, { bucket: 'deploys', prefix: 'svc/stagegate', bytes: bundle.bytes, bundleId: bundle.id });
    const second = await publishBundle(s3.client, { bucket: 'deploys', prefix: 'svc/stagegate', bytes: bundle.bytes, bundleId: bundle.id });
    // Assess
    expect(first).toEqual({ bucket: 'deploys', key: `svc/stagegate/bundles/${bundle.id}.json.gz`, sha256: bundle.id, uploaded: true });
    expect(second.uploaded).toBe(false);
    const stored = await s3.client.send(new GetObjectCommand({ Bucket: 'deploys', Key: first.key }));
    expect(Buffer.from(await (stored.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray()).equals(bundle.bytes)).toBe(true);
  });

  it('replaces a broken object under the bundle key when publishing', async () => {
    // Prepare
    const key = `broken/bundles/${bundle.id}.json.gz`;
    await s3.client.send(new PutObjectCommand({ Bucket: 'deploys', Key: key, Body: Buffer.from('half an upload') }));
    // Act
    const published = await publishBundle(s3.client, { bucket: 'deploys', prefix: 'broken', bytes: bundle.bytes, bundleId: bundle.id });
    const loaded = await new S3BundleSource(s3.client, published, new BundleCache()).load();
    // Assess
    expect(published.uploaded).toBe(true);
    expect(loaded.id).toBe(bundle.id);
  });

  it('replaces an object under the bundle key whose size and sha256 metadata match but whose bytes do not', async () => {
    // Prepare: the same length and metadata as the real bundle, other bytes
    const key = `forged/bundles/${bundle.id}.json.gz`;
    const forged = Buffer.alloc(bundle.bytes.length, 0x2a);
    await s3.client.send(new PutObjectCommand({ Bucket: 'deploys', Key: key, Body: forged, Metadata: { sha256: bundle.id } }));
    // Act
    const published = await publishBundle(s3.client, { bucket: 'deploys', prefix: 'forged', bytes: bundle.bytes, bundleId: bundle.id });
    const loaded = await new S3BundleSource(s3.client, published, new BundleCache()).load();
    // Assess
    expect(published.uploaded).toBe(true);
    expect(loaded.id).toBe(bundle.id);
  });

  it('fails publishing to a bucket that does not exist with BUNDLE_PUBLISH_FAILED', async () => {
    // Act
    const error = await failure(publishBundle(s3.client, { bucket: 'no-such-bucket', prefix: 'x', bytes: bundle.bytes, bundleId: bundle.id }));
    // Assess
    expect(error.code).toBe('BUNDLE_PUBLISH_FAILED');
    expect(error.message).toContain('s3://no-such-bucket/');
  });

  it('reports refused credentials as BUNDLE_ACCESS_DENIED', async () => {
    // Prepare
    const published = await publishBundle(s3.client, { bucket: 'deploys', prefix: 'denied', bytes: bundle.bytes, bundleId: bundle.id });
    const stranger = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'nothing' } });
    // Act
    const error = await failure(new S3BundleSource(stranger, published, new BundleCache()).load());
    // Assess
    expect(error.code).toBe('BUNDLE_ACCESS_DENIED');
    expect(error.remedy).toContain('s3:GetObject');
    stranger.destroy();
  });

  it('reuses a verified bundle by hash without downloading it again', async () => {
    // Prepare
    const cache = new BundleCache();
    const published = await publishBundle(s3.client, { bucket: 'deploys', prefix: 'warm', bytes: bundle.bytes, bundleId: bundle.id });
    await new S3BundleSource(s3.client, published, cache).load();
    await s3.client.send(new DeleteObjectCommand({ Bucket: 'deploys', Key: published.key }));
    // Act
    const again = await new S3BundleSource(s3.client, published, cache).load();
    const cold = await failure(new S3BundleSource(s3.client, published, new BundleCache()).load());
    // Assess
    expect(again.id).toBe(bundle.id);
    expect(cold.code).toBe('BUNDLE_NOT_FOUND');
  });

  it('fails with BUNDLE_FETCH_FAILED when S3 cannot be reached', async () => {
    // Prepare
    const nowhere = new S3Client({ endpoint: 'http://127.0.0.1:9', forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts: 1 });
    // Act
    const error = await failure(new S3BundleSource(nowhere, { bucket: 'deploys', key: 'k', sha256: bundle.id }, new BundleCache()).load());
    // Assess
    expect(error.code).toBe('BUNDLE_FETCH_FAILED');
    nowhere.destroy();
  });
});
