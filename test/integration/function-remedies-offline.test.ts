import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lockKey } from '../../lib/adapters/postgres/lock';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { errorTypeOf, invokeOffline, offlineLambdaClient } from '../support/offline';
import { cliJson, createWorkspace, runCli, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-function-remedies';

/**
 * What the person behind a deploy is told to do when the migrate function
 * cannot run: the CLI publishes to s3rver and invokes the local stage's
 * function in the Lambda emulator, as `serverless deploy` does, so every
 * remedy must be one that works on a stage.
 */
describe('Integration: remedies of the migrate function (serverless-offline)', () => {
  let stage: LocalStage;
  let ws: Workspace;

  beforeAll(async () => {
    stage = await startLocalStage({ bucket: BUCKET, env: { STAGEGATE_LOCK_WAIT_MS: '1000' } });
    ws = createWorkspace();
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
  });
  afterAll(async () => {
    ws?.remove();
    await stage?.stop();
  });

  const migrate = () => runCli(['migrate', '--stage', 'local', '--json'], { cwd: ws.dir, env: stage.cliEnv() });

  const ORDERS = { 'shop/0001_orders.sql': 'CREATE TABLE remedy_orders (id int PRIMARY KEY);' };
  const REFUNDS = { 'shop/0002_refunds.sql': 'CREATE TABLE remedy_refunds (id int PRIMARY KEY);' };

  it('tells how to raise the wait on the function and how to free a dead run\'s lock, not --lock-wait', async () => {
    // Prepare: a session that holds the ledger's lock, as one of a killed invocation would
    ws.migrations(ORDERS);
    const holder = await stage.db.connect();
    const key = lockKey('stagegate');
    await holder.query('select pg_advisory_lock($1, $2)', [key.classId, key.objectId]);
    const pid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    // Act
    const locked = await migrate();
    await holder.end();
    const after = await migrate();
    // Assess
    expect(locked.code).toBe(1);
    const { error } = cliJson(locked.stdout);
    expect(error.code).toBe('LOCK_TIMEOUT');
    expect(error.remedy).toContain('STAGEGATE_LOCK_WAIT_MS in the environment of stagegate-local-migrate');
    expect(error.remedy).toContain(`select pg_terminate_backend(${String(pid)})`);
    expect(error.remedy).not.toContain('Raise the wait with --lock-wait');
    expect(locked.stderr).toContain('what to do: Another run on this stage holds the lock');
    expect(after.code).toBe(0);
    expect(cliJson(after.stdout)).toMatchObject({ status: 'applied', applied: [{ id: 'shop/0001_orders' }] });
  });

  it('says that a deploy publishes the bundle when the function finds none, not to check a path', async () => {
    // Prepare: a bundle id nobody published (a lifecycle rule, another bucket)
    const sha = 'c'.repeat(64);
    const lambda = offlineLambdaClient(stage.offline);
    // Act
    const { functionError, payload } = await invokeOffline(lambda, stage.offline.functionName('migrate'), { action: 'migrate', bundle: { bucket: BUCKET, key: `stagegate/bundles/${sha}.json.gz`, sha256: sha } });
    lambda.destroy();
    // Assess
    expect(functionError).toBe('Unhandled');
    expect(errorTypeOf(payload)).toBe('BUNDLE_NOT_FOUND');
    expect(payload.errorMessage).toContain('what to do: Nothing was run. A deploy (and `stagegate … --stage`) publishes the bundle just before it invokes stagegate-local-migrate');
    expect(payload.errorMessage).not.toContain('build it with `stagegate bundle`');
  });

  it('says to deploy again when a bundle object was replaced after publishing, and publishing again uploads it anew', async () => {
    // Prepare: a new bundle, published, then its bytes replaced with the metadata and size kept
    ws.migrations({ ...ORDERS, ...REFUNDS });
    const published = await runCli(['publish', '--dir', join(ws.dir, 'migrations'), '--bucket', BUCKET, '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    const { key, sha256 } = cliJson(published.stdout) as { key: string; sha256: string };
    const object = await stage.s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    bytes[bytes.length - 5] ^= 0xff;
    await stage.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes, Metadata: { sha256 } }));
    const lambda = offlineLambdaClient(stage.offline);
    // Act: the function asked for it as published, then a run that publishes first
    const replaced = await invokeOffline(lambda, stage.offline.functionName('migrate'), { action: 'migrate', bundle: { bucket: BUCKET, key, sha256 } });
    lambda.destroy();
    const again = await migrate();
    // Assess
    expect(errorTypeOf(replaced.payload)).toBe('BUNDLE_INTEGRITY');
    expect(replaced.payload.errorMessage).toContain(`The object s3://${BUCKET}/${key} was replaced after it was published`);
    expect(replaced.payload.errorMessage).toContain('deploy again');
    expect(again.stderr).not.toContain('already at');
    expect(again.code).toBe(0);
    const result = cliJson(again.stdout) as { status: string; applied: { id: string }[] };
    expect(result.status).toBe('applied');
    expect(result.applied.map((a) => a.id)).toContain('shop/0002_refunds');
  });

  it('points an older release deployed again at promote, which rolls the code back without it', async () => {
    // Prepare: the release before shop/0002_refunds
    ws.migrations(ORDERS);
    // Act
    const older = await migrate();
    // Assess
    expect(older.code).toBe(1);
    const { error } = cliJson(older.stdout);
    expect(error).toMatchObject({ code: 'DATABASE_AHEAD', unknown: ['shop/0002_refunds'] });
    expect(error.remedy).toContain('deploy a release that contains these migrations');
    expect(error.remedy).toContain('`serverless promote --to <version>` points the alias back at the version it was deployed as');
    expect((await stage.db.query<{ id: string }>('select id from stagegate.migrations order by id')).map((r) => r.id)).toEqual(['shop/0001_orders', 'shop/0002_refunds']);
  });

  it('says to run `stagegate resolve --stage` when a no-transaction migration failed and left the stage dirty', async () => {
    // Prepare
    ws.migrations({ ...ORDERS, ...REFUNDS, 'shop/0003_index.sql': '-- stagegate:no-transaction\nCREATE INDEX CONCURRENTLY remedy_orders_nope ON remedy_orders (nope);' });
    const failed = await migrate();
    // Act
    const dirty = await migrate();
    // Assess
    expect(cliJson(failed.stdout).error).toMatchObject({ code: 'MIGRATION_FAILED', migration: 'shop/0003_index' });
    expect(cliJson(failed.stdout).error.remedy).toContain('`stagegate resolve shop/0003_index --rolled-back --stage local`');
    expect(dirty.code).toBe(1);
    const { error } = cliJson(dirty.stdout);
    expect(error).toMatchObject({ code: 'MIGRATION_DIRTY', migration: 'shop/0003_index' });
    expect(error.remedy).toContain('`stagegate resolve shop/0003_index --applied --stage local`');
    expect(error.remedy).toContain(`With --stage, \`stagegate resolve\` runs through stagegate-local-migrate, which reaches ${String(error.target)}`);
    expect(String(error.target)).toMatch(/^postgres@127\.0\.0\.1:\d+\/stagegate_test_/);
  });
});
