/** S3 over HTTP for tests: the shared s3rver helper in `lib/local/s3rver.ts`. */
import { S3RVER_CREDENTIALS, startS3, type LocalS3 } from '../../lib/local/s3rver';

export { startS3, type LocalS3 };

/** s3rver's built-in key pair. */
export const S3_CREDENTIALS = S3RVER_CREDENTIALS;

/**
 * Registers the hooks that start s3rver with one bucket before the file's
 * tests and stop it after them. The returned handle points at that server.
 *
 * @example
 * const s3 = useS3('deploys');
 * it('…', async () => { await publishMigrations(s3.client, 'deploys', files); });
 */
export function useS3(bucket: string): LocalS3 {
  let current: LocalS3 | undefined;
  const now = (): LocalS3 => {
    if (!current) throw new Error('s3rver runs only while the tests of the file run.');
    return current;
  };
  beforeAll(async () => {
    current = await startS3();
    await current.createBucket(bucket);
  });
  afterAll(() => now().stop());
  return {
    get endpoint() {
      return now().endpoint;
    },
    get client() {
      return now().client;
    },
    createBucket: (name) => now().createBucket(name),
    stop: () => now().stop(),
  };
}
