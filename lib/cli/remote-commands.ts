import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../adapters/s3/s3-client';
import { publishBundle } from '../adapters/s3/publish-bundle';
import { migrateFunctionName } from '../remote/function-name';
import { createLambdaClient } from '../remote/lambda-client';
import { parseRemoteConfig, type RemoteConfig } from '../remote/remote-config';
import { runRemote } from '../remote/run-remote';
import { runRemoteDrift } from '../remote/run-remote-drift';
import { parseStageOrderOverride } from '../gate/stage-override';
import type { ParsedArgs } from './args';
import { bundleBytes, type BundleBytes } from './bundle-bytes';
import type { CommandContext, CommandOutput } from './commands';
import { driftAcceptance } from './drift-command';
import { renderDrift } from './drift-render';

/** The remote settings of a command: `--bucket`, `--prefix`, `--region`, then the environment, then `fallback` (serverless.yml's). */
export function remoteConfig(args: ParsedArgs, ctx: CommandContext, fallback?: { bucket: string | null; prefix: string | null }): RemoteConfig {
  const flag = (name: 'bucket' | 'prefix' | 'region'): string | undefined => {
    const value = args.options[name];
    return typeof value === 'string' ? value : undefined;
  };
  return parseRemoteConfig({ bucket: flag('bucket'), prefix: flag('prefix'), region: flag('region') }, ctx.env, fallback);
}

export const clientOptions = (config: Pick<RemoteConfig, 'region'>, endpoint: string | null): { region?: string; endpoint?: string } => ({
  ...(config.region ? { region: config.region } : {}),
  ...(endpoint ? { endpoint } : {}),
});

/** `stagegate publish`: uploads the bundle to its content-addressed key and prints the reference. */
export async function publishCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  const config = remoteConfig(args, ctx);
  const bundle = await bundleBytes(args, ctx.cwd);
  const s3 = createS3Client(clientOptions(config, config.s3Endpoint));
  try {
    const ref = await publishBundle(s3, { bucket: config.bucket, prefix: config.prefix, bytes: bundle.bytes, bundleId: bundle.id });
    ctx.logger.info('bundle.published', { bundle: ref.sha256, location: `s3://${ref.bucket}/${ref.key}`, uploaded: ref.uploaded });
    return { json: { ok: true, action: 'publish', bundleId: bundle.id, bucket: ref.bucket, key: ref.key, sha256: ref.sha256, uploaded: ref.uploaded }, target: `s3://${ref.bucket}` };
  } finally {
    s3.destroy();
  }
}

/** What a `--stage` command that publishes a bundle works with: the stage, its function, the bundle and the clients. */
export interface StageCall {
  stage: string;
  functionName: string;
  config: RemoteConfig;
  bundle: BundleBytes;
  s3: S3Client;
  lambda: LambdaClient;
  /** `stage <name> (function <name>)`, the command's target. */
  target: string;
}

/**
 * Runs `fn` with the stage's function, the bundle built from the arguments
 * and the S3 and Lambda clients, destroyed afterwards on every path.
 *
 * @example
 * return withStageCall(args, ctx, async ({ s3, lambda, target }) => ({ json: await call(s3, lambda), target }));
 */
export async function withStageCall<T>(args: ParsedArgs, ctx: CommandContext, fn: (call: StageCall) => Promise<T>): Promise<T> {
  const stage = args.options.stage as string;
  const config = remoteConfig(args, ctx);
  const functionName = await migrateFunctionName({ cwd: ctx.cwd, stage, explicit: typeof args.options.function === 'string' ? args.options.function : undefined });
  const bundle = await bundleBytes(args, ctx.cwd);
  const s3 = createS3Client(clientOptions(config, config.s3Endpoint));
  const lambda = createLambdaClient(clientOptions(config, config.lambdaEndpoint));
  const target = `stage ${stage} (function ${functionName})`;
  ctx.logger.info('command.started', { target });
  try {
    return await fn({ stage, functionName, config, bundle, s3, lambda, target });
  } finally {
    s3.destroy();
    lambda.destroy();
  }
}

/** `plan|migrate|status|drift --stage NAME`: the same command, run by that stage's migrate function. */
export function remoteCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  return withStageCall(args, ctx, async ({ stage, functionName, config, bundle, s3, lambda, target }) => {
    if (args.command === 'drift') {
      const result = await runRemoteDrift({ s3, lambda, logger: ctx.logger }, { stage, functionName, bucket: config.bucket, prefix: config.prefix, bundle, accept: driftAcceptance(args) });
      return { json: { ...result, stage }, target, render: (style) => renderDrift(result, style) };
    }
    const action = args.command as 'plan' | 'migrate' | 'status';
    const result = await runRemote(
      { s3, lambda, logger: ctx.logger },
      {
        action,
        stage,
        functionName,
        bucket: config.bucket,
        prefix: config.prefix,
        bundle,
        target: typeof args.options.to === 'string' ? args.options.to : undefined,
        rehearse: action === 'plan' && args.options.rehearse === true,
        stageOrderOverride: parseStageOrderOverride(args.options['override-stage-order'], args.options.reason),
        ...(ctx.stop ? { stop: ctx.stop } : {}),
      },
    );
    return { json: { ...result, stage }, target };
  });
}
