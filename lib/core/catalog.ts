import { checksumOf } from './checksum';
import { parseDirectives } from './directives';
import { resolveDependencies } from './dependencies';
import { MigrationsInvalidError, ProblemCode, type FolderProblem } from './errors';
import { compareIds, parseMigrationId, type Migration } from './migration';

/** One file of a migrations folder, as an adapter read it. */
export interface SourceFile {
  /** Path relative to the migrations folder, `/`-separated. */
  path: string;
  /** The text, or undefined when it could not be read (then `error` says why). */
  content?: string;
  error?: string;
}

const APP = /^[a-z][a-z0-9_]*$/;
const UP_FILE = /^([0-9]{4,})_([a-z0-9_]+)\.sql$/;
const DOWN_FILE = /^([0-9]{4,})_([a-z0-9_]+)\.down\.sql$/;

/**
 * Turns the files of a migrations folder (or of a bundle) into migrations,
 * sorted by id, with checksums and resolved dependencies. Every problem is
 * collected and thrown together as one `MigrationsInvalidError`.
 *
 * Only `.sql` files count; other files (README.md, .gitkeep) are ignored.
 *
 * @example
 * const migrations = buildCatalog([{ path: 'organization/0001_initial.sql', content: 'CREATE TABLE ...' }]);
 */
export function buildCatalog(files: readonly SourceFile[]): Migration[] {
  const problems: FolderProblem[] = [];
  const ups = new Map<string, Migration>();
  const downs = new Map<string, SourceFile>();
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const kind = classify(file.path, problems);
    if (kind === null) continue;
    if (file.content === undefined) {
      problems.push({ code: ProblemCode.UNREADABLE, file: file.path, message: `cannot be read: ${file.error ?? 'unknown error'}` });
      continue;
    }
    if (kind.down) {
      downs.set(kind.id, file);
      continue;
    }
    if (ups.has(kind.id)) {
      problems.push({ code: ProblemCode.DUPLICATE_ID, file: file.path, message: `migration id ${kind.id} appears more than once` });
      continue;
    }
    ups.set(kind.id, toMigration(kind.id, file.path, file.content, problems));
  }
  for (const [id, down] of downs) {
    const up = ups.get(id);
    if (up) up.downSql = down.content as string;
    else problems.push({ code: ProblemCode.ORPHAN_DOWN, file: down.path, message: `reverse script without its migration ${id}.sql; add the migration or delete this file` });
  }
  const migrations = [...ups.values()].sort((a, b) => compareIds(a.id, b.id));
  problems.push(...resolveDependencies(migrations));
  if (problems.length > 0) throw new MigrationsInvalidError(problems);
  return migrations;
}

function classify(path: string, problems: FolderProblem[]): { id: string; down: boolean } | null {
  const parts = path.split('/');
  const base = parts[parts.length - 1] as string;
  if (!base.endsWith('.sql') || base.startsWith('.')) return null;
  if (parts.length !== 2) {
    problems.push({ code: ProblemCode.BAD_NAME, file: path, message: 'migration files must sit directly in an app folder: migrations/<app>/<NNNN>_<name>.sql' });
    return null;
  }
  const app = parts[0] as string;
  const down = DOWN_FILE.exec(base);
  const up = down ? null : UP_FILE.exec(base);
  const match = down ?? up;
  if (!APP.test(app) || !match) {
    const what = APP.test(app) ? `file name "${base}"` : `app folder "${app}"`;
    problems.push({
      code: ProblemCode.BAD_NAME,
      file: path,
      message: `${what} is not valid: expected <app>/<NNNN>_<name>.sql (or .down.sql) with app [a-z][a-z0-9_]*, 4 or more digits, name [a-z0-9_]+`,
    });
    return null;
  }
  return { id: `${app}/${match[1]}_${match[2]}`, down: down !== null };
}

function toMigration(id: string, file: string, sql: string, problems: FolderProblem[]): Migration {
  const parsed = parseMigrationId(id);
  if (!parsed) throw new Error(`invariant: ${id} was classified as an id`);
  const { checksum, directives } = readSql(file, sql, problems);
  return {
    id,
    app: parsed.app,
    number: parsed.number,
    name: parsed.name,
    file,
    sql,
    downSql: null,
    checksum,
    directives,
    dependencies: [],
  };
}

/**
 * What a migration's SQL itself says: its checksum and directives. Problems
 * of the file (a bad directive, a NUL byte) are pushed to `problems`.
 *
 * @example
 * const { checksum, directives } = readSql('org/0001_initial.sql', 'CREATE TABLE org (id int);', problems);
 */
export function readSql(file: string, sql: string, problems: FolderProblem[]): Pick<Migration, 'checksum' | 'directives'> {
  const { directives, problems: directiveProblems } = parseDirectives(sql);
  for (const p of directiveProblems) problems.push({ code: ProblemCode.BAD_DIRECTIVE, file, line: p.line, message: p.message });
  // PostgreSQL cannot take a NUL in SQL text: sent, it ends the query early (a protocol error), so refuse it here.
  const nul = sql.indexOf('\0');
  if (nul >= 0) problems.push({ code: ProblemCode.UNREADABLE, file, line: sql.slice(0, nul).split('\n').length, message: 'contains a NUL byte, which SQL text cannot hold; is it UTF-16 or binary? Save it as UTF-8 text' });
  return { checksum: checksumOf(sql), directives };
}
