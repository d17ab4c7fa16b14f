import { PgScratchDatabases } from '../adapters/postgres';
import { adoptMigration } from '../adopt';
import { runSettingsOf, type Config } from '../config';
import { parseFlagReason } from '../gate/flag-reason';
import type { BundleSource } from '../ports';
import type { ParsedArgs } from './args';
import { sourceFor, withDatabase, type CommandContext, type CommandOutput } from './commands';
import { renderAdopt } from './drift-render';

/**
 * `--force --reason TEXT` of `stagegate adopt`, or undefined without
 * `--force`; `maxLength` bounds the reason (a stage's function checks it).
 *
 * @example
 * const force = adoptForce(args, MAX_HISTORY_REASON); // { reason: 'made by hand on staging' }
 */
export function adoptForce(args: ParsedArgs, maxLength?: number): { reason: string } | undefined {
  return parseFlagReason(args.options.force, args.options.reason, {
    needs: ['stagegate adopt --force needs --reason "…": the reason is kept in the run history.'],
    goesWith: ['stagegate adopt: --reason goes with --force.'],
    ...(maxLength === undefined ? {} : { maxLength }),
  });
}

/**
 * `stagegate adopt <id> [--force --reason TEXT]`: records a migration whose
 * objects were made by hand as applied, once they are proven to be what it
 * makes (on a scratch database the command creates and drops).
 *
 * @example
 * await adoptCliCommand(args, ctx, config, 'cli:me@host');
 */
export async function adoptCliCommand(args: ParsedArgs, ctx: CommandContext, config: Config, actor: string): Promise<CommandOutput> {
  const force = adoptForce(args);
  // Verified before any database work, as for migrate.
  const bundle = await sourceFor(args, ctx).load();
  const source: BundleSource = { load: async () => bundle };
  return withDatabase(config, ctx, async (db, target, url) => {
    const scratch = new PgScratchDatabases(url, config.schema);
    const request = { id: args.positionals[0] as string, actor, force };
    const result = await adoptMigration({ source, db, scratch, logger: ctx.logger }, request, runSettingsOf(config));
    return { json: { ...result }, target, render: (style) => renderAdopt(result, style) };
  });
}
