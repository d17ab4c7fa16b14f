import { join, relative } from 'node:path';
import { UsageError } from '../core/errors';
import type { AppliedEvidence } from '../core/squash-prune';
import { LedgerState } from '../core/migration';
import type { Config } from '../config';
import { parseCliConfig } from './cli-config';
import { describeConnection, PgMigrationDatabase } from '../adapters/postgres';
import { buildSquash } from '../squash/build-squash';
import { pruneSquash } from '../squash/prune-squash';
import { createS3Client } from '../adapters/s3/s3-client';
import { parseRemoteConfig } from '../remote/remote-config';
import { migrationsDir, type ParsedArgs } from './args';
import { rawConfig, withServerUrl, type CommandContext, type CommandOutput } from './commands';
import { renderSquash } from './squash-render';
import { version } from '../../package.json';

function option(args: ParsedArgs, name: 'from' | 'to' | 'reason' | 'bucket' | 'prefix' | 'region'): string | undefined {
  const value = args.options[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * `stagegate squash <app> [--from NNNN] --to NNNN` (build, prove, write) and
 * `stagegate squash <app> --prune` (delete the originals once applied everywhere).
 *
 * @example
 * await squashCommand(parseCommandLine(['squash', 'organization', '--to', '0002']), ctx);
 */
export async function squashCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  const app = args.positionals[0] as string;
  const dir = migrationsDir(args, ctx.cwd);
  const config = parseCliConfig(rawConfig(args, ctx.env), args);
  if (args.options.prune === true) return prune(args, ctx, { app, dir, config });
  const to = option(args, 'to');
  if (to === undefined) throw new UsageError('stagegate squash needs --to NNNN (the last migration of the range), or --prune.');
  const pruneOnly = (['force', 'reason', 'bucket', 'prefix', 'region'] as const).filter((name) => args.options[name] !== undefined);
  if (pruneOnly.length > 0) throw new UsageError(`stagegate squash: --${pruneOnly[0]} goes with --prune.`);
  for (const name of ['from', 'to'] as const) {
    const value = option(args, name);
    // A malformed number is bad usage (exit 2), before any server starts; one the app lacks is a refusal.
    if (value !== undefined && !/^[0-9]{4,}$/.test(value)) throw new UsageError(`stagegate squash --${name} needs a migration number such as 0003; got "${value.slice(0, 40)}".`);
  }
  return withServerUrl(config, ctx, async (url, target) => {
    const from = option(args, 'from');
    const result = await buildSquash(
      { logger: ctx.logger, server: url, ledgerSchema: config.schema },
      { dir, app, ...(from === undefined ? {} : { from }), to, withData: args.options['with-data'] === true, generator: `stagegate squash ${version}` },
    );
    const shown = (file: string | null): string | null => (file === null ? null : relative(ctx.cwd, join(dir, file)) || file);
    const json = { ...result, path: shown(result.file), downPath: shown(result.downFile) };
    return { json, target, render: (style) => renderSquash(json, style) };
  });
}

async function prune(args: ParsedArgs, ctx: CommandContext, settings: { app: string; dir: string; config: Config }): Promise<CommandOutput> {
  if (args.options.from !== undefined || args.options.to !== undefined || args.options['with-data'] !== undefined) {
    throw new UsageError('stagegate squash --prune takes no --from, --to or --with-data: it prunes every squash of the app.');
  }
  const reason = option(args, 'reason');
  if (args.options.force === true && (reason === undefined || reason.trim() === '')) throw new UsageError('stagegate squash --prune --force needs --reason "why it is safe".');
  if (args.options.force !== true && reason !== undefined) throw new UsageError('stagegate squash --prune: --reason goes with --force.');
  const evidence = await stagesEvidence(args, ctx);
  const url = settings.config.databaseUrl;
  if (url !== null) evidence.push(await ledgerEvidence(url, settings.config.schema));
  const result = await pruneSquash(
    { logger: ctx.logger },
    { dir: settings.dir, app: settings.app, evidence, force: args.options.force === true ? { reason: reason as string } : null },
  );
  const json = { ...result, paths: result.removed.map((file) => relative(ctx.cwd, join(settings.dir, file))) };
  return { json, target: settings.dir, render: (style) => renderSquash(json, style) };
}

/** Each stage's record, when serverless.yml (or STAGEGATE_STAGES) names the stages; bucket and prefix as for `status --all-stages`. Loaded on use, like the other AWS commands. */
async function stagesEvidence(args: ParsedArgs, ctx: CommandContext): Promise<AppliedEvidence[]> {
  const { readStageList, stageEvidence } = await import('../squash/stage-evidence');
  const service = await readStageList(ctx.cwd, ctx.env);
  if (service === null) return [];
  const config = parseRemoteConfig({ bucket: option(args, 'bucket'), prefix: option(args, 'prefix'), region: option(args, 'region') }, ctx.env, service);
  const s3 = createS3Client({ ...(config.region ? { region: config.region } : {}), ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}) });
  try {
    return await stageEvidence(s3, config.bucket, config.prefix, service.stages);
  } finally {
    s3.destroy();
  }
}

/** The applied ids of a database's ledger (no ledger yet: nothing applied). */
async function ledgerEvidence(url: string, schema: string): Promise<AppliedEvidence> {
  const db = new PgMigrationDatabase({ connectionString: url, schema });
  const rows = await db.withReader(async (reader) => (await reader.readLedger()).rows);
  return { where: `database ${describeConnection(url)}`, applied: new Set(rows.filter((r) => r.state === LedgerState.APPLIED).map((r) => r.id)) };
}
