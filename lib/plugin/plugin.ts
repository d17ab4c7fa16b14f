import { join } from 'node:path';
import { DeployRefusedError, MigrationRunnerError } from '../core/errors';
import type { RunResult } from '../core/result';
import { renderError, renderResult } from '../cli/render';
import { styleFor } from '../cli/style';
import { afterStackUpdate, beforeStackUpdate, migrateStage, type StageTarget } from '../gate/deploy-steps';
import { assertAllowed, prepareBundle, readPackagedBundle, writePackagedBundle, type PreparedBundle } from '../gate/prepare-bundle';
import { promote } from '../gate/promote';
import { parseStageOrderOverride } from '../gate/stage-override';
import { GATE_SETTINGS_SCHEMA, parseGateSettings, requireBucket, type GateSettings } from '../gate/settings';
import { versionOfQualifiedArn } from '../gate/version-stamps';
import { GATE_COMMANDS } from './commands';
import { refuseGatedFunctionDeploy, refuseStackRollback } from './refusals';
import { frameworkLog, type PluginIo, type PluginOptions, type Serverless } from './framework';
import { stackOutputs } from './stack-outputs';
import { FrameworkLogger } from './framework-logger';
import { gateClients, type GateClients } from './gate-clients';
import { applyStageOrder } from './stage-order-template';
import { findFunctionLogicalIds, routeThroughAlias, type CompiledTemplate } from './template';

const PLAIN = styleFor({ isTTY: false }, {});

/**
 * The deploy gate as a Serverless Framework plugin: new code is published
 * behind the `live` alias, the migrations run, and only then does the alias
 * move. Every hook only reads configuration and calls `lib/gate/`.
 *
 * @example
 * // serverless.yml
 * // plugins: [./lib/plugin/index.cjs, serverless-esbuild]
 * // custom: { stagegate: { bucket: my-deploys } }
 */
export class StagegatePlugin {
  readonly commands = GATE_COMMANDS;
  readonly hooks: Record<string, () => Promise<void>>;
  private readonly logger: FrameworkLogger;
  /** The bundle built or read by an earlier hook of this command. */
  private bundle: PreparedBundle | null = null;

  constructor(
    private readonly serverless: Serverless,
    private readonly options: PluginOptions = {},
    private readonly io?: PluginIo,
  ) {
    serverless.configSchemaHandler?.defineCustomProperties({ properties: { stagegate: GATE_SETTINGS_SCHEMA } });
    this.logger = new FrameworkLogger(frameworkLog(serverless, io));
    const hook = (step: () => Promise<void>) => () => this.guarded(step);
    this.hooks = {
      // After the user's `resources` are merged and before the template is written to .serverless/.
      'after:aws:package:finalize:mergeCustomProviderResources': hook(() => this.routeTemplate()),
      // After the template is in memory (also for `deploy --package`), before its hash is compared and it is uploaded.
      'before:aws:deploy:deploy:checkForChanges': hook(() => this.pinServingVersions()),
      'after:deploy:deploy': hook(() => this.migrateThenPromote()),
      'before:deploy:function:initialize': hook(async () => refuseGatedFunctionDeploy(this.options.function, this.settings())),
      'before:rollback:initialize': hook(async () => refuseStackRollback(this.options.timestamp, () => this.settings())),
      'migrate:run': hook(() => this.migrateCommand('migrate')),
      'migrate:plan:run': hook(() => this.migrateCommand('plan')),
      'migrate:status:run': hook(() => this.migrateCommand('status')),
      'promote:run': hook(() => this.promoteCommand()),
    };
  }

  private settings(): GateSettings {
    return parseGateSettings(this.serverless.service.custom?.stagegate, this.serverless.service.getAllFunctions());
  }

  private serviceDir(): string {
    return this.serverless.serviceDir ?? this.serverless.config?.servicePath ?? process.cwd();
  }

  private command(): string {
    return (this.serverless.processedInput?.commands ?? []).join(' ');
  }

  private functionName(key: string): string {
    return this.serverless.service.getFunction(key).name ?? key;
  }

  private target(settings: GateSettings): StageTarget {
    const provider = this.serverless.getProvider('aws');
    const stageOrderOverride = this.stageOrderOverride();
    return {
      stage: provider.getStage(),
      bucket: requireBucket(settings),
      prefix: settings.prefix,
      migrateFunction: this.functionName(settings.migrateFunction),
      maxInvocations: settings.maxInvocations,
      rehearse: settings.rehearse,
      ...(stageOrderOverride ? { stageOrderOverride } : {}),
    };
  }

  /** `--override-stage-order --reason` of deploy and migrate; promote's `--reason` belongs to its `--force`. */
  private stageOrderOverride(): { reason: string } | undefined {
    return parseStageOrderOverride(this.options['override-stage-order'], this.options.reason, this.command() === 'promote');
  }

  /** Package time: build the bundle (git check), keep it with the package, route each promoted function through the alias. */
  private async routeTemplate(): Promise<void> {
    const settings = this.settings();
    if (this.serverless.service.provider.versionFunctions === false) {
      throw new DeployRefusedError('provider.versionFunctions is false, so no version exists for the live alias to point at.', 'Remove `versionFunctions: false`: the gate serves published versions only.');
    }
    const packageOnly = this.command() === 'package';
    // A deploy needs the bucket later, and an override its reason; say so before anything is built.
    if (!packageOnly) {
      requireBucket(settings);
      this.stageOrderOverride();
    }
    const onUncommitted = packageOnly ? 'record' : 'refuse';
    const bundle = await prepareBundle({ cwd: this.serviceDir(), folder: settings.migrations, allowUncommitted: this.options['allow-uncommitted'] === true, onUncommitted }, this.logger);
    await writePackagedBundle(join(this.serviceDir(), '.serverless'), bundle);
    this.bundle = bundle;
    const template = this.template();
    for (const functionKey of settings.promote) routeThroughAlias(template, { functionKey, aliasName: settings.alias, bundleId: bundle.id });
    if (settings.stages !== null) {
      const stage = this.serverless.getProvider('aws').getStage();
      applyStageOrder(template, { functionKey: settings.migrateFunction, stage, stages: settings.stages, bucket: settings.bucket, prefix: settings.prefix });
    }
  }

  /** The compiled template in memory: the one `uploadArtifacts` sends to S3 for the stack update. */
  private template(): CompiledTemplate {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    if (!template) throw new Error('invariant: the compiled CloudFormation template is not in memory yet');
    return template;
  }

  /** Deploy, before the template is compared and uploaded: publish the bundle and keep each alias where it is. */
  private async pinServingVersions(): Promise<void> {
    const settings = this.settings();
    const bundle = this.bundle ?? (await this.packagedBundle());
    const clients = await this.clients();
    try {
      const template = this.template();
      const functions = settings.promote.map((functionKey) => ({
        functionName: this.functionName(functionKey),
        pin: (servingVersion: string) => void routeThroughAlias(template, { functionKey, aliasName: settings.alias, servingVersion, bundleId: bundle.id }),
      }));
      await beforeStackUpdate({ s3: clients.s3, aliases: clients.aliases, logger: this.logger }, { bundle, target: this.target(settings), aliasName: settings.alias, functions });
      this.bundle = bundle;
    } finally {
      clients.destroy();
    }
  }

  /** A bundle packaged by an earlier `serverless package`, refused when its migrations were not committed. */
  private async packagedBundle(): Promise<PreparedBundle> {
    const bundle = await readPackagedBundle(join(this.serviceDir(), '.serverless'));
    if (bundle.gitProblem) assertAllowed(bundle.gitProblem, bundle.folder, this.options['allow-uncommitted'] === true, this.logger);
    return bundle;
  }

  /** Deploy, after the stack update: migrate, then move each alias to its new version. */
  private async migrateThenPromote(): Promise<void> {
    const settings = this.settings();
    const bundle = this.bundle ?? (await this.packagedBundle());
    const functions = await this.newVersions(settings);
    const clients = await this.clients();
    const progress = this.io?.progress?.create?.({ message: 'Applying migrations (stagegate)' });
    try {
      const outcome = await afterStackUpdate({ ...clients, logger: this.logger }, { bundle, target: this.target(settings), aliasName: settings.alias, functions });
      this.print(outcome.result);
    } finally {
      progress?.remove();
      clients.destroy();
    }
  }

  private async newVersions(settings: GateSettings): Promise<{ functionName: string; newVersion: string }[]> {
    const provider = this.serverless.getProvider('aws');
    const outputs = await stackOutputs(provider, process.env);
    const template = this.template();
    return settings.promote.map((key) => {
      // routeThroughAlias's output holds the number; the framework's own holds the qualified ARN.
      const outputKey = findFunctionLogicalIds(template, key, settings.alias).publishedVersionOutput;
      const published = outputs[outputKey] ?? '';
      const version = /^\d+$/.test(published) ? published : versionOfQualifiedArn(outputs[provider.naming.getLambdaVersionOutputLogicalId(key)] ?? '');
      if (version === null) {
        throw new DeployRefusedError(
          `The stack has no output ${outputKey} with the version just published for ${key}, so the gate cannot tell which version to serve. The alias ${settings.alias} was not moved.`,
          'Check that provider.versionFunctions is not false and the stack update succeeded, then deploy again.',
          { function: key, output: outputKey },
        );
      }
      return { functionName: this.functionName(key), newVersion: version };
    });
  }

  private async migrateCommand(action: 'migrate' | 'plan' | 'status'): Promise<void> {
    const settings = this.settings();
    const bundle = await prepareBundle({ cwd: this.serviceDir(), folder: settings.migrations, allowUncommitted: this.options['allow-uncommitted'] === true, onUncommitted: 'refuse' }, this.logger);
    const clients = await this.clients();
    try {
      this.print(await migrateStage({ ...clients, logger: this.logger }, { bundle, target: this.target(settings), action }));
    } finally {
      clients.destroy();
    }
  }

  private async promoteCommand(): Promise<void> {
    const settings = this.settings();
    const key = this.options.function ?? settings.promote[0];
    if (key === undefined || !settings.promote.includes(key)) {
      throw new DeployRefusedError(`"${String(key)}" is not a promoted function (custom.stagegate.promote: ${settings.promote.join(', ') || 'none'}).`, 'Name one with --function.');
    }
    const clients = await this.clients();
    try {
      const target = this.target(settings);
      await promote(
        { lambda: clients.lambda, aliases: clients.aliases, versions: clients.aliases, logger: this.logger },
        { functionName: this.functionName(key), version: String(this.options.to), aliasName: settings.alias, target, force: this.options.force === true, reason: this.options.reason },
      );
    } finally {
      clients.destroy();
    }
  }

  private print(result: RunResult): void {
    for (const line of renderResult(result, PLAIN).trimEnd().split('\n')) frameworkLog(this.serverless, this.io).notice(line);
  }

  private clients(): Promise<GateClients> {
    return gateClients(this.serverless.getProvider('aws'), process.env);
  }

  /** Runs a hook; a stagegate failure becomes the framework's error (non-zero exit) with code, message and remedy. */
  private async guarded(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (caught) {
      // The framework's own errors (credentials, CloudFormation) are already in its form.
      if (!(caught instanceof MigrationRunnerError)) throw caught;
      const error = caught;
      const FrameworkError = this.serverless.classes?.Error ?? Error;
      throw new FrameworkError(renderError(error, PLAIN).trimEnd(), `STAGEGATE_${error.code}`);
    }
  }
}

export default StagegatePlugin;
