import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { decodeBundle, MAX_BUNDLE_BYTES, withOrigin } from '../../core/bundle-format';
import { BundleInvalidError, BundleFetchFailedError } from '../../core/errors';
import type { BundleSource, LoadedBundle } from '../../ports';
import { processBundleCache, type BundleCache } from './bundle-cache';
import { describeRef, type BundleRef } from './bundle-ref';
import { bundleFetchError } from './s3-errors';

/**
 * A bundle in S3, requested by its sha256. The bytes are hashed here, never
 * trusted to S3's own checks, and nothing is returned unless the hash is the
 * one requested. A bundle already verified in this process is reused.
 *
 * @example
 * const source = new S3BundleSource(s3, { bucket: 'b', key: 'stagegate/bundles/ab….json.gz', sha256: 'ab…' });
 */
export class S3BundleSource implements BundleSource {
  constructor(
    private readonly s3: S3Client,
    private readonly ref: BundleRef,
    private readonly cache: BundleCache = processBundleCache,
  ) {}

  async load(): Promise<LoadedBundle> {
    const origin = describeRef(this.ref);
    const cached = this.cache.get(this.ref.sha256);
    if (cached) return withOrigin(cached, origin);
    const bytes = await this.download(origin);
    const bundle = decodeBundle(bytes, origin, this.ref.sha256);
    this.cache.set(bundle);
    return bundle;
  }

  private async download(origin: string): Promise<Buffer> {
    let body: Readable;
    let length: number | undefined;
    try {
      const response = await this.s3.send(new GetObjectCommand({ Bucket: this.ref.bucket, Key: this.ref.key }));
      body = response.Body as Readable;
      length = response.ContentLength;
    } catch (error) {
      throw bundleFetchError(error, origin);
    }
    if (length !== undefined && length > MAX_BUNDLE_BYTES) {
      body.destroy();
      throw new BundleInvalidError(origin, `it is ${length} bytes; the limit is ${MAX_BUNDLE_BYTES}`);
    }
    return readLimited(body, origin);
  }
}

async function readLimited(body: Readable, origin: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of body) {
      total += (chunk as Buffer).length;
      if (total > MAX_BUNDLE_BYTES) {
        body.destroy();
        throw new BundleInvalidError(origin, `it is larger than the limit of ${MAX_BUNDLE_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof BundleInvalidError) throw error;
    const reason = error instanceof Error ? ` (${error.message.slice(0, 200)})` : '';
    throw new BundleFetchFailedError(origin, `the download broke off after ${total} bytes${reason}`, error);
  }
  return Buffer.concat(chunks);
}
