import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildCatalog } from '../../lib/core/catalog';
import { readMigrationsFolder } from '../../lib/adapters/fs/read-migrations-folder';
import { writeStageRecord } from '../../lib/adapters/s3/stage-records';
import { runCli } from '../../lib/cli/main';
import { STAGE_RECORD_FORMAT, type StageRecord } from '../../lib/core/stage-record';
import { adminUrl, createTestDatabase, type TestDatabase } from '../support/database';
import { S3_CREDENTIALS, useS3 } from '../support/s3';
import { setEnv } from '../support/lambda-invoke';
import { fingerprint } from '../support/squash-run';
import { copyExampleApps, createWorkspace, runOnFolder, type Workspace } from '../support/workspace';

const BUCKET = 'squash-prune';
const SQUASH = 'organization/0001_squashed_0001_0001';

/** Runs the CLI in this process; returns the exit code and the one JSON object of --json. */
async function cli(argv: string[], cwd: string, env: Record<string, string | undefined>): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli({ argv: [...argv, '--json'], env, cwd, stdout: { write: (s: string) => ((stdout += s), true) }, stderr: { write: (s: string) => ((stderr += s), true) } });
  return { code, json: JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>, stderr };
}

const record = (stage: string, ids: string[]): StageRecord => ({
  format: STAGE_RECORD_FORMAT,
  stage,
  bundleId: 'b'.repeat(64),
  recordedAt: new Date().toISOString(),
  applied: ids.map((id) => ({ id, checksum: 'v1:0', appliedAt: new Date().toISOString() })),
  schemaHash: null,
  overrides: [],
});

describe('Integration: stagegate squash --prune', () => {
  let ws: Workspace;
  let dir: string;
  let database: TestDatabase;

  const s3 = useS3(BUCKET);
  beforeEach(async () => {
    ws = createWorkspace();
    dir = copyExampleApps(ws.dir);
    database = await createTestDatabase();
    // The stage had the originals before the squash was written.
    await runOnFolder(dir, database.url, { action: 'migrate' });
    const built = await cli(['squash', 'organization', '--to', '0001', '--database-url', adminUrl()], ws.dir, {});
    expect(built.code).toBe(0);
  }, 60_000);
  afterEach(async () => {
    ws.remove();
    await database.drop();
  });

  it('refuses while the database has not applied the squash, then removes only the originals it replaces', async () => {
    // Prepare
    const env = { DATABASE_URL: database.url };
    // Act
    const refused = await cli(['squash', 'organization', '--prune'], ws.dir, env);
    await runOnFolder(dir, database.url, { action: 'migrate' });
    const pruned = await cli(['squash', 'organization', '--prune'], ws.dir, env);
    // Assess
    expect(refused.code).toBe(1);
    expect(refused.json.error).toMatchObject({ code: 'PRUNE_REFUSED', shortfalls: [{ squash: SQUASH, reason: 'has not applied the squash' }] });
    expect(refused.stderr).toContain(`database ${new URL(database.url).username}@`);
    expect(pruned.code).toBe(0);
    expect(pruned.json).toMatchObject({ ok: true, pruned: true, squashes: [SQUASH], removed: ['organization/0001_initial.down.sql', 'organization/0001_initial.sql'] });
    expect(readdirSync(join(dir, 'organization')).sort()).toEqual([
      '0001_squashed_0001_0001.down.sql',
      '0001_squashed_0001_0001.sql',
      '0002_organization_type.down.sql',
      '0002_organization_type.sql',
      '0003_organization_name_index.down.sql',
      '0003_organization_name_index.sql',
    ]);
    expect(existsSync(join(dir, 'membership/0001_initial.sql'))).toBe(true);
    expect(buildCatalog(await readMigrationsFolder(dir)).find((m) => m.id === 'organization/0002_organization_type')?.dependencies).toEqual([SQUASH]);
    const again = await runOnFolder(dir, database.url, { action: 'migrate' });
    expect(again.status).toBe('up-to-date');
    const freshDb = await createTestDatabase();
    try {
      await runOnFolder(dir, freshDb.url, { action: 'migrate' });
      expect(await fingerprint(freshDb.url)).toBe(await fingerprint(database.url));
    } finally {
      await freshDb.drop();
    }
  }, 60_000);

  it("reads every stage's record: refuses naming each stage without the squash, allows it once all have it", async () => {
    // Prepare
    writeFileSync(join(ws.dir, 'serverless.yml'), 'service: shop\ncustom:\n  stagegate:\n    stages: [dev, production]\n');
    const env = {
      STAGEGATE_BUCKET: BUCKET,
      STAGEGATE_S3_ENDPOINT: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
    };
    await writeStageRecord(s3.client, BUCKET, 'stagegate', record('dev', ['organization/0001_initial', SQUASH]));
    // The SDK reads its credentials from the process environment.
    const restore = setEnv(env);
    type Outcome = Awaited<ReturnType<typeof cli>>;
    let noRecord: Outcome | undefined, notApplied: Outcome | undefined, forcedWithoutReason: Outcome | undefined, pruned: Outcome | undefined;
    try {
      // Act
      noRecord = await cli(['squash', 'organization', '--prune'], ws.dir, env);
      await writeStageRecord(s3.client, BUCKET, 'stagegate', record('production', ['organization/0001_initial']));
      notApplied = await cli(['squash', 'organization', '--prune'], ws.dir, env);
      forcedWithoutReason = await cli(['squash', 'organization', '--prune', '--force'], ws.dir, env);
      await writeStageRecord(s3.client, BUCKET, 'stagegate', record('production', ['organization/0001_initial', SQUASH]));
      pruned = await cli(['squash', 'organization', '--prune'], ws.dir, env);
    } finally {
      restore();
    }
    // Assess
    expect(noRecord?.json.error).toMatchObject({ code: 'PRUNE_REFUSED', shortfalls: [{ where: 'stage production', reason: 'has no record of applied migrations' }] });
    expect(notApplied?.json.error).toMatchObject({ code: 'PRUNE_REFUSED', shortfalls: [{ where: 'stage production', reason: 'has not applied the squash' }] });
    expect(forcedWithoutReason?.code).toBe(2);
    expect(pruned?.code).toBe(0);
    expect(pruned?.json).toMatchObject({ checked: ['stage dev', 'stage production'], removed: ['organization/0001_initial.down.sql', 'organization/0001_initial.sql'] });
  }, 60_000);

  it('refuses with nothing to check, and deletes anyway with --force --reason', async () => {
    // Act
    const refused = await cli(['squash', 'organization', '--prune'], ws.dir, {});
    const forced = await cli(['squash', 'organization', '--prune', '--force', '--reason', 'the only stage was rebuilt from scratch'], ws.dir, {});
    // Assess
    expect(refused.json.error).toMatchObject({ code: 'PRUNE_REFUSED' });
    expect(String((refused.json.error as { message: string }).message)).toContain('nothing to check');
    expect(forced.json).toMatchObject({ ok: true, forced: 'the only stage was rebuilt from scratch', removed: ['organization/0001_initial.down.sql', 'organization/0001_initial.sql'] });
  }, 60_000);
});
