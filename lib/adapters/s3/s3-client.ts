import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { boundedRequestHandler } from '../aws-request-handler';

export interface S3ClientOptions {
  region?: string;
  /** A local S3 (s3rver) for development and tests; real AWS needs none. */
  endpoint?: string;
  /** Credentials the caller resolved; the SDK's default chain otherwise. */
  credentials?: S3ClientConfig['credentials'];
  /** The shared-config profile the default chain reads credentials from (when no `credentials`). */
  profile?: string;
  /** How long a connection may stay silent (no header or body bytes) before the request fails, in ms. */
  idleTimeoutMs?: number;
}

/**
 * The S3 client of entry points. With an endpoint it uses path-style
 * addressing, which local S3 servers need. Connecting and silence are
 * limited, so a stalled S3 fails (and is retried by the SDK) instead of hanging.
 *
 * @example
 * const s3 = createS3Client({ region: 'eu-west-1' });
 */
export function createS3Client(options: S3ClientOptions = {}): S3Client {
  return new S3Client({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    requestHandler: boundedRequestHandler(options.idleTimeoutMs),
  });
}
