import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { cliJson, createWorkspace, runCli, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-stage-cli';

/**
 * End to end with no AWS account: the CLI with --stage publishes to S3
 * (s3rver), invokes the stage's migrate function through the Lambda
 * emulator (serverless-offline), which fetches the bundle, verifies it and
 * migrates the real PostgreSQL.
 */
describe('Integration: stagegate --stage, CLI to Lambda to S3 to Postgres', () => {
  let stage: LocalStage;
  let ws: Workspace;

  beforeAll(async () => {
    // Leaves each invocation about 2.5 s of its 900 s, so runs of slow migrations come back incomplete.
    stage = await startLocalStage({ bucket: BUCKET, env: { STAGEGATE_SAFETY_MARGIN_MS: String(900_000 - 2_500) } });
  });
  afterAll(() => stage?.stop());
  beforeEach(() => {
    ws = createWorkspace();
    // The function name comes from serverless.yml: stagegate-local-migrate.
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
  });
  afterEach(() => ws.remove());

  const env = (): Record<string, string> => stage.cliEnv();

  // The stage's database keeps what each test applied, so later tests ship those migrations too (else: DATABASE_AHEAD).
  const shop = { 'shop/0001_orders.sql': 'CREATE TABLE stage_orders (id int PRIMARY KEY);', 'shop/0002_items.sql': 'CREATE TABLE stage_items (id int);' };

  it('migrates a stage and renders the result as a local run does', async () => {
    // Prepare
    ws.migrations(shop);
    // Act
    const human = await runCli(['migrate', '--stage', 'local'], { cwd: ws.dir, env: env() });
    const again = await runCli(['status', '--stage', 'local', '--json'], { cwd: ws.dir, env: env() });
    // Assess
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('invoking stagegate-local-migrate (stage local)');
    expect(human.stdout).toMatch(/✓ shop\/0001_orders {2}\d+ ms/);
    expect(human.stdout).toMatch(/Applied 2 migrations/);
    expect(again.code).toBe(0);
    expect(cliJson(again.stdout)).toMatchObject({ ok: true, action: 'status', status: 'up-to-date', stage: 'local' });
    expect((await stage.db.query<{ n: number }>('select count(*)::int as n from stagegate.migrations'))[0]?.n).toBe(2);
  });

  it('fails with the same error code and exit code as a local run', async () => {
    // Prepare
    ws.migrations({ ...shop, 'shop/0003_broken.sql': 'CREATE TABLE stage_broken (id int);\nALTER TABLE stage_broken ADD FOREIGN KEY (nope) REFERENCES stage_orders (id);' });
    // Act
    const result = await runCli(['migrate', '--stage', 'local', '--json'], { cwd: ws.dir, env: env() });
    // Assess
    expect(result.code).toBe(1);
    const out = cliJson(result.stdout);
    expect(out.ok).toBe(false);
    expect(out.error).toMatchObject({ code: 'MIGRATION_FAILED', migration: 'shop/0003_broken', file: 'shop/0003_broken.sql', line: 2, sqlstate: '42703' });
    expect(result.stderr).toContain('error MIGRATION_FAILED');
  });

  it('invokes again while the function comes back incomplete, until every migration is applied', async () => {
    // Prepare: four migrations of 0.8 s each do not fit in one invocation's 2.5 s
    const files: Record<string, string> = { ...shop };
    for (let i = 1; i <= 4; i += 1) files[`slow/000${i}_step.sql`] = `CREATE TABLE slow_${i} (id int);\nSELECT pg_sleep(0.8);`;
    ws.migrations(files);
    // Act
    const result = await runCli(['migrate', '--stage', 'local', '--json'], { cwd: ws.dir, env: env() });
    // Assess
    expect(result.code).toBe(0);
    const out = cliJson(result.stdout);
    expect(out.status).toBe('applied');
    expect(out.applied.map((a: { id: string }) => a.id)).toEqual(['slow/0001_step', 'slow/0002_step', 'slow/0003_step', 'slow/0004_step']);
    expect(result.stderr).toMatch(/invoking again \(2\/20\)/);
  });

  it('drift --stage: the function reports a column added by hand, then accepts it with the reason', async () => {
    // Prepare
    ws.migrations(shop);
    await runCli(['migrate', '--stage', 'local'], { cwd: ws.dir, env: env() });
    await stage.db.query('ALTER TABLE stage_orders ADD COLUMN by_hand integer');
    // Act
    const shown = await runCli(['drift', '--stage', 'local'], { cwd: ws.dir, env: env() });
    const accepted = await runCli(['drift', '--stage', 'local', '--accept', '--reason', 'hotfix on the stage', '--json'], { cwd: ws.dir, env: env() });
    // Assess
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain('error DRIFT_DETECTED');
    expect(shown.stderr).toContain('column public.stage_orders.by_hand added outside migrations (integer)');
    expect(accepted.code).toBe(0);
    expect(cliJson(accepted.stdout)).toMatchObject({ ok: true, action: 'drift', stage: 'local', reason: 'hotfix on the stage', accepted: [{ name: 'public.stage_orders.by_hand' }] });
  });

  it('goes back with --to, invoking again with the same target while the function comes back incomplete', async () => {
    // Prepare: the slow app of the test before, now with reverse scripts of 0.8 s each
    const files: Record<string, string> = { ...shop };
    for (let i = 1; i <= 4; i += 1) {
      files[`slow/000${i}_step.sql`] = `CREATE TABLE slow_${i} (id int);\nSELECT pg_sleep(0.8);`;
      files[`slow/000${i}_step.down.sql`] = `DROP TABLE slow_${i};\nSELECT pg_sleep(0.8);`;
    }
    ws.migrations(files);
    // Act
    const result = await runCli(['migrate', '--stage', 'local', '--to', 'slow/zero', '--json'], { cwd: ws.dir, env: env() });
    // Assess
    expect(result.code).toBe(0);
    const out = cliJson(result.stdout);
    expect(out).toMatchObject({ status: 'reverted', to: 'slow/zero', applied: [], pending: [], stage: 'local' });
    expect(out.reverted.map((r: { id: string }) => r.id)).toEqual(['slow/0004_step', 'slow/0003_step', 'slow/0002_step', 'slow/0001_step']);
    expect(result.stderr).toMatch(/invoking again \(2\/20\)/);
    const left = await stage.db.query<{ id: string }>('select id from stagegate.migrations order by id');
    expect(left.map((r) => r.id)).toEqual(['shop/0001_orders', 'shop/0002_items']);
  });
});
