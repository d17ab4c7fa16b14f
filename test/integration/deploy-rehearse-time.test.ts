import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MigrationRunnerError } from '../../lib/core/errors';
import { createS3Client } from '../../lib/adapters/s3/s3-client';
import { createLambdaClient } from '../../lib/remote/lambda-client';
import { bundleBytes } from '../../lib/cli/bundle-bytes';
import { LambdaAliasClient } from '../../lib/gate/alias-client';
import { afterStackUpdate } from '../../lib/gate/deploy-steps';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { startLambdaAliasStandIn, type LambdaAliasStandIn } from '../support/lambda-aliases';
import { S3_CREDENTIALS } from '../support/s3';
import { createWorkspace, MemoryLogger, type Workspace } from '../support/workspace';

const BUCKET = 'stagegate-deploy-rehearse-time';
const API = 'stagegate-local-api';
const ALIAS = 'live';

/**
 * `custom.stagegate.rehearse: true` when the rehearsal cannot finish in one
 * invocation: the migrate function (serverless-offline, s3rver, a real
 * PostgreSQL) leaves each call about 2.5 s, two migrations of 1.5 s each fit
 * a migrate run (one per call) but never one rehearsal, which keeps nothing.
 */
describe('Integration: the deploy gate when the rehearsal runs out of time', () => {
  let stage: LocalStage;
  let aliasApi: LambdaAliasStandIn;
  let ws: Workspace;

  beforeAll(async () => {
    [stage, aliasApi] = await Promise.all([startLocalStage({ bucket: BUCKET, env: { STAGEGATE_SAFETY_MARGIN_MS: String(900_000 - 2_500) } }), startLambdaAliasStandIn()]);
    ws = createWorkspace();
    copyFileSync(resolve(__dirname, '../../serverless.yml'), join(ws.dir, 'serverless.yml'));
  });
  afterAll(async () => {
    ws?.remove();
    await Promise.all([stage?.stop(), aliasApi?.stop()]);
  });

  it('stops after two rehearsal calls, before applying anything, naming the migrations never rehearsed, and keeps the alias', async () => {
    // Prepare
    ws.migrations({ 'slow/0001_first.sql': 'CREATE TABLE rtime_first (id int);\nSELECT pg_sleep(1.5);', 'slow/0002_second.sql': 'CREATE TABLE rtime_second (id int);\nSELECT pg_sleep(1.5);' });
    const built = await bundleBytes({ command: 'bundle', positionals: [], options: {} }, ws.dir);
    const bundle = { bytes: Buffer.from(built.bytes), id: built.id, migrations: built.migrations, folder: 'migrations', gitProblem: null };
    const serving = aliasApi.publishVersion(API, 'before');
    aliasApi.setAlias(API, ALIAS, serving);
    const newVersion = aliasApi.publishVersion(API, `stagegate bundle ${bundle.id}`);
    const logger = new MemoryLogger();
    const s3 = createS3Client({ endpoint: stage.s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS });
    const lambda = createLambdaClient({ endpoint: stage.offline.lambdaEndpoint, region: 'us-east-1', credentials: S3_CREDENTIALS });
    const target = { stage: 'local', bucket: BUCKET, prefix: 'stagegate', migrateFunction: stage.offline.functionName('migrate'), maxInvocations: 5, rehearse: true };
    // Act
    const error = await afterStackUpdate({ s3, lambda, aliases: new LambdaAliasClient(aliasApi.client), logger }, { bundle, target, aliasName: ALIAS, functions: [{ functionName: API, newVersion }] }).then(
      () => new Error('expected the deploy to stop'),
      (caught: unknown) => caught,
    );
    s3.destroy();
    lambda.destroy();
    // Assess
    expect(error).toBeInstanceOf(MigrationRunnerError);
    const refusal = error as MigrationRunnerError;
    expect(refusal.code).toBe('DEPLOY_REFUSED');
    expect(refusal.details.notRehearsed).toEqual(['slow/0002_second']);
    expect(refusal.message).toContain('ran out of time in each of its 2 invocation(s) of stagegate-local-migrate: 1 migration(s) were never rehearsed (slow/0002_second). Nothing was applied; the alias live was not moved.');
    expect(logger.events.filter((e) => e.event === 'function.invoked').length).toBe(2);
    expect(refusal.remedy).toContain('custom.stagegate.rehearse: false');
    expect(logger.events.some((e) => e.event === 'gate.rehearsed')).toBe(false);
    expect(logger.events).toContainEqual({ level: 'error', event: 'gate.alias.kept', data: { alias: ALIAS, stage: 'local', code: 'DEPLOY_REFUSED' } });
    expect(aliasApi.alias(API, ALIAS)?.version).toBe(serving);
    expect(await stage.db.query("select to_regclass('rtime_first')::text as first, to_regclass('stagegate.migrations')::text as ledger")).toEqual([{ first: null, ledger: null }]);
  });
});
