import { readMigrationsFolder } from '../adapters/fs/read-migrations-folder';
import { applyToScratch } from '../check/apply-to-scratch';
import { checkMigrations } from '../check/check-migrations';
import { configFromEnv } from '../config';
import { parseCliConfig } from './cli-config';
import { CheckFailedError } from '../core/errors';
import { loadSqlParser } from '../lint/parse-sql';
import { migrationsDir, type ParsedArgs } from './args';
import { renderCheckPassed } from './authoring-render';
import type { CommandContext, CommandOutput } from './commands';

/**
 * `stagegate check [--dir DIR] [--database-url URL]`: what CI runs on every
 * pull request. Fails with `CHECK_FAILED` listing every problem at once.
 * Only an explicit `--database-url` applies the history (to a scratch
 * database on that server); `DATABASE_URL` is not read.
 *
 * @example
 * await checkCommand(parseCommandLine(['check', '--database-url', url]), ctx);
 */
export async function checkCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  const dir = migrationsDir(args, ctx.cwd);
  const url = typeof args.options['database-url'] === 'string' ? args.options['database-url'] : null;
  const config = parseCliConfig({ ...configFromEnv(ctx.env), databaseUrl: url ?? undefined }, args);
  const settings = { lockWaitMs: config.lockWaitMs, lockTimeoutMs: config.lockTimeoutMs, statementTimeoutMs: config.statementTimeoutMs };
  const files = await readMigrationsFolder(dir);
  const apply = config.databaseUrl === null ? undefined : applyToScratch(config.databaseUrl, ctx.logger, settings);
  const report = await checkMigrations(files, await loadSqlParser(), apply);
  const summary = { migrations: report.migrations, allowed: report.lint.allowed, database: report.database, reverse: report.reverse };
  if (report.problems.length > 0) throw new CheckFailedError(report.problems, summary);
  return { json: { ok: true, action: 'check', ...summary, problems: [] }, target: dir, render: (style) => renderCheckPassed(report, style) };
}
