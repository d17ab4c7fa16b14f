import { createS3Client } from '../../lib/adapters/s3/s3-client';
import { encodeBundle } from '../../lib/core/bundle-format';
import { buildCatalog } from '../../lib/core/catalog';
import { MigrationRunnerError } from '../../lib/core/errors';
import { LambdaAliasClient } from '../../lib/gate/alias-client';
import { afterStackUpdate, type StageTarget } from '../../lib/gate/deploy-steps';
import type { PreparedBundle } from '../../lib/gate/prepare-bundle';
import { createLambdaClient } from '../../lib/remote/lambda-client';
import { startLambdaAliasStandIn, type InvokeAnswer, type LambdaAliasStandIn } from '../support/lambda-aliases';
import { S3_CREDENTIALS, useS3 } from '../support/s3';
import { MemoryLogger } from '../support/workspace';

const BUCKET = 'stagegate-deploy-answers';
const API = 'stagegate-answers-api';
const MIGRATE = 'stagegate-answers-migrate';
const ALIAS = 'live';

/**
 * What the gate does with each answer a migrate function can give besides a
 * run result: the invoke goes through a real Lambda client to a local
 * stand-in that answers as scripted, the bundle to s3rver. Whatever the
 * answer, no alias may move unless the migrations are known to be applied.
 */
describe('Integration: the deploy gate reads the migrate function\'s answer', () => {
  const s3 = useS3(BUCKET);
  let lambda: LambdaAliasStandIn;
  let clients: { s3: ReturnType<typeof createS3Client>; lambda: ReturnType<typeof createLambdaClient>; aliases: LambdaAliasClient };
  const sources = [{ path: 'shop/0001_orders.sql', content: 'CREATE TABLE answer_orders (id int);' }];
  const { bytes, id } = encodeBundle(buildCatalog(sources));
  const bundle: PreparedBundle = { bytes, id, migrations: 1, folder: 'migrations', gitProblem: null };
  const target: StageTarget = { stage: 'staging', bucket: BUCKET, prefix: 'stagegate', migrateFunction: MIGRATE, maxInvocations: 3 };

  beforeAll(async () => {
    lambda = await startLambdaAliasStandIn();
    clients = {
      s3: createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS }),
      lambda: createLambdaClient({ endpoint: lambda.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS }),
      aliases: new LambdaAliasClient(lambda.client),
    };
    lambda.setAlias(API, ALIAS, lambda.publishVersion(API, `stagegate bundle ${'0'.repeat(64)}`));
  });
  afterAll(async () => {
    clients?.s3.destroy();
    clients?.lambda.destroy();
    await lambda?.stop();
  });

  /** One gate run after a stack update that published a new version, with the migrate function answering `answer`. */
  async function gateWith(answer: InvokeAnswer): Promise<{ error: unknown; serving: string | undefined; logger: MemoryLogger }> {
    lambda.answerInvoke(MIGRATE, answer);
    const newVersion = lambda.publishVersion(API, `stagegate bundle ${id}`);
    const logger = new MemoryLogger();
    const error = await afterStackUpdate({ ...clients, logger }, { bundle, target, aliasName: ALIAS, functions: [{ functionName: API, newVersion }] }).then(
      () => null,
      (caught: unknown) => caught,
    );
    return { error, serving: lambda.alias(API, ALIAS)?.version, logger };
  }

  const result = (fields: Record<string, unknown>): string => JSON.stringify({ ok: true, action: 'migrate', bundleId: id, status: 'applied', applied: [], pending: [], durationMs: 3, ...fields });

  it.each([
    ['a failure result (ok: false) returned instead of thrown', 'MIGRATION_FAILED', JSON.stringify({ ok: false, action: 'migrate', bundleId: id, applied: [], error: { code: 'MIGRATION_FAILED', message: 'Migration shop/0001_orders failed', remedy: 'Fix it.' } })],
    ['a result whose status is unknown', 'LAMBDA_INVOKE_FAILED', result({ status: 'failed' })],
    ['a result that still lists pending migrations', 'DEPLOY_REFUSED', result({ status: 'pending', pending: ['shop/0001_orders'] })],
    ['an HTTP response (the API function named as the migrate function)', 'LAMBDA_INVOKE_FAILED', JSON.stringify({ statusCode: 200, body: '{"orders":[]}' })],
    ['null', 'LAMBDA_INVOKE_FAILED', 'null'],
    ['text that is not JSON', 'LAMBDA_INVOKE_FAILED', 'Internal Server Error'],
    ['a timeout', 'LAMBDA_INVOKE_FAILED', JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 900.00 seconds' })],
  ])('keeps the alias on the old version and fails with a stagegate error on %s', async (_what, code, payload) => {
    // Prepare
    const serving = lambda.alias(API, ALIAS)?.version;
    // Act
    const outcome = await gateWith({ payload, ...(payload.includes('Sandbox.Timedout') ? { functionError: 'Unhandled' as const } : {}) });
    // Assess
    expect(outcome.error).toBeInstanceOf(MigrationRunnerError);
    expect((outcome.error as MigrationRunnerError).code).toBe(code);
    expect((outcome.error as MigrationRunnerError).details.function).toBe(MIGRATE);
    expect(outcome.serving).toBe(serving);
    expect(outcome.logger.events.some((e) => e.event === 'gate.alias.moved')).toBe(false);
  });

  it('says that the new version already serves when the migrations fail on a first deploy', async () => {
    // Prepare: no alias before the stack update, so CloudFormation created it on the new version
    const first = 'stagegate-answers-first-api';
    const newVersion = lambda.publishVersion(first, `stagegate bundle ${id}`);
    lambda.setAlias(first, ALIAS, newVersion);
    lambda.answerInvoke(MIGRATE, { payload: JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 900.00 seconds' }), functionError: 'Unhandled' });
    const logger = new MemoryLogger();
    // Act
    const error = await afterStackUpdate({ ...clients, logger }, { bundle, target, aliasName: ALIAS, functions: [{ functionName: first, newVersion }] }).catch((caught: unknown) => caught);
    // Assess
    expect(error).toBeInstanceOf(MigrationRunnerError);
    expect(logger.events).toContainEqual({ level: 'error', event: 'gate.alias.kept', data: { alias: ALIAS, stage: 'staging', code: 'LAMBDA_INVOKE_FAILED', servingNew: [first] } });
  });

  it('says the migrations were applied and how to finish when moving the alias fails afterwards', async () => {
    // Prepare: a version the stand-in never published, so UpdateAlias answers ResourceNotFoundException
    lambda.answerInvoke(MIGRATE, { payload: result({}) });
    const serving = lambda.alias(API, ALIAS)?.version;
    // Act
    const error = await afterStackUpdate({ ...clients, logger: new MemoryLogger() }, { bundle, target, aliasName: ALIAS, functions: [{ functionName: API, newVersion: '999' }] }).catch(
      (caught: unknown) => caught,
    );
    // Assess
    expect((error as MigrationRunnerError).code).toBe('ALIAS_UPDATE_FAILED');
    expect((error as MigrationRunnerError).message).toContain('stage staging');
    expect((error as MigrationRunnerError).remedy).toContain('the migrations were applied');
    expect((error as MigrationRunnerError).remedy).toContain('`serverless promote --to 999`');
    expect(lambda.alias(API, ALIAS)?.version).toBe(serving);
  });

  it('moves the alias on a result that says every migration is applied', async () => {
    // Act
    const outcome = await gateWith({ payload: result({ applied: [{ id: 'shop/0001_orders', durationMs: 2, method: 'executed' }] }) });
    // Assess
    expect(outcome.error).toBeNull();
    expect(outcome.serving).toBe(lambda.alias(API, ALIAS)?.version);
    expect(outcome.logger.events.filter((e) => e.event === 'gate.alias.moved')).toHaveLength(1);
  });
});
