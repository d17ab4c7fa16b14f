import { loadModule, parseSync, type Node } from 'libpg-query';

/** The outcome of parsing one piece of SQL with PostgreSQL's own parser. */
export type ParsedSql =
  | { ok: true; stmts: Node[] }
  /** `position` is a 0-based offset (UTF-16 units) in the text that was parsed. */
  | { ok: false; message: string; position: number };

/** Parses SQL text; never throws for bad SQL. */
export type ParseSql = (sql: string) => ParsedSql;

/**
 * Loads libpg-query (PostgreSQL's parser compiled to WebAssembly, no server
 * and no network) and returns a synchronous parse function.
 *
 * @example
 * const parse = await loadSqlParser();
 * parse('ALTER TABLE t DROP COLUMN a'); // { ok: true, stmts: [{ AlterTableStmt: ... }] }
 */
export async function loadSqlParser(): Promise<ParseSql> {
  await loadModule();
  return (sql) => {
    try {
      const result = parseSync(sql);
      return { ok: true, stmts: (result.stmts ?? []).map((raw) => raw.stmt).filter((s): s is Node => s !== undefined) };
    } catch (error) {
      const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
      return { ok: false, message: (error as Error).message, position: utf16Offset(sql, details?.cursorPosition ?? 0) };
    }
  };
}

/** PostgreSQL counts positions in characters (code points); JavaScript strings index UTF-16 units. */
function utf16Offset(text: string, codePoints: number): number {
  let offset = 0;
  let count = 0;
  for (const char of text) {
    if (count >= codePoints) break;
    offset += char.length;
    count += 1;
  }
  return offset;
}
