/** S3 over HTTP for tests: the shared s3rver helper in `lib/local/s3rver.ts`. */
import { S3RVER_CREDENTIALS } from '../../lib/local/s3rver';

export { startS3, type LocalS3 } from '../../lib/local/s3rver';

/** s3rver's built-in key pair. */
export const S3_CREDENTIALS = S3RVER_CREDENTIALS;
