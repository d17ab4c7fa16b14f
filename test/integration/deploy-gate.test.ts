import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { MigrationRunnerError } from '../../lib/core/errors';
import { createS3Client } from '../../lib/adapters/s3/s3-client';
import { createLambdaClient } from '../../lib/remote/lambda-client';
import { renderError } from '../../lib/cli/render';
import { styleFor } from '../../lib/cli/style';
import { LambdaAliasClient } from '../../lib/gate/alias-client';
import { afterStackUpdate, beforeStackUpdate, type StageTarget } from '../../lib/gate/deploy-steps';
import { prepareBundle } from '../../lib/gate/prepare-bundle';
import { promote } from '../../lib/gate/promote';
import { findFunctionLogicalIds, routeThroughAlias, type CompiledTemplate } from '../../lib/plugin/template';
import type { TestDatabase } from '../support/database';
import { startLocalStage, type LocalStage } from '../support/local-stage';
import { startLambdaAliasStandIn, type LambdaAliasStandIn } from '../support/lambda-aliases';
import type { Offline } from '../support/offline';
import { S3_CREDENTIALS, type LocalS3 } from '../support/s3';
import { MemoryLogger } from '../support/workspace';

const BUCKET = 'stagegate-deploy-gate';
const API = 'stagegate-local-api';
const ALIAS = 'live';
const PLAIN = styleFor({ isTTY: false }, {});

/** A service repository in a temp folder: migrations under `migrations/`, committed with git. */
function createRepository(): { dir: string; write(path: string, sql: string): void; remove(path: string): void; git(...args: string[]): string } {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-gate-'));
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
  git('init', '--quiet');
  git('config', 'user.name', 'Gate Test');
  git('config', 'user.email', 'gate@example.com');
  git('config', 'commit.gpgsign', 'false');
  return {
    dir,
    git,
    write: (path, sql) => {
      mkdirSync(dirname(join(dir, 'migrations', path)), { recursive: true });
      writeFileSync(join(dir, 'migrations', path), sql);
    },
    remove: (path) => rmSync(join(dir, 'migrations', path)),
  };
}

/** The template `serverless package` compiled for this service, routed through `live` as the package hook does. */
function packagedTemplate(bundleId: string): CompiledTemplate {
  const template = JSON.parse(readFileSync(join(__dirname, '../fixtures/serverless-compiled-template.json'), 'utf8')) as CompiledTemplate;
  routeThroughAlias(template, { functionKey: 'api', aliasName: ALIAS, bundleId });
  return template;
}

/**
 * The deploy gate end to end with no AWS account: the bundle is built from a
 * temporary git repository, published to S3 (s3rver), applied by the migrate
 * function under serverless-offline to a real PostgreSQL, and the alias calls
 * go to a local stand-in through a real Lambda client. The tests tell one
 * stage's story in order, as its database only moves forward.
 */
describe('Integration: the deploy gate (git, S3, migrate function, alias)', () => {
  let db: TestDatabase;
  let s3: LocalS3;
  let offline: Offline;
  let aliasApi: LambdaAliasStandIn;
  let stage: LocalStage;
  let repo: ReturnType<typeof createRepository>;
  let target: StageTarget;
  let deps: { s3: ReturnType<typeof createS3Client>; lambda: ReturnType<typeof createLambdaClient>; aliases: LambdaAliasClient };

  beforeAll(async () => {
    // Leaves each invocation about 2.5 s of its 900 s, so runs of slow migrations come back incomplete.
    [stage, aliasApi] = await Promise.all([startLocalStage({ bucket: BUCKET, env: { STAGEGATE_SAFETY_MARGIN_MS: String(900_000 - 2_500) } }), startLambdaAliasStandIn()]);
    ({ db, s3, offline } = stage);
    target = { stage: 'local', bucket: BUCKET, prefix: 'stagegate', migrateFunction: offline.functionName('migrate'), maxInvocations: 20 };
    deps = {
      s3: createS3Client({ endpoint: s3.endpoint, region: 'us-east-1', credentials: S3_CREDENTIALS }),
      lambda: createLambdaClient({ endpoint: offline.lambdaEndpoint, region: 'us-east-1', credentials: S3_CREDENTIALS }),
      aliases: new LambdaAliasClient(aliasApi.client),
    };
    repo = createRepository();
    repo.write('shop/0001_orders.sql', 'CREATE TABLE gate_orders (id int PRIMARY KEY);');
    repo.git('add', '.');
    repo.git('commit', '--quiet', '-m', 'orders');
    // The version serving before the gate's first deploy.
    aliasApi.setAlias(API, ALIAS, aliasApi.publishVersion(API, `stagegate bundle ${'0'.repeat(64)}`));
  });
  afterAll(async () => {
    deps?.s3.destroy();
    deps?.lambda.destroy();
    await Promise.all([stage?.stop(), aliasApi?.stop()]);
    if (repo) rmSync(repo.dir, { recursive: true, force: true });
  });

  const commit = (message: string): void => {
    repo.git('add', '-A');
    repo.git('commit', '--quiet', '-m', message);
  };

  /**
   * One `serverless deploy`, step by step as the plugin's hooks run it; the
   * stack update publishes a version and sets the alias to what the template says.
   */
  async function deploy(options: { allowUncommitted?: boolean } = {}) {
    const logger = new MemoryLogger();
    const bundle = await prepareBundle({ cwd: repo.dir, folder: 'migrations', allowUncommitted: options.allowUncommitted ?? false, onUncommitted: 'refuse' }, logger);
    const template = packagedTemplate(bundle.id);
    const ids = findFunctionLogicalIds(template, 'api', ALIAS);
    const servingBefore = aliasApi.alias(API, ALIAS)?.version;
    const pin = (servingVersion: string): void => void routeThroughAlias(template, { functionKey: 'api', aliasName: ALIAS, servingVersion, bundleId: bundle.id });
    await beforeStackUpdate({ ...deps, logger }, { bundle, target, aliasName: ALIAS, functions: [{ functionName: API, pin }] });
    // The stack update: CloudFormation publishes the new version with the template's description and applies the alias as the template has it.
    const newVersion = aliasApi.publishVersion(API, String(template.Resources[ids.version]?.Properties?.Description));
    const pinned = template.Resources[ids.alias]?.Properties?.FunctionVersion;
    aliasApi.setAlias(API, ALIAS, typeof pinned === 'string' ? pinned : newVersion);
    const servingDuringUpdate = aliasApi.alias(API, ALIAS)?.version;
    const outcome = afterStackUpdate({ ...deps, logger }, { bundle, target, aliasName: ALIAS, functions: [{ functionName: API, newVersion }] });
    return { bundle, logger, newVersion, servingBefore, servingDuringUpdate, outcome };
  }

  async function failureOf(promise: Promise<unknown>): Promise<MigrationRunnerError> {
    const error = await promise.then(
      () => new Error('expected a failure'),
      (caught: unknown) => caught,
    );
    if (!(error instanceof MigrationRunnerError)) throw error;
    return error;
  }

  /** What the database applied after version 2 (shop/0001 and shop/0002), in the order it applied them. */
  const LATER = ['slow/0001_step', 'slow/0002_step', 'slow/0003_step', 'slow/0004_step', 'shop/0004_refunds'];
  const ledger = async (): Promise<string[]> => (await db.query<{ id: string }>('select id from stagegate.migrations order by id')).map((r) => r.id);
  const runCount = async (): Promise<number> => (await db.query<{ n: number }>('select count(*)::int as n from stagegate.runs'))[0]?.n ?? 0;
  const objectCount = async (): Promise<number> => (await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount ?? 0;

  it('keeps the old version serving during the stack update, migrates, then moves the alias to the new version', async () => {
    // Prepare
    repo.write('shop/0002_order_total.sql', 'ALTER TABLE gate_orders ADD COLUMN total numeric;');
    commit('order total');
    // Act
    const run = await deploy();
    const { result, moved } = await run.outcome;
    // Assess
    expect(run.servingDuringUpdate).toBe(run.servingBefore);
    expect(result.status).toBe('applied');
    expect(result.applied.map((a) => a.id)).toEqual(['shop/0001_orders', 'shop/0002_order_total']);
    expect(moved).toEqual([{ functionName: API, from: '1', to: run.newVersion }]);
    expect(aliasApi.alias(API, ALIAS)).toEqual({ version: run.newVersion, description: `stagegate deploy: bundle ${run.bundle.id}` });
    expect(await ledger()).toEqual(['shop/0001_orders', 'shop/0002_order_total']);
  });

  it('leaves the alias where it was and fails with the migration error when a migration fails', async () => {
    // Prepare
    repo.write('shop/0003_broken.sql', 'ALTER TABLE gate_orders ADD COLUMN note text;\nALTER TABLE gate_orders ADD FOREIGN KEY (nope) REFERENCES gate_orders (id);');
    commit('broken');
    const serving = aliasApi.alias(API, ALIAS)?.version;
    // Act
    const run = await deploy();
    const error = await failureOf(run.outcome);
    // Assess
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.details).toMatchObject({ migration: 'shop/0003_broken', line: 2 });
    const rendered = renderError(error, PLAIN);
    expect(rendered).toContain('error MIGRATION_FAILED');
    expect(rendered).toContain('what to do: ');
    expect(aliasApi.alias(API, ALIAS)?.version).toBe(serving);
    expect(run.logger.events).toContainEqual({ level: 'error', event: 'gate.alias.kept', data: { alias: ALIAS, stage: 'local', code: 'MIGRATION_FAILED' } });
    // Clean up: the broken migration never ran, so it can go.
    repo.remove('shop/0003_broken.sql');
    commit('drop broken');
  });

  it('invokes the migrate function again while it comes back incomplete, then moves the alias', async () => {
    // Prepare: four migrations of 0.8 s each do not fit in one invocation's 2.5 s
    for (let i = 1; i <= 4; i += 1) repo.write(`slow/000${i}_step.sql`, `CREATE TABLE gate_slow_${i} (id int);\nSELECT pg_sleep(0.8);`);
    commit('slow steps');
    // Act
    const run = await deploy();
    const { result, moved } = await run.outcome;
    // Assess
    expect(result.status).toBe('applied');
    expect(result.applied.map((a) => a.id)).toEqual(['slow/0001_step', 'slow/0002_step', 'slow/0003_step', 'slow/0004_step']);
    expect(run.logger.events.filter((e) => e.event === 'function.invoked').length).toBeGreaterThan(1);
    expect(run.logger.events.some((e) => e.event === 'run.continued')).toBe(true);
    expect(moved[0]?.to).toBe(run.newVersion);
    expect(aliasApi.alias(API, ALIAS)?.version).toBe(run.newVersion);
  });

  it('refuses untracked and modified migration files before publishing or invoking anything', async () => {
    // Prepare
    repo.write('shop/0004_untracked.sql', 'CREATE TABLE gate_untracked (id int);');
    repo.write('shop/0002_order_total.sql', 'ALTER TABLE gate_orders ADD COLUMN total numeric(12, 2);');
    const [objects, runs, serving, requests] = [await objectCount(), await runCount(), aliasApi.alias(API, ALIAS)?.version, aliasApi.requests.length];
    // Act
    const error = await failureOf(deploy());
    // Assess
    expect(error.code).toBe('MIGRATIONS_UNCOMMITTED');
    expect(error.details.files).toEqual([
      { file: 'migrations/shop/0002_order_total.sql', state: 'modified' },
      { file: 'migrations/shop/0004_untracked.sql', state: 'untracked' },
    ]);
    expect(error.message).toContain('migrations/shop/0004_untracked.sql (untracked)');
    expect(error.remedy).toContain('--allow-uncommitted');
    expect([await objectCount(), await runCount(), aliasApi.alias(API, ALIAS)?.version, aliasApi.requests.length]).toEqual([objects, runs, serving, requests]);
    // Clean up
    repo.git('checkout', '--', 'migrations/shop/0002_order_total.sql');
    repo.remove('shop/0004_untracked.sql');
  });

  it('deploys uncommitted migrations with --allow-uncommitted, warning about each file', async () => {
    // Prepare
    repo.write('shop/0004_refunds.sql', 'CREATE TABLE gate_refunds (id int);');
    // Act
    const run = await deploy({ allowUncommitted: true });
    const { result } = await run.outcome;
    // Assess
    const warning = run.logger.events.find((e) => e.event === 'gate.uncommitted');
    expect(warning?.level).toBe('warn');
    expect(warning?.data.files).toEqual([{ file: 'migrations/shop/0004_refunds.sql', state: 'untracked' }]);
    expect(result.applied.map((a) => a.id)).toEqual(['shop/0004_refunds']);
    expect(aliasApi.alias(API, ALIAS)?.version).toBe(run.newVersion);
    commit('refunds');
  });

  it('refuses to promote a version whose bundle lacks applied migrations, naming them', async () => {
    // Prepare: version 2 was deployed with shop/0001 and shop/0002 only
    const serving = aliasApi.alias(API, ALIAS)?.version;
    const logger = new MemoryLogger();
    // Act
    const error = await failureOf(
      promote({ lambda: deps.lambda, aliases: deps.aliases, versions: deps.aliases, logger }, { functionName: API, version: '2', aliasName: ALIAS, target, force: false }),
    );
    // Assess
    expect(error.code).toBe('PROMOTE_REFUSED');
    expect(error.details.unknown).toEqual(LATER);
    expect(error.message).toContain('shop/0004_refunds');
    expect(error.remedy).toContain('--force');
    expect(aliasApi.alias(API, ALIAS)?.version).toBe(serving);
  });

  it('promotes that version with --force, keeping the reason in the alias description', async () => {
    // Prepare
    const logger = new MemoryLogger();
    // Act
    const outcome = await promote(
      { lambda: deps.lambda, aliases: deps.aliases, versions: deps.aliases, logger },
      { functionName: API, version: '2', aliasName: ALIAS, target, force: true, reason: 'version 5 leaks memory; 2 ignores the new tables' },
    );
    // Assess
    expect(outcome).toMatchObject({ to: '2', forced: true, unknown: LATER });
    expect(aliasApi.alias(API, ALIAS)).toEqual({ version: '2', description: 'stagegate promote --force: version 5 leaks memory; 2 ignores the new tables' });
    expect(logger.events).toContainEqual({ level: 'info', event: 'gate.promote.schema', data: { version: '2', unknown: LATER, pending: [] } });
    expect(logger.events.some((e) => e.level === 'warn' && e.event === 'gate.promote.forced')).toBe(true);
  });

  it('refuses to promote a version whose bundle is no longer in S3, and promotes it with --force', async () => {
    // Prepare: a version stamped with a bundle nobody published (expired by a lifecycle rule, or another prefix)
    const orphan = aliasApi.publishVersion(API, `stagegate bundle ${'f'.repeat(64)}`);
    const serving = aliasApi.alias(API, ALIAS)?.version;
    const logger = new MemoryLogger();
    const request = { functionName: API, version: orphan, aliasName: ALIAS, target, force: false };
    // Act
    const refused = await failureOf(promote({ lambda: deps.lambda, aliases: deps.aliases, versions: deps.aliases, logger }, request));
    const servingAfterRefusal = aliasApi.alias(API, ALIAS)?.version;
    const forced = await promote({ lambda: deps.lambda, aliases: deps.aliases, versions: deps.aliases, logger }, { ...request, force: true, reason: 'incident INC-7: back to the last build' });
    // Assess
    expect(refused.code).toBe('PROMOTE_REFUSED');
    expect(refused.message).toContain(`stagegate/bundles/${'f'.repeat(64)}.json.gz`);
    expect(refused.remedy).toContain('--force');
    expect(servingAfterRefusal).toBe(serving);
    expect(forced).toMatchObject({ to: orphan, forced: true });
    expect(aliasApi.alias(API, ALIAS)?.version).toBe(orphan);
    expect(logger.events.some((e) => e.level === 'warn' && e.event === 'gate.promote.forced')).toBe(true);
    expect(logger.events).toContainEqual({ level: 'info', event: 'function.invoked', data: { function: target.migrateFunction, stage: 'local', attempt: 1 } });
    // Clean up: back to the version that matches the database
    aliasApi.setAlias(API, ALIAS, serving as string);
  });

  it('promotes a version whose bundle matches the database without --force', async () => {
    // Prepare: version 5, the last deploy, carries the bundle with every applied migration
    const latest = '5';
    // Act
    const outcome = await promote(
      { lambda: deps.lambda, aliases: deps.aliases, versions: deps.aliases, logger: new MemoryLogger() },
      { functionName: API, version: latest, aliasName: ALIAS, target, force: false },
    );
    // Assess
    expect(outcome).toMatchObject({ from: '2', to: '5', forced: false, unknown: [], pending: [] });
    expect(aliasApi.alias(API, ALIAS)?.version).toBe('5');
  });
});
