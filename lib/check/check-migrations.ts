import { buildCatalog, type SourceFile } from '../core/catalog';
import { CheckKind, MigrationsInvalidError, ProblemCode, type CheckProblem } from '../core/errors';
import type { Migration } from '../core/migration';
import { lintFiles, type LintReport } from '../lint/lint-files';
import type { ParseSql } from '../lint/parse-sql';
import { reverseScriptProblems } from './reverse-scripts';
import { LintRuleId } from '../lint/rule';

/** What applying the whole history to an empty database, and reverting it, showed. */
export interface DatabaseCheck {
  /** The scratch database's name (already dropped). */
  database: string;
  applied: number;
  /** How many migrations the round trip reverted; null when it did not run. */
  reverted: number | null;
  /** Why the round trip did not run, or null when it ran. */
  reverseSkipped: string | null;
}

/**
 * Applies every migration to an empty database and reverts them all: what
 * happened (null when the history does not apply), and the problems found.
 */
export type ApplyToEmpty = (migrations: Migration[]) => Promise<{ database: DatabaseCheck | null; problems: CheckProblem[] }>;

/** Everything `stagegate check` found. Plain data. */
export interface CheckReport {
  migrations: number;
  problems: CheckProblem[];
  lint: LintReport;
  /** Null when no database was given, when the folder does not build, or when the history does not apply. */
  database: DatabaseCheck | null;
  /** What became of the reverse round trip, in words. */
  reverse: string;
}

const DIRECTIVE_RULES = new Set<string>([LintRuleId.BAD_DIRECTIVE, LintRuleId.ALLOW_NEEDS_REASON]);
const UP_FILE = /^([a-z][a-z0-9_]*\/[0-9]{4,}_[a-z0-9_]+)\.sql$/;


/**
 * What CI runs on every pull request: the folder builds into a bundle (no
 * conflict, cycle or bad name), lint passes, every migration has a reverse
 * script or is marked irreversible, and, when `applyToEmpty` is given, the
 * whole history applies to an empty database. Every problem is collected;
 * nothing stops at the first.
 *
 * @example
 * const report = await checkMigrations(await readMigrationsFolder('migrations'), await loadSqlParser());
 */
export async function checkMigrations(files: readonly SourceFile[], parse: ParseSql, applyToEmpty?: ApplyToEmpty): Promise<CheckReport> {
  const problems: CheckProblem[] = [];
  let migrations: Migration[] | null = null;
  try {
    migrations = buildCatalog(files);
  } catch (error) {
    if (!(error instanceof MigrationsInvalidError)) throw error;
    problems.push(...error.problems.map((p) => ({ kind: CheckKind.BUNDLE, code: p.code, file: p.file, line: p.line, message: p.message })));
  }
  const lint = lintFiles(files, parse);
  // A malformed directive is already a BAD_DIRECTIVE of the folder: say it once.
  const badDirectives = new Set(problems.filter((p) => p.code === ProblemCode.BAD_DIRECTIVE).map((p) => `${p.file}:${p.line}`));
  const fresh = lint.findings.filter((f) => !(DIRECTIVE_RULES.has(f.rule) && badDirectives.has(`${f.file}:${f.line}`)));
  problems.push(...fresh.map((f) => ({ kind: CheckKind.LINT, code: f.rule, file: f.file, line: f.line, column: f.column, message: f.message, suggestion: f.suggestion })));
  problems.push(...reverseScriptProblems(files));
  let database: DatabaseCheck | null = null;
  if (migrations !== null && applyToEmpty) {
    const outcome = await applyToEmpty(migrations);
    problems.push(...outcome.problems);
    database = outcome.database;
  }
  const count = migrations?.length ?? files.filter((f) => UP_FILE.test(f.path)).length;
  return { migrations: count, problems, lint, database, reverse: reverseText(database, applyToEmpty !== undefined, migrations !== null) };
}

function reverseText(database: DatabaseCheck | null, withDatabase: boolean, builds: boolean): string {
  if (!withDatabase) return 'not checked: give --database-url to apply and revert the history in a scratch database';
  if (!builds) return 'not checked: the folder does not build';
  if (database === null) return 'not checked: the history does not apply';
  if (database.reverseSkipped !== null) return database.reverseSkipped;
  return `reverted ${database.reverted} migration(s); compared with the empty database`;
}
