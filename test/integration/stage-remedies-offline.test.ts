import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { cliJson, createWorkspace, runCli, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-stage-remedies';

/** The first `stagegate <command> …` quoted in a remedy, as a shell would split the words after `stagegate`. */
function firstCommand(remedy: string, command: string): string[] {
  const match = new RegExp(`\`stagegate (${command} [^\`]+)\``).exec(remedy);
  if (!match) throw new Error(`no ${command} command in the remedy: ${remedy}`);
  return ((match[1] as string).match(/"[^"]*"|\S+/g) ?? []).map((word) => word.replace(/^"(.*)"$/, '$1'));
}

/**
 * The engineer runs `stagegate … --stage <stage>` (the stage's database is
 * in a VPC): every remedy of a failure must name something that works with
 * `--stage`, adopt included, which runs on the stage's migrate function
 * (serverless-offline here). Each test starts from an empty database.
 */
describe('Integration: remedies on a stage, and stagegate adopt --stage (serverless-offline)', () => {
  let stage: LocalStage;
  let ws: Workspace;

  beforeAll(async () => {
    stage = await startLocalStage({ bucket: BUCKET, env: { STAGEGATE_LOCK_TIMEOUT_MS: '500', STAGEGATE_STATEMENT_TIMEOUT_MS: '1000' } });
    ws = createWorkspace();
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
  });
  afterAll(async () => {
    ws?.remove();
    await stage?.stop();
  });
  beforeEach(async () => {
    await stage.db.query('drop schema if exists stagegate cascade; drop schema public cascade; create schema public');
  });

  const onStage = (args: string[], json = true) => runCli([...args, '--stage', 'local', ...(json ? ['--json'] : [])], { cwd: ws.dir, env: { ...stage.cliEnv(), NO_COLOR: '1' } });
  const ledger = async () => Object.fromEntries((await stage.db.query<{ id: string; method: string }>('select id, method from stagegate.migrations')).map((r) => [r.id, r.method]));
  const ORDERS = { 'shop/0001_orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY);' };
  const NOTE = { 'shop/0002_note.sql': 'ALTER TABLE orders ADD COLUMN note text;' };
  const REFUNDS_SQL = 'CREATE TABLE refunds (id int PRIMARY KEY, amount int NOT NULL);';

  it('lock_timeout (55P03): the remedy names the function\'s STAGEGATE_LOCK_TIMEOUT_MS, not --lock-timeout, which --stage refuses', async () => {
    // Prepare: the table exists; a live transaction holds a lock on it
    ws.migrations(ORDERS);
    expect((await onStage(['migrate'])).code).toBe(0);
    ws.migrations({ ...ORDERS, ...NOTE });
    const holder = await stage.db.connect();
    await holder.query('begin');
    await holder.query('lock table orders in access share mode');
    try {
      // Act
      const failed = await onStage(['migrate']);
      const asLocally = await onStage(['migrate', '--lock-timeout', '30s']);
      // Assess
      const error = cliJson(failed.stdout).error;
      expect(error).toMatchObject({ code: 'MIGRATION_FAILED', sqlstate: '55P03', migration: 'shop/0002_note' });
      expect(asLocally.code).toBe(2);
      expect(error.remedy).not.toContain('--lock-timeout');
      expect(error.remedy).toContain('STAGEGATE_LOCK_TIMEOUT_MS in the environment of stagegate-local-migrate (custom.functionEnvironment.migrate in serverless.yml)');
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
  });

  it('statement_timeout (57014): the remedy names the function\'s STAGEGATE_STATEMENT_TIMEOUT_MS, not --statement-timeout', async () => {
    // Act
    ws.migrations({ ...ORDERS, 'shop/0002_slow.sql': 'SELECT pg_sleep(3);' });
    const failed = await onStage(['migrate']);
    const asLocally = await onStage(['migrate', '--statement-timeout', '10m']);
    // Assess
    const error = cliJson(failed.stdout).error;
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED', sqlstate: '57014', migration: 'shop/0002_slow' });
    expect(asLocally.code).toBe(2);
    expect(error.remedy).not.toContain('--statement-timeout');
    expect(error.remedy).toContain('STAGEGATE_STATEMENT_TIMEOUT_MS in the environment of stagegate-local-migrate');
  });

  it('a table made by hand without a baseline (42P07): the remedy\'s adopt --stage proves and records it; migrate goes on', async () => {
    // Prepare: no ledger yet, so migrate reaches the CREATE
    ws.migrations({ ...ORDERS, 'shop/0002_refunds.sql': REFUNDS_SQL });
    await stage.db.query(REFUNDS_SQL);
    const failed = await onStage(['migrate']);
    // Act: the command of the remedy, as printed
    const error = cliJson(failed.stdout).error;
    const adopt = await runCli([...firstCommand(error.remedy, 'adopt'), '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    const rest = await onStage(['migrate']);
    // Assess
    expect(error).toMatchObject({ code: 'MIGRATION_FAILED', sqlstate: '42P07', migration: 'shop/0002_refunds' });
    expect(error.remedy).toContain('`stagegate adopt shop/0002_refunds --stage local`');
    expect(cliJson(adopt.stdout)).toMatchObject({ ok: true, action: 'adopt', id: 'shop/0002_refunds', verified: true, stage: 'local' });
    expect(cliJson(rest.stdout)).toMatchObject({ ok: true, status: 'up-to-date' });
    expect(await ledger()).toEqual({ 'shop/0001_orders': 'executed', 'shop/0002_refunds': 'adopted' });
  });

  it('adopt --stage after DRIFT_DETECTED: recorded as the function\'s run, its objects in the baseline; human output as locally', async () => {
    // Prepare
    ws.migrations(ORDERS);
    await onStage(['migrate']);
    ws.migrations({ ...ORDERS, 'shop/0002_refunds.sql': REFUNDS_SQL });
    await stage.db.query(REFUNDS_SQL);
    const stopped = await onStage(['migrate']);
    // Act: the adopt the remedy names
    const adopted = await runCli(firstCommand(cliJson(stopped.stdout).error.remedy, 'adopt'), { cwd: ws.dir, env: { ...stage.cliEnv(), NO_COLOR: '1' } });
    const drift = await onStage(['drift']);
    // Assess
    const error = cliJson(stopped.stdout).error;
    expect(error.code).toBe('DRIFT_DETECTED');
    expect(error.remedy).toContain('`stagegate adopt shop/0002_refunds --stage local`');
    expect(error.remedy).toContain('`stagegate drift --accept --reason "…" --stage local`');
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toMatch(/Adopted shop\/0002_refunds: its \d+ object\(s\) on the database are exactly what it makes/);
    expect(drift.code).toBe(0);
    const runs = await stage.db.query<{ actor: string; outcome: string }>("select actor, outcome from stagegate.runs where action = 'adopt'");
    expect(runs).toEqual([{ actor: expect.stringMatching(/^lambda:stagegate-local-migrate:/), outcome: 'succeeded' }]);
  });

  it('adopt --stage refuses live objects that differ, listing the difference, and writes nothing; --force --reason records them', async () => {
    // Prepare
    ws.migrations(ORDERS);
    await onStage(['migrate']);
    ws.migrations({ ...ORDERS, 'shop/0002_refunds.sql': REFUNDS_SQL });
    await stage.db.query('CREATE TABLE refunds (id int PRIMARY KEY, amount bigint NOT NULL)');
    // Act
    const refused = await onStage(['adopt', 'shop/0002_refunds']);
    const before = await ledger();
    const longReason = await onStage(['adopt', 'shop/0002_refunds', '--force', '--reason', 'x'.repeat(1001)]);
    const forced = await onStage(['adopt', 'shop/0002_refunds', '--force', '--reason', 'amount widened by hand on this stage']);
    // Assess
    expect(refused.code).toBe(1);
    expect(cliJson(refused.stdout).error).toMatchObject({ code: 'ADOPT_REFUSED', migration: 'shop/0002_refunds' });
    expect(cliJson(refused.stdout).error.message).toContain('column public.refunds.amount: live bigint not null, migration integer not null');
    expect(cliJson(refused.stdout).error.remedy).toContain('--force --reason "…"');
    expect(before).toEqual({ 'shop/0001_orders': 'executed' });
    expect(longReason.code).toBe(2);
    expect(cliJson(forced.stdout)).toMatchObject({ ok: true, verified: false, reason: 'amount widened by hand on this stage', stage: 'local' });
    const [run] = await stage.db.query<{ details: { reason: string; forced: boolean } }>("select details from stagegate.runs where action = 'adopt' and outcome = 'succeeded'");
    expect(run?.details).toMatchObject({ reason: 'amount widened by hand on this stage', forced: true });
    expect(await ledger()).toMatchObject({ 'shop/0002_refunds': 'adopted' });
  });

  it('a dependency pending (a skipped release): the refusal\'s commands for the stage, followed literally, get it applied and adopted', async () => {
    // Prepare: 0001 applied, 0002 skipped, 0003's table made by hand
    ws.migrations(ORDERS);
    await onStage(['migrate']);
    ws.migrations({ ...ORDERS, ...NOTE, 'shop/0003_refunds.sql': REFUNDS_SQL });
    await stage.db.query(REFUNDS_SQL);
    // Act
    const refused = await onStage(['adopt', 'shop/0003_refunds']);
    const remedy = String(cliJson(refused.stdout).error.remedy);
    const plain = await runCli([...firstCommand(remedy, 'migrate'), '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    const accepted = await runCli([...firstCommand(remedy, 'drift --accept'), '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    const dependencies = await runCli([...firstCommand(remedy, 'migrate'), '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    const adopted = await runCli([...firstCommand(remedy, 'adopt'), '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    // Assess
    expect(cliJson(refused.stdout).error).toMatchObject({ code: 'ADOPT_REFUSED', missing: ['shop/0002_note'] });
    expect(remedy).toContain('`stagegate migrate --to shop/0002_note --stage local`');
    expect(remedy).not.toContain('--drift warn');
    expect(cliJson(plain.stdout).error.code).toBe('DRIFT_DETECTED');
    expect(accepted.code).toBe(0);
    expect(cliJson(dependencies.stdout)).toMatchObject({ ok: true, applied: [{ id: 'shop/0002_note' }] });
    expect(cliJson(adopted.stdout)).toMatchObject({ ok: true, id: 'shop/0003_refunds', verified: true });
    expect(await ledger()).toEqual({ 'shop/0001_orders': 'executed', 'shop/0002_note': 'executed', 'shop/0003_refunds': 'adopted' });
  });

  it('adopt --stage refuses the local settings, as migrate --stage does', async () => {
    // Act
    ws.migrations(ORDERS);
    const result = await onStage(['adopt', 'shop/0001_orders', '--lock-timeout', '30s']);
    // Assess
    expect(result.code).toBe(2);
    expect(cliJson(result.stdout).error.message).toContain('--lock-timeout does not apply');
  });
});
