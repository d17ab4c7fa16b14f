import { UsageError } from '../core/errors';
import { MAX_HISTORY_REASON } from '../adapters/lambda/resolve-event';
import { migrateFunctionName } from '../remote/function-name';
import { createLambdaClient } from '../remote/lambda-client';
import { parseInvokeConfig } from '../remote/remote-config';
import { runRemoteResolve } from '../remote/run-remote-resolve';
import type { ParsedArgs } from './args';
import type { CommandContext, CommandOutput } from './commands';
import { clientOptions } from './remote-commands';
import { describeResolve, resolveChoice } from './resolve-choice';

/**
 * `stagegate resolve … --stage NAME`: the stage's migrate function settles
 * the migration on the stage's database (it alone reaches it). Only the
 * function is invoked; no bundle is built or published, so no bucket is
 * needed. A reason is checked here as the function checks it.
 *
 * @example
 * await resolveStageCommand(parseCommandLine(['resolve', 'shop/0004_index', '--rolled-back', '--stage', 'prod']), ctx);
 */
export async function resolveStageCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  const choice = resolveChoice(args);
  if (choice.reason !== undefined && (choice.reason.trim() === '' || choice.reason.length > MAX_HISTORY_REASON)) {
    throw new UsageError(`stagegate resolve --stage: --reason must say why in 1 to ${MAX_HISTORY_REASON} characters (it is kept in the stage's run history).`);
  }
  const stage = args.options.stage as string;
  const config = parseInvokeConfig({ region: typeof args.options.region === 'string' ? args.options.region : undefined }, ctx.env);
  const functionName = await migrateFunctionName({ cwd: ctx.cwd, stage, explicit: typeof args.options.function === 'string' ? args.options.function : undefined });
  const lambda = createLambdaClient(clientOptions({ region: config.region }, config.lambdaEndpoint));
  const target = `stage ${stage} (function ${functionName})`;
  ctx.logger.info('command.started', { target });
  try {
    const result = await runRemoteResolve({ lambda, logger: ctx.logger }, { stage, functionName, ...choice });
    return { json: { ...result, stage }, target, render: () => `${describeResolve({ ...result }, stage)}\n` };
  } finally {
    lambda.destroy();
  }
}
