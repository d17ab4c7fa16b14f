import { UsageError } from '../core/errors';
import type { Config } from '../config';
import { driftCommand } from '../drift';
import { parseFlagReason } from '../gate/flag-reason';
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
  const accept = driftAcceptance(args);
  const bundleOption = ['dir', 'bundle'].find((name) => name in args.options);
  if (bundleOption) throw new UsageError(`stagegate drift: --${bundleOption} goes with --stage (drift is about the database alone).`);
  return withDatabase(config, ctx, async (db, target) => {
    const result = await driftCommand({ db, logger: ctx.logger }, { actor, accept }, { lockWaitMs: config.lockWaitMs });
    return { json: { ...result }, target, render: (style) => renderDrift(result, style) };
  });
}

/**
 * `--accept --reason TEXT` as a request, or undefined without `--accept`.
 * `--accept` without a reason, or a reason without `--accept`, is a usage error.
 *
 * @example
 * driftAcceptance(parseCommandLine(['drift', '--accept', '--reason', 'hotfix'])); // → { reason: 'hotfix' }
 */
export function driftAcceptance(args: ParsedArgs): { reason: string } | undefined {
  return parseFlagReason(args.options.accept, args.options.reason, {
    needs: ['stagegate drift --accept needs --reason "…": the reason is kept in the run history.'],
    goesWith: ['stagegate drift: --reason goes with --accept.'],
  });
}
