import { StagegatePlugin } from '../../lib/plugin/plugin';
import type { Serverless } from '../../lib/plugin/framework';
import { GATE_SETTINGS_SCHEMA } from '../../lib/gate/settings';

/** The framework's error class as v3 defines it: a message and a code. */
class FrameworkError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The smallest `serverless` object the plugin's wiring needs; no hook here reaches AWS. */
function fakeServerless(custom: Record<string, unknown> = { bucket: 'deploys' }) {
  const schemas: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const serverless: Serverless = {
    serviceDir: '/nonexistent/service',
    service: {
      service: 'svc',
      custom: { stagegate: custom },
      provider: {},
      getAllFunctions: () => ['migrate', 'api'],
      getFunction: (key) => ({ name: `svc-dev-${key}` }),
    },
    processedInput: { commands: ['deploy', 'function'] },
    getProvider: () => ({
      naming: { getStackName: () => 'svc-dev', getLambdaVersionOutputLogicalId: (k) => `${k}LambdaFunctionQualifiedArn` },
      getStage: () => 'dev',
      getRegion: () => 'us-east-1',
    }),
    configSchemaHandler: { defineCustomProperties: (schema) => schemas.push(schema) },
    classes: { Error: FrameworkError },
  };
  const log = { notice: (t: string) => lines.push(t), warning: (t: string) => lines.push(`warning: ${t}`), error: (t: string) => lines.push(`error: ${t}`) };
  return { serverless, schemas, lines, io: { log } };
}

async function rejection(promise: Promise<unknown>): Promise<FrameworkError> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  if (!(outcome instanceof FrameworkError)) throw new Error(`expected a FrameworkError, got ${String(outcome)}`);
  return outcome;
}

describe('Class: StagegatePlugin', () => {
  it('declares custom.stagegate to the framework, rejecting unknown keys', () => {
    // Prepare
    const { serverless, schemas, io } = fakeServerless();
    // Act
    new StagegatePlugin(serverless, {}, io);
    // Assess
    expect(schemas).toEqual([{ properties: { stagegate: GATE_SETTINGS_SCHEMA } }]);
    expect(GATE_SETTINGS_SCHEMA.additionalProperties).toBe(false);
    expect(Object.keys(GATE_SETTINGS_SCHEMA.properties).sort()).toEqual(['alias', 'bucket', 'maxInvocations', 'migrateFunction', 'migrations', 'prefix', 'promote', 'rehearse', 'stages']);
  });

  it('declares migrate (with plan and status), promote, and --allow-uncommitted on package and deploy', () => {
    // Prepare
    const { serverless, io } = fakeServerless();
    // Act
    const plugin = new StagegatePlugin(serverless, {}, io);
    // Assess
    expect(Object.keys(plugin.commands.migrate.commands)).toEqual(['plan', 'status']);
    expect(plugin.commands.promote.options.to).toMatchObject({ type: 'string', required: true });
    expect(plugin.commands.promote.options).not.toHaveProperty('version');
    expect(plugin.commands.deploy.options['allow-uncommitted'].type).toBe('boolean');
    expect(plugin.commands.package.options['allow-uncommitted'].type).toBe('boolean');
  });

  it('hooks into packaging, the stack update, and its own commands', () => {
    // Prepare
    const { serverless, io } = fakeServerless();
    // Act
    const plugin = new StagegatePlugin(serverless, {}, io);
    // Assess
    expect(Object.keys(plugin.hooks).sort()).toEqual(
      [
        'after:aws:package:finalize:mergeCustomProviderResources',
        'before:aws:deploy:deploy:checkForChanges',
        'after:deploy:deploy',
        'before:deploy:function:initialize',
        'before:rollback:initialize',
        'migrate:run',
        'migrate:plan:run',
        'migrate:status:run',
        'promote:run',
      ].sort(),
    );
  });

  it('refuses `deploy function -f api` with DEPLOY_REFUSED and says what to run instead', async () => {
    // Prepare
    const { serverless, io } = fakeServerless();
    const plugin = new StagegatePlugin(serverless, { function: 'api' }, io);
    // Act
    const error = await rejection(plugin.hooks['before:deploy:function:initialize']!());
    // Assess
    expect(error.code).toBe('STAGEGATE_DEPLOY_REFUSED');
    expect(error.message).toMatch(/^error DEPLOY_REFUSED: `serverless deploy function -f api` is refused/);
    expect(error.message).toContain('what to do: Run `serverless deploy`');
  });

  it('refuses `rollback --timestamp` (an earlier stack, served without any check) and says to promote instead', async () => {
    // Prepare
    const { serverless, io } = fakeServerless();
    const plugin = new StagegatePlugin(serverless, { timestamp: '1700000000000' }, io);
    // Act
    const error = await rejection(plugin.hooks['before:rollback:initialize']!());
    // Assess
    expect(error.code).toBe('STAGEGATE_DEPLOY_REFUSED');
    expect(error.message).toContain('`serverless rollback --timestamp 1700000000000` is refused');
    expect(error.message).toContain('what to do: Run `serverless promote --to <version>`');
  });

  it('lets `rollback` without --timestamp list the deployments', async () => {
    // Prepare
    const { serverless, io } = fakeServerless();
    const plugin = new StagegatePlugin(serverless, {}, io);
    // Act
    const outcome = plugin.hooks['before:rollback:initialize']!();
    // Assess
    await expect(outcome).resolves.toBeUndefined();
  });

  it('lets `deploy function -f migrate` through', async () => {
    // Prepare
    const { serverless, io } = fakeServerless();
    const plugin = new StagegatePlugin(serverless, { function: 'migrate' }, io);
    // Act
    const outcome = plugin.hooks['before:deploy:function:initialize']!();
    // Assess
    await expect(outcome).resolves.toBeUndefined();
  });

  it('refuses --override-stage-order without --reason before a deploy builds anything', async () => {
    // Prepare
    const { serverless, io } = fakeServerless();
    serverless.processedInput = { commands: ['deploy'] };
    const plugin = new StagegatePlugin(serverless, { 'override-stage-order': true }, io);
    // Act
    const error = await rejection(plugin.hooks['after:aws:package:finalize:mergeCustomProviderResources']!());
    // Assess
    expect(error.code).toBe('STAGEGATE_USAGE');
    expect(error.message).toContain('--override-stage-order needs --reason');
    expect(plugin.commands.deploy.options['override-stage-order'].type).toBe('boolean');
    expect(plugin.commands.deploy.options.reason.type).toBe('string');
  });

  it('reads configuration only when a hook runs, and reports every problem then', async () => {
    // Prepare
    const { serverless, io } = fakeServerless({ promote: ['web', 'migrate'], maxInvocations: 0 });
    const plugin = new StagegatePlugin(serverless, { function: 'api' }, io);
    // Act
    const error = await rejection(plugin.hooks['before:deploy:function:initialize']!());
    // Assess
    expect(error.code).toBe('STAGEGATE_CONFIG_INVALID');
    expect(error.message).toContain('custom.stagegate.promote: "web" is not a function of this service');
    expect(error.message).toContain('"migrate" is the migrate function');
    expect(error.message).toContain('custom.stagegate.maxInvocations');
  });

  it('names the stage when the migrations failed, and says that nothing needs rolling back and what to run next', () => {
    // Prepare
    const { serverless, lines, io } = fakeServerless();
    const plugin = new StagegatePlugin(serverless, {}, io);
    // Act
    (plugin as unknown as { logger: { error(event: string, data: Record<string, unknown>): void } }).logger.error('gate.alias.kept', { alias: 'live', stage: 'staging', code: 'MIGRATION_FAILED' });
    // Assess
    expect(lines).toEqual([
      'error: stagegate: the migrations failed on stage staging (MIGRATION_FAILED); live was not moved, the previous version keeps serving and nothing needs rolling back. Do what the error below says, then run `serverless deploy --stage staging` again.',
    ]);
  });

  it('does not say the migrations failed when the run was refused before any ran (stage order, lock, bundle)', () => {
    // Prepare
    const { serverless, lines, io } = fakeServerless();
    const plugin = new StagegatePlugin(serverless, {}, io);
    // Act
    (plugin as unknown as { logger: { error(event: string, data: Record<string, unknown>): void } }).logger.error('gate.alias.kept', { alias: 'live', stage: 'production', code: 'STAGE_ORDER' });
    // Assess
    expect(lines).toEqual([
      'error: stagegate: the migrations did not complete on stage production (STAGE_ORDER); live was not moved, the previous version keeps serving and nothing needs rolling back. Do what the error below says, then run `serverless deploy --stage production` again.',
    ]);
  });

  it('does not claim the previous version keeps serving when a first deploy already serves the new one', () => {
    // Prepare
    const { serverless, lines, io } = fakeServerless();
    const plugin = new StagegatePlugin(serverless, {}, io);
    // Act
    (plugin as unknown as { logger: { error(event: string, data: Record<string, unknown>): void } }).logger.error('gate.alias.kept', { alias: 'live', stage: 'dev', code: 'MIGRATION_FAILED', servingNew: ['svc-dev-api'] });
    // Assess
    expect(lines).toEqual([
      'error: stagegate: the migrations failed on stage dev (MIGRATION_FAILED); live of svc-dev-api already serves the new version: this is its first deploy, so there was no earlier version to keep serving. Do what the error below says, then run `serverless deploy --stage dev` again.',
    ]);
  });

  it('says after a promote that the database keeps its migrations, naming those the version does not know', () => {
    // Prepare
    const { serverless, lines, io } = fakeServerless();
    const plugin = new StagegatePlugin(serverless, {}, io);
    // Act
    (plugin as unknown as { logger: { info(event: string, data: Record<string, unknown>): void } }).logger.info('gate.promote.schema', { version: '2', unknown: ['shop/0004_refunds'], pending: [] });
    // Assess
    expect(lines).toEqual(['stagegate: the database keeps every migration it applied (promote changes no schema; `migrate --to` reverts); version 2 does not know shop/0004_refunds']);
  });

  it('logs through serverless.cli.log when the framework passes no log API', () => {
    // Prepare
    const { serverless } = fakeServerless();
    const lines: string[] = [];
    serverless.cli = { log: (text) => lines.push(text) };
    // Act
    const plugin = new StagegatePlugin(serverless, {});
    (plugin as unknown as { logger: { warn(event: string, data: Record<string, unknown>): void } }).logger.warn('gate.alias.first', { function: 'svc-dev-api', alias: 'live' });
    // Assess
    expect(lines).toEqual(['warning: stagegate: svc-dev-api has no live alias yet (first deploy): it serves the new version as soon as the stack is created']);
  });
});
