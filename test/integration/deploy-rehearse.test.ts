import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MigrationRunnerError } from '../../lib/core/errors';
import { createS3Client } from '../../lib/adapters/s3/s3-client';
import { createLambdaClient } from '../../lib/remote/lambda-client';
import { bundleBytes } from '../../lib/cli/bundle-bytes';
import { renderError } from '../../lib/cli/render';
import { styleFor } from '../../lib/cli/style';
import { LambdaAliasClient } from '../../lib/gate/alias-client';
import { afterStackUpdate, type StageTarget } from '../../lib/gate/deploy-steps';
import type { PreparedBundle } from '../../lib/gate/prepare-bundle';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { startLambdaAliasStandIn, type LambdaAliasStandIn } from '../support/lambda-aliases';
import { S3_CREDENTIALS } from '../support/s3';
import { cliJson, createWorkspace, MemoryLogger, runCli, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-deploy-rehearse';
const API = 'stagegate-local-api';
const ALIAS = 'live';

/**
 * `custom.stagegate.rehearse: true` on a deploy, through the gate's own
 * functions, with the migrate function under serverless-offline, S3 on
 * s3rver and a real PostgreSQL: a failed rehearsal stops the deploy before
 * anything is applied, and the alias stays.
 */
describe('Integration: the deploy gate rehearses before it migrates', () => {
  let stage: LocalStage;
  let aliasApi: LambdaAliasStandIn;
  let ws: Workspace;
  let target: StageTarget;
  let deps: { s3: ReturnType<typeof createS3Client>; lambda: ReturnType<typeof createLambdaClient>; aliases: LambdaAliasClient };

  beforeAll(async () => {
    [stage, aliasApi] = await Promise.all([startLocalStage({ bucket: BUCKET }), startLambdaAliasStandIn()]);
    target = { stage: 'local', bucket: BUCKET, prefix: 'stagegate', migrateFunction: stage.offline.functionName('migrate'), maxInvocations: 5, rehearse: true };
    deps = {
      s3: createS3Client({ endpoint: stage.s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS }),
      lambda: createLambdaClient({ endpoint: stage.offline.lambdaEndpoint, region: 'us-east-1', credentials: S3_CREDENTIALS }),
      aliases: new LambdaAliasClient(aliasApi.client),
    };
    aliasApi.setAlias(API, ALIAS, aliasApi.publishVersion(API, 'before'));
    ws = createWorkspace();
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
    ws.migrations({ 'shop/0001_orders.sql': 'CREATE TABLE rgate_orders (id int PRIMARY KEY);', 'shop/0002_items.sql': 'CREATE TABLE rgate_items (id int);' });
  });
  afterAll(async () => {
    deps?.s3.destroy();
    deps?.lambda.destroy();
    ws?.remove();
    await Promise.all([stage?.stop(), aliasApi?.stop()]);
  });

  async function deploy(): Promise<{ logger: MemoryLogger; newVersion: string; outcome: ReturnType<typeof afterStackUpdate> }> {
    const logger = new MemoryLogger();
    const built = await bundleBytes({ command: 'bundle', positionals: [], options: {} }, ws.dir);
    const bundle: PreparedBundle = { bytes: Buffer.from(built.bytes), id: built.id, migrations: built.migrations, folder: 'migrations', gitProblem: null };
    const newVersion = aliasApi.publishVersion(API, `stagegate bundle ${bundle.id}`);
    return { logger, newVersion, outcome: afterStackUpdate({ ...deps, logger }, { bundle, target, aliasName: ALIAS, functions: [{ functionName: API, newVersion }] }) };
  }

  it('stops the deploy with the rehearsal report: nothing applied, no ledger, the alias not moved', async () => {
    // Prepare: the stage has a hand-made table the second migration creates
    await stage.db.query('CREATE TABLE rgate_items (id int, sku text)');
    const serving = aliasApi.alias(API, ALIAS)?.version;
    // Act
    const run = await deploy();
    const error = await run.outcome.then(
      () => new Error('expected the deploy to fail'),
      (caught: unknown) => caught,
    );
    // Assess
    expect(error).toBeInstanceOf(MigrationRunnerError);
    const failure = error as MigrationRunnerError;
    expect(failure.code).toBe('REHEARSAL_FAILED');
    const rendered = renderError(failure, styleFor({ isTTY: false }, {}));
    expect(rendered).toContain('✓ rehearsed shop/0001_orders');
    expect(rendered).toContain('✗ shop/0002_items failed at shop/0002_items.sql:1:1 — 42P07 relation "rgate_items" already exists');
    expect(rendered).toContain('table public.rgate_items with columns (id integer, sku text)');
    expect(aliasApi.alias(API, ALIAS)?.version).toBe(serving);
    expect(run.logger.events).toContainEqual({ level: 'error', event: 'gate.alias.kept', data: { alias: ALIAS, stage: 'local', code: 'REHEARSAL_FAILED' } });
    expect(await stage.db.query("select to_regclass('rgate_orders')::text as orders, to_regclass('stagegate.migrations')::text as ledger")).toEqual([{ orders: null, ledger: null }]);
  });

  it('reports a passing rehearsal on --stage, then deploys: rehearse, migrate, move the alias', async () => {
    // Prepare: fix the stage
    await stage.db.query('DROP TABLE rgate_items');
    // Act
    const remote = await runCli(['plan', '--rehearse', '--stage', 'local', '--json'], { cwd: ws.dir, env: stage.cliEnv() });
    const run = await deploy();
    const { result, moved } = await run.outcome;
    // Assess
    expect(remote.code).toBe(0);
    expect(cliJson(remote.stdout)).toMatchObject({ ok: true, action: 'plan', status: 'rehearsed', stage: 'local', rehearsal: [{ id: 'shop/0001_orders', status: 'rehearsed' }, { id: 'shop/0002_items', status: 'rehearsed' }] });
    expect(run.logger.events.some((e) => e.event === 'gate.rehearsed')).toBe(true);
    expect(result.applied.map((a) => a.id)).toEqual(['shop/0001_orders', 'shop/0002_items']);
    expect(moved).toEqual([{ functionName: API, from: expect.any(String), to: run.newVersion }]);
    expect(aliasApi.alias(API, ALIAS)?.version).toBe(run.newVersion);
  });
});
