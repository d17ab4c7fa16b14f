import { MAX_HISTORY_REASON } from '../adapters/lambda/resolve-event';
import { runRemoteAdopt } from '../remote/run-remote-adopt';
import { adoptForce } from './adopt-command';
import type { ParsedArgs } from './args';
import type { CommandContext, CommandOutput } from './commands';
import { renderAdopt } from './drift-render';
import { withStageCall } from './remote-commands';

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
  return withStageCall(args, ctx, async ({ stage, functionName, config, bundle, s3, lambda, target }) => {
    const request = { stage, functionName, bucket: config.bucket, prefix: config.prefix, bundle, id: args.positionals[0] as string, ...(force ? { force } : {}), ...(ctx.stop ? { stop: ctx.stop } : {}) };
    const result = await runRemoteAdopt({ s3, lambda, logger: ctx.logger }, request);
    return { json: { ...result, stage }, target, render: (style) => renderAdopt(result, style) };
  });
}
