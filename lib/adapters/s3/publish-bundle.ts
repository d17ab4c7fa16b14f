import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { bundleKey, describeRef, type BundleRef } from './bundle-ref';
import { BundlePublishFailedError } from '../../core/errors';

export interface PublishRequest {
  bucket: string;
  /** Key prefix, e.g. `stagegate`; bundles go under `<prefix>/bundles/`. */
  prefix: string;
  bytes: Uint8Array;
  /** sha256 of `bytes` (from `encodeBundle`); checked again here. */
  bundleId: string;
}

export interface PublishedBundle extends BundleRef {
  /** False when the same bundle was already there (publishing is idempotent). */
  uploaded: boolean;
}

/** Failures that say the caller has no valid AWS credentials, whatever the bucket. */
const CREDENTIAL_ERRORS = new Set(['CredentialsProviderError', 'ExpiredToken', 'ExpiredTokenException', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'TokenRefreshRequired']);
const CREDENTIALS_REMEDY =
  'No valid AWS credentials: log in (`aws sso login`), or set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) to credentials that may s3:PutObject and s3:GetObject under the bundles prefix; then run again.';

/**
 * Uploads a bundle under its content-addressed key. Publishing the same
 * bundle again is a no-op; an object under that key with other content
 * (a broken upload, or one overwritten with the same size and metadata) is
 * replaced.
 *
 * @example
 * const ref = await publishBundle(s3, { bucket: 'deploys', prefix: 'stagegate', bytes, bundleId: id });
 */
export async function publishBundle(s3: S3Client, request: PublishRequest): Promise<PublishedBundle> {
  const digest = createHash('sha256').update(request.bytes).digest();
  if (digest.toString('hex') !== request.bundleId) throw new Error(`invariant: bundle bytes do not hash to ${request.bundleId}`);
  const ref: BundleRef = { bucket: request.bucket, key: bundleKey(request.prefix, request.bundleId), sha256: request.bundleId };
  try {
    if (await alreadyThere(s3, ref, request.bytes, digest)) return { ...ref, uploaded: false };
    await s3.send(
      new PutObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        Body: request.bytes,
        ContentType: 'application/gzip',
        Metadata: { sha256: ref.sha256 },
        // Real S3 rejects a corrupted upload with this; local servers ignore it, and every reader verifies anyway.
        ChecksumSHA256: digest.toString('base64'),
      }),
    );
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    const remedy = CREDENTIAL_ERRORS.has(e.name ?? '') ? CREDENTIALS_REMEDY : undefined;
    throw new BundlePublishFailedError(describeRef(ref), `${e.name ?? 'error'}${status ? ` (HTTP ${status})` : ''}: ${e.message ?? String(error)}`, error, remedy);
  }
  return { ...ref, uploaded: true };
}

/**
 * Whether the object under the key holds exactly these bytes. Its size and
 * metadata say nothing about its content (anyone who may write the key can
 * copy them), so the content is checked: by the sha256 S3 computed itself
 * when the object was uploaded with one, else by downloading it (a bundle is
 * small; local servers keep no checksum). Replacing an object that differs
 * is what makes "publish again" the remedy of a bundle that fails its hash.
 */
async function alreadyThere(s3: S3Client, ref: BundleRef, bytes: Uint8Array, digest: Buffer): Promise<boolean> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key, ChecksumMode: 'ENABLED' }));
    if (head.ContentLength !== bytes.length || head.Metadata?.sha256 !== ref.sha256) return false;
    if (head.ChecksumSHA256 !== undefined) return head.ChecksumSHA256 === digest.toString('base64');
    const stored = await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
    const content = await (stored.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    return createHash('sha256').update(content).digest().equals(digest);
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as { name?: string }).name === 'NotFound' || (error as { name?: string }).name === 'NoSuchKey') return false;
    // Refused (a key encrypted with KMS needs kms:Decrypt to show its checksum or bytes; without s3:ListBucket a missing
    // key is a 403): what is there cannot be told, so the bundle is uploaded, which the upload's own permission decides.
    if (status === 403) return false;
    throw error;
  }
}
