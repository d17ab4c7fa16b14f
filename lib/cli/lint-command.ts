import { readMigrationsFolder } from '../adapters/fs/read-migrations-folder';
import { LintFailedError } from '../core/errors';
import { lintFiles } from '../lint/lint-files';
import { loadSqlParser } from '../lint/parse-sql';
import { migrationsDir, type ParsedArgs } from './args';
import { renderLintClean } from './authoring-render';
import type { CommandContext, CommandOutput } from './commands';

/**
 * `stagegate lint [--dir DIR]`: every migration through PostgreSQL's parser
 * and the lint rules. Any finding not allowed fails with `LINT_FAILED`,
 * listing every finding.
 *
 * @example
 * await lintCommand(parseCommandLine(['lint', '--dir', 'migrations']), ctx);
 */
export async function lintCommand(args: ParsedArgs, ctx: CommandContext): Promise<CommandOutput> {
  const dir = migrationsDir(args, ctx.cwd);
  const report = lintFiles(await readMigrationsFolder(dir), await loadSqlParser());
  if (report.findings.length > 0) throw new LintFailedError(report.findings, { files: report.files, allowed: report.allowed });
  return {
    json: { ok: true, action: 'lint', files: report.files, findings: [], allowed: report.allowed },
    target: dir,
    render: (style) => renderLintClean(report, style),
  };
}
