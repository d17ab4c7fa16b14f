import { loadModule, parseSync, type Node } from 'libpg-query';
import { indexOfPosition } from '../core/sql-split';

/** One statement the parser read, with where it starts. */
export interface ParsedStatement {
  node: Node;
  /** 0-based offset (UTF-16 units) of its first token in the text that was parsed. */
  offset: number;
}

/** The outcome of parsing one piece of SQL with PostgreSQL's own parser. */
export type ParsedSql =
  | { ok: true; stmts: ParsedStatement[] }
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
 * parse('ALTER TABLE t DROP COLUMN a'); // { ok: true, stmts: [{ node: { AlterTableStmt: ... }, offset: 0 }] }
 */
export async function loadSqlParser(): Promise<ParseSql> {
  await loadModule();
  return (sql) => {
    try {
      const raw = parseSync(sql).stmts ?? [];
      // Statement locations are byte offsets into the UTF-8 text.
      const toUtf16 = byteOffsets(sql);
      return { ok: true, stmts: raw.flatMap((r) => (r.stmt ? [{ node: r.stmt, offset: toUtf16(r.stmt_location ?? 0) }] : [])) };
    } catch (error) {
      // Error positions, unlike statement locations, count characters (code points);
      // libpg-query makes Postgres' 1-based position 0-based, so add the 1 back.
      const details = (error as { sqlDetails?: { cursorPosition?: number } }).sqlDetails;
      return { ok: false, message: (error as Error).message, position: indexOfPosition(sql, (details?.cursorPosition ?? 0) + 1) };
    }
  };
}

/** A converter from UTF-8 byte offsets to UTF-16 offsets in `text` (the identity for ASCII text). */
function byteOffsets(text: string): (bytes: number) => number {
  // eslint-disable-next-line no-control-regex -- the test is exactly "only ASCII"
  if (/^[\u0000-\u007f]*$/.test(text)) return (bytes) => bytes;
  const utf8 = Buffer.from(text, 'utf8');
  return (bytes) => utf8.subarray(0, bytes).toString('utf8').length;
}
