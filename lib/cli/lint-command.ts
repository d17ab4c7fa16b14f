import { readMigrationsFolder } from '../adapters/fs/read-migrations-folder';
import { buildCatalog, type SourceFile } from '../core/catalog';
import { LintFailedError, MigrationsInvalidError, ProblemCode } from '../core/errors';
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
  const files = await readMigrationsFolder(dir);
  refuseUnlintable(files);
  const report = lintFiles(files, await loadSqlParser());
  if (report.findings.length > 0) throw new LintFailedError(report.findings, { files: report.files, allowed: report.allowed });
  return {
    json: { ok: true, action: 'lint', files: report.files, findings: [], allowed: report.allowed },
    target: dir,
    render: (style) => renderLintClean(report, style),
  };
}

/**
 * A migration lint cannot read, or a `.sql` file not named as one, would pass unseen: the folder is refused
 * as MIGRATIONS_INVALID, naming them. The folder's other problems (a conflict, a cycle) are not lint's.
 */
function refuseUnlintable(files: readonly SourceFile[]): void {
  try {
    buildCatalog(files);
  } catch (error) {
    if (!(error instanceof MigrationsInvalidError)) throw error;
    const unseen = error.problems.filter((p) => p.code === ProblemCode.BAD_NAME || p.code === ProblemCode.UNREADABLE);
    if (unseen.length > 0) throw new MigrationsInvalidError(unseen);
  }
}
