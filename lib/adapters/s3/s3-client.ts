import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  region?: string;
  /** A local S3 (s3rver) for development and tests; real AWS needs none. */
  endpoint?: string;
  /** Credentials the caller resolved; the SDK's default chain otherwise. */
  credentials?: S3ClientConfig['credentials'];
}

/**
 * The S3 client of entry points. With an endpoint it uses path-style
 * addressing, which local S3 servers need.
 *
 * @example
 * const s3 = createS3Client({ region: 'eu-west-1' });
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  return new S3Client({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
}
