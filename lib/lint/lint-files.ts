import type { SourceFile } from '../core/catalog';
import { parseDirectives } from '../core/directives';
import { topologicalOrder } from '../core/graph';
import { compareIds, type Directives } from '../core/migration';
import { lintMigration, type AllowedFinding, type LintFinding } from './lint-migration';
import type { ParseSql } from './parse-sql';
import { SchemaModel } from './schema-model';

/** The outcome of linting a migrations folder. Plain data. */
export interface LintReport {
  /** How many files were linted (migrations and reverse scripts). */
  files: number;
  findings: LintFinding[];
  allowed: AllowedFinding[];
}

const MIGRATION_FILE = /^([a-z][a-z0-9_]*\/[0-9]{4,}_[a-z0-9_]+)(\.down)?\.sql$/;

/** A file that could be read. */
type ReadFile = SourceFile & { content: string };

/**
 * Lints every migration and reverse script of a folder. Migrations are read
 * in dependency order (the implicit previous number and `depends-on`), so a
 * type change is judged against the type earlier migrations gave the column.
 * Files that are not migrations by name are left to the catalog to report.
 *
 * @example
 * const report = lintFiles(await readMigrationsFolder('migrations'), await loadSqlParser());
 */
export function lintFiles(files: readonly SourceFile[], parse: ParseSql): LintReport {
  // Each migration with its directives, read once for the order and its reverse script.
  const forward = new Map<string, { file: ReadFile; directives: Directives }>();
  const reverse: ReadFile[] = [];
  for (const file of files) {
    const match = MIGRATION_FILE.exec(file.path);
    if (!match || file.content === undefined) continue;
    if (match[2]) reverse.push({ ...file, content: file.content });
    else forward.set(match[1] as string, { file: { ...file, content: file.content }, directives: parseDirectives(file.content).directives });
  }
  const schema = new SchemaModel();
  const findings: LintFinding[] = [];
  const allowed: AllowedFinding[] = [];
  const lintOne = (file: ReadFile, reverseOf?: { noTransaction: boolean }): void => {
    const result = lintMigration({ file: file.path, sql: file.content, reverseOf }, parse, schema);
    findings.push(...result.findings);
    allowed.push(...result.allowed);
  };
  for (const id of dependencyOrder(forward)) lintOne((forward.get(id) as { file: ReadFile }).file);
  for (const file of reverse) {
    const up = forward.get(file.path.replace(/\.down\.sql$/, ''));
    lintOne(file, { noTransaction: up ? up.directives.noTransaction : false });
  }
  return { files: forward.size + reverse.length, findings: findings.sort(byPlace), allowed: allowed.sort(byPlace) };
}

/** Ids in an order that respects dependencies, ties (and cycles) broken by id. */
function dependencyOrder(forward: ReadonlyMap<string, { directives: Directives }>): string[] {
  const ids = [...forward.keys()].sort(compareIds);
  const graph = new Map<string, string[]>();
  ids.forEach((id, i) => {
    const previous = ids[i - 1];
    const sameApp = previous !== undefined && previous.split('/')[0] === id.split('/')[0];
    const explicit = (forward.get(id) as { directives: Directives }).directives.dependsOn;
    graph.set(id, sameApp ? [previous, ...explicit] : explicit);
  });
  const { order, blocked } = topologicalOrder(ids, graph, new Map(ids.map((id, i) => [id, i])));
  return [...order, ...blocked];
}

function byPlace(a: LintFinding, b: LintFinding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.line - b.line || a.column - b.column;
}
