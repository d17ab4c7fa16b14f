/**
 * Where a line of a `DO` block is in its file. PL/pgSQL reports a failure in
 * an anonymous block by the line of the block's body (`PL/pgSQL function
 * inline_code_block line 6 at RAISE`), counted from the line its opening
 * quote is on; the server sends no position for it.
 */
import { statementHead } from './transaction-control';

/** `DO [LANGUAGE name] <body>`: the body's opening quote, `$tag$` or `'` (or `E'`). */
const DO_BODY = /^do\s+(?:language\s+(?:"[^"]*"|\w+)\s+)?(?:e(?='))?(\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$|')/i;
/** The block's own frame in the error's context; the last one is the statement's (nested blocks come first). */
const INLINE_FRAME = /PL\/pgSQL function inline_code_block line (\d+)/g;

/**
 * The 0-based offset in `statementSql` of the start of the line `where`
 * names in the `DO` block that `statementSql` is, or null when it is not a
 * `DO` block or `where` names no line of it.
 *
 * @example
 * doBlockLineOffset('DO $$\nBEGIN\n  RAISE EXCEPTION \'x\';\nEND $$', 'PL/pgSQL function inline_code_block line 3 at RAISE'); // → 12
 */
export function doBlockLineOffset(statementSql: string, where: string | undefined): number | null {
  const frames = where ? [...where.matchAll(INLINE_FRAME)] : [];
  const blockLine = Number(frames[frames.length - 1]?.[1]);
  const head = statementHead(statementSql);
  const body = DO_BODY.exec(head);
  if (!body || !Number.isInteger(blockLine) || blockLine < 1) return null;
  let offset = statementSql.length - head.length + body[0].length;
  for (let line = 1; line < blockLine; line += 1) {
    const next = statementSql.indexOf('\n', offset);
    if (next < 0) return null;
    offset = next + 1;
  }
  return offset;
}
