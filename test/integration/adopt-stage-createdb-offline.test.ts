import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { cliJson, createWorkspace, runCli, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-adopt-createdb';

/**
 * `stagegate adopt --stage` proves a migration on a scratch database the
 * migrate function creates as its own database user. Here that user owns
 * the stage's database but lacks CREATEDB, as a least-privilege migrator
 * role on RDS may: the failure and its remedy must say so, and the remedy's
 * way round it (`--force --reason … --stage`) must work as printed.
 */
describe('Integration: adopt --stage when the function\'s database user lacks CREATEDB (serverless-offline)', () => {
  const role = `migrator_${Date.now()}`;
  const password = 'pw-createdb-secret';
  let db: TestDatabase;
  let stage: LocalStage;
  let ws: Workspace;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.query(`create role ${role} login password '${password}' nocreatedb`);
    await db.query(`alter database ${pg.escapeIdentifier(db.name)} owner to ${role}`);
    await db.query(`alter schema public owner to ${role}`);
    const url = new URL(db.url);
    url.username = role;
    url.password = password;
    stage = await startLocalStage({ bucket: BUCKET, env: { DATABASE_URL: url.toString() } });
    ws = createWorkspace();
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
  });
  afterAll(async () => {
    ws?.remove();
    await stage?.stop();
    await db?.query(`alter database ${pg.escapeIdentifier(db.name)} owner to current_user`);
    await db?.drop();
  });

  const cli = (args: string[]) => runCli(args, { cwd: ws.dir, env: stage.cliEnv() });

  it('fails with SCRATCH_DATABASE_FAILED naming the user and the grant; the remedy\'s --force --reason --stage records it', async () => {
    // Prepare: 0002's table made by hand on the stage
    ws.migrations({ 'shop/0001_orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY);' });
    expect((await cli(['migrate', '--stage', 'local', '--json'])).code).toBe(0);
    ws.migrations({ 'shop/0001_orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY);', 'shop/0002_refunds.sql': 'CREATE TABLE refunds (id int PRIMARY KEY);' });
    await db.query(`set role ${role}; CREATE TABLE refunds (id int PRIMARY KEY); reset role`);
    // Act
    const refused = await cli(['adopt', 'shop/0002_refunds', '--stage', 'local', '--json']);
    const error = cliJson(refused.stdout).error;
    const command = /`stagegate (adopt [^`]+)`/.exec(error.remedy)?.[1] ?? '';
    const words = (command.match(/"[^"]*"|\S+/g) ?? []).map((word) => word.replace(/^"(.*)"$/, '$1').replace('…', 'no CREATEDB for the migrator'));
    const forced = await cli([...words, '--json']);
    // Assess
    expect(refused.code).toBe(1);
    expect(error).toMatchObject({ code: 'SCRATCH_DATABASE_FAILED', sqlstate: '42501', migration: 'shop/0002_refunds' });
    expect(error.message).toContain('may not create databases');
    expect(error.remedy).toContain(`its own database user (${role}@`);
    expect(error.remedy).toContain(`\`ALTER ROLE ${role} CREATEDB\``);
    expect(command).toBe('adopt shop/0002_refunds --force --reason "…" --stage local');
    expect(refused.stdout + refused.stderr).not.toContain(password);
    expect(cliJson(forced.stdout)).toMatchObject({ ok: true, id: 'shop/0002_refunds', verified: false, baselineUpdated: false, reason: 'no CREATEDB for the migrator' });
    expect(cliJson(forced.stdout).skipped[0]).toContain('the whole proof');
  });
});
