import { UsageError } from '../core/errors';
import type { Config } from '../config';
import { driftCommand } from '../drift';
import type { ParsedArgs } from './args';
import { withDatabase, type CommandContext, type CommandOutput } from './commands';
import { renderDrift } from './drift-render';

/**
 * `stagegate drift [--accept --reason TEXT]`: shows how the live schema
 * differs from the baseline (exit 1 with DRIFT_DETECTED when it does), or
 * accepts the live schema as the new baseline.
 *
 * @example
 * await driftCliCommand(args, ctx, config, 'cli:me@host');
 */
export async function driftCliCommand(args: ParsedArgs, ctx: CommandContext, config: Config, actor: string): Promise<CommandOutput> {
  const reason = typeof args.options.reason === 'string' ? args.options.reason.trim() : null;
  if (args.options.accept === true && !reason) throw new UsageError('stagegate drift --accept needs --reason "…": the reason is kept in the run history.');
  if (args.options.accept !== true && reason !== null) throw new UsageError('stagegate drift: --reason goes with --accept.');
  const accept = reason ? { reason } : undefined;
  return withDatabase(config, ctx, async (db, target) => {
    const result = await driftCommand({ db, logger: ctx.logger }, { actor, accept }, { lockWaitMs: config.lockWaitMs });
    return { json: { ...result }, target, render: (style) => renderDrift(result, style) };
  });
}
