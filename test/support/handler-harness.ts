import { createTestDatabase, type TestDatabase } from './database';
import { captureOutput, functionEnv, setEnv, type CapturedOutput } from './lambda-invoke';
import { S3_CREDENTIALS, useS3, type LocalS3 } from './s3';

/** What a test of the migrate handler works with; each field is fresh for every test. */
export interface HandlerHarness {
  readonly s3: LocalS3;
  readonly db: TestDatabase;
  readonly output: CapturedOutput;
}

/**
 * Registers the hooks a test file of the migrate handler needs: s3rver with
 * `bucket` for the file, and for each test a new database, the function's
 * environment pointing at both (plus `vars`), and its output captured.
 *
 * @example
 * const harness = useHandlerHarness('deploys', { STAGEGATE_SAFETY_MARGIN_MS: '500' });
 * it('…', async () => { await publishMigrations(harness.s3.client, 'deploys', files); });
 */
export function useHandlerHarness(bucket: string, vars: Record<string, string | undefined> = {}): HandlerHarness {
  const s3 = useS3(bucket);
  let current: { db: TestDatabase; output: CapturedOutput; restoreEnv: () => void } | undefined;
  const now = (): NonNullable<typeof current> => {
    if (!current) throw new Error('The handler harness is ready only while a test runs.');
    return current;
  };
  beforeEach(async () => {
    const db = await createTestDatabase();
    const restoreEnv = setEnv(functionEnv(s3.endpoint, S3_CREDENTIALS, { DATABASE_URL: db.url, STAGEGATE_STAGE: 'test', ...vars }));
    current = { db, restoreEnv, output: captureOutput() };
  });
  afterEach(async () => {
    const { db, output, restoreEnv } = now();
    current = undefined;
    output.restore();
    restoreEnv();
    await db.drop();
  });
  return {
    s3,
    get db() {
      return now().db;
    },
    get output() {
      return now().output;
    },
  };
}
