import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { cliJson, createWorkspace, runCli, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-resolve-stage';

interface RunRow {
  action: string;
  outcome: string;
  actor: string;
  details: Record<string, unknown> | null;
}

/**
 * `stagegate resolve --stage`: the stage's database is reached only by its
 * migrate function, so the CLI invokes it (serverless-offline) to settle a
 * dirty no-transaction migration, on the embedded Postgres behind it.
 * The tests share the stage's database and build on one another.
 */
describe('Integration: stagegate resolve --stage, through the migrate function', () => {
  let stage: LocalStage;
  let ws: Workspace;

  beforeAll(async () => {
    stage = await startLocalStage({ bucket: BUCKET });
    ws = createWorkspace();
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
  });
  afterAll(async () => {
    ws?.remove();
    await stage?.stop();
  });

  // resolve publishes nothing, so it is run without a bucket
  const cli = (argv: string[]) => {
    const { STAGEGATE_BUCKET, ...noBucket } = stage.cliEnv();
    return runCli(argv, { cwd: ws.dir, env: argv[0] === 'resolve' ? noBucket : { ...noBucket, STAGEGATE_BUCKET } });
  };
  const resolveRuns = () => stage.db.query<RunRow>("select action, outcome, actor, details from stagegate.runs where action = 'resolve' order by id");
  const state = async (id: string) => (await stage.db.query<{ state: string }>('select state from stagegate.migrations where id = $1', [id]))[0]?.state ?? null;

  const ORDERS = { 'shop/0001_orders.sql': 'CREATE TABLE rs_orders (id int PRIMARY KEY, code int);' };
  const BROKEN_INDEX = { 'shop/0002_code.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY rs_orders_code ON rs_orders (cod);' };
  const FIXED_INDEX = { 'shop/0002_code.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY rs_orders_code ON rs_orders (code);' };

  it('settles a failed no-transaction migration as rolled back, recorded as the function\'s with the reason; the next migrate --stage applies it', async () => {
    // Prepare: the migration fails on the stage and leaves it dirty
    ws.migrations({ ...ORDERS, ...BROKEN_INDEX });
    const failed = await cli(['migrate', '--stage', 'local', '--json']);
    const dirty = await cli(['migrate', '--stage', 'local', '--json']);
    // Act
    const resolved = await cli(['resolve', 'shop/0002_code', '--rolled-back', '--reason', 'typo in the column, nothing was built', '--stage', 'local', '--json']);
    ws.migrations({ ...ORDERS, ...FIXED_INDEX });
    const migrated = await cli(['migrate', '--stage', 'local', '--json']);
    // Assess: the remedies name the command that works on this stage
    expect(cliJson(failed.stdout).error).toMatchObject({ code: 'MIGRATION_FAILED', migration: 'shop/0002_code' });
    expect(cliJson(failed.stdout).error.remedy).toContain('`stagegate resolve shop/0002_code --rolled-back --stage local`');
    expect(dirty.code).toBe(1);
    const dirtyError = cliJson(dirty.stdout).error;
    expect(dirtyError).toMatchObject({ code: 'MIGRATION_DIRTY', migration: 'shop/0002_code' });
    expect(dirtyError.remedy).toContain('`stagegate resolve shop/0002_code --applied --stage local`');
    expect(dirtyError.remedy).toContain(`runs through stagegate-local-migrate, which reaches ${String(dirtyError.target)}`);
    // resolve --stage answers as a local resolve, with the stage
    expect(resolved.code).toBe(0);
    expect(cliJson(resolved.stdout)).toMatchObject({
      ok: true,
      action: 'resolve',
      id: 'shop/0002_code',
      outcome: 'rolled-back',
      stage: 'local',
      failure: { code: 'MIGRATION_FAILED', message: expect.stringContaining('shop/0002_code') },
    });
    expect(resolved.stderr).toContain('invoking stagegate-local-migrate (stage local)');
    const [run] = await resolveRuns();
    expect(run).toMatchObject({ outcome: 'succeeded', details: { id: 'shop/0002_code', outcome: 'rolled-back', reason: 'typo in the column, nothing was built' } });
    expect(run?.actor).toMatch(/^lambda:stagegate-local-migrate:\S+$/);
    expect(migrated.code).toBe(0);
    expect(cliJson(migrated.stdout)).toMatchObject({ status: 'applied', applied: [{ id: 'shop/0002_code' }] });
    expect(await state('shop/0002_code')).toBe('applied');
  });

  it('refuses --applied over an INVALID index (RESOLVE_REFUSED) and a migration that is not dirty (NOT_DIRTY), changing nothing; rolls back once the index is dropped', async () => {
    // Prepare: a unique index built concurrently over duplicates is left INVALID
    ws.migrations({
      ...ORDERS,
      ...FIXED_INDEX,
      'shop/0003_codes.sql': "CREATE TABLE rs_codes (code text);\nINSERT INTO rs_codes VALUES ('a'), ('a');",
      'shop/0004_unique.sql': '-- stagegate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY rs_codes_code ON rs_codes (code);',
    });
    await cli(['migrate', '--stage', 'local']);
    // Act
    const refused = await cli(['resolve', 'shop/0004_unique', '--applied', '--reason', 'looks done', '--stage', 'local', '--json']);
    const human = await cli(['resolve', 'shop/0001_orders', '--rolled-back', '--stage', 'local']);
    // Assess
    expect(refused.code).toBe(1);
    const error = cliJson(refused.stdout).error;
    expect(error).toMatchObject({ code: 'RESOLVE_REFUSED', migration: 'shop/0004_unique', invalidIndexes: [{ schema: 'public', table: 'rs_codes', index: 'rs_codes_code' }] });
    expect(error.remedy).toContain('`stagegate resolve shop/0004_unique --rolled-back --stage local`');
    expect(await state('shop/0004_unique')).toBe('failed');
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('error NOT_DIRTY: Migration shop/0001_orders is not dirty: its ledger row is applied.');
    expect(human.stderr).toContain('`stagegate status --stage local`');
    expect(await state('shop/0001_orders')).toBe('applied');
    // Both refusals are in the history as failed resolve runs, the reason kept
    const runs = await resolveRuns();
    expect(runs.slice(1).map((r) => [r.outcome, r.details?.id, r.details?.reason])).toEqual([
      ['failed', 'shop/0004_unique', 'looks done'],
      ['failed', 'shop/0001_orders', null],
    ]);
    // Once the index is dropped by hand, rolling back is allowed; the human answer names the stage
    await stage.db.query('DROP INDEX CONCURRENTLY rs_codes_code');
    const settled = await cli(['resolve', 'shop/0004_unique', '--rolled-back', '--stage', 'local']);
    expect(settled.code).toBe(0);
    expect(settled.stdout).toContain('Resolved shop/0004_unique as rolled-back on stage local, after its failure (MIGRATION_FAILED:');
    expect(await state('shop/0004_unique')).toBeNull();
  });
});
