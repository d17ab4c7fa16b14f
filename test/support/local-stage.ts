import { createTestDatabase, type TestDatabase } from './database';
import { startOffline, type Offline } from './offline';
import { S3_CREDENTIALS, startS3, type LocalS3 } from './s3';

/** The `local` stage with everything behind it: a fresh database, S3 (s3rver) and the Lambda emulator. */
export interface LocalStage {
  db: TestDatabase;
  s3: LocalS3;
  offline: Offline;
  bucket: string;
  /** The environment a CLI process needs to run `--stage local` against this stage. */
  cliEnv(): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts a fresh test database, s3rver with `bucket`, and serverless-offline
 * whose migrate function reaches both. `env` adds handler settings (e.g.
 * `STAGEGATE_SAFETY_MARGIN_MS`).
 *
 * @example
 * const stage = await startLocalStage({ bucket: 'deploys' });
 * afterAll(() => stage.stop());
 */
export async function startLocalStage(options: { bucket: string; env?: Record<string, string> }): Promise<LocalStage> {
  const [db, s3] = await Promise.all([createTestDatabase(), startS3()]);
  let offline: Offline;
  try {
    await s3.createBucket(options.bucket);
    offline = await startOffline({
      env: {
        DATABASE_URL: db.url,
        STAGEGATE_DB_TLS: 'disable',
        STAGEGATE_S3_ENDPOINT: s3.endpoint,
        AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
        ...options.env,
      },
    });
  } catch (error) {
    await Promise.all([s3.stop(), db.drop()]);
    throw error;
  }
  return {
    db,
    s3,
    offline,
    bucket: options.bucket,
    cliEnv: () => ({
      STAGEGATE_BUCKET: options.bucket,
      STAGEGATE_S3_ENDPOINT: s3.endpoint,
      STAGEGATE_LAMBDA_ENDPOINT: offline.lambdaEndpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    }),
    stop: async () => {
      await offline.stop();
      await Promise.all([s3.stop(), db.drop()]);
    },
  };
}
