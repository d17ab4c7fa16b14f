import { MAX_HISTORY_REASON } from '../adapters/lambda/resolve-event';
import { createS3Client } from '../adapters/s3/s3-client';
import { migrateFunctionName } from '../remote/function-name';
import { createLambdaClient } from '../remote/lambda-client';
import { runRemoteAdopt } from '../remote/run-remote-adopt';
import { adoptForce } from './adopt-command';
import type { ParsedArgs } from './args';
import { bundleBytes } from './bundle-bytes';
import type { CommandContext, CommandOutput } from './commands';
import { renderAdopt } from './drift-render';
import { clientOptions, remoteConfig } from './remote-commands';

/**
 * `stagegate adopt <id> [--force --reason TEXT] --stage NAME`: the stage's
 * migrate function proves and records the migration on the stage's
 * database (it alone reaches it), with the bundle built here and published
 * as for `migrate --stage`. The reason is checked here as the function
 * checks it.
 *
 * @example
 * await adoptStageCommand(parseCommandLine(['adopt', 'shop/0003_refunds', '--stage', 'prod']), ctx);
 */
export async function adoptStageCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  const force = adoptForce(args, MAX_HISTORY_REASON);
  const stage = args.options.stage as string;
  const config = remoteConfig(args, ctx);
  const functionName = await migrateFunctionName({ cwd: ctx.cwd, stage, explicit: typeof args.options.function === 'string' ? args.options.function : undefined });
  const bundle = await bundleBytes(args, ctx.cwd);
  const s3 = createS3Client(clientOptions(config, config.s3Endpoint));
  const lambda = createLambdaClient(clientOptions(config, config.lambdaEndpoint));
  const target = `stage ${stage} (function ${functionName})`;
  ctx.logger.info('command.started', { target });
  try {
    const request = { stage, functionName, bucket: config.bucket, prefix: config.prefix, bundle, id: args.positionals[0] as string, ...(force ? { force } : {}), ...(ctx.stop ? { stop: ctx.stop } : {}) };
    const result = await runRemoteAdopt({ s3, lambda, logger: ctx.logger }, request);
    return { json: { ...result, stage }, target, render: (style) => renderAdopt(result, style) };
  } finally {
    s3.destroy();
    lambda.destroy();
  }
}
