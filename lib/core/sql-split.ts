/**
 * Splits a migration's SQL into statements, the way psql does, so the engine
 * can run them one by one and name the line of the one that fails. Sending a
 * whole file as one query would also wrap it in an implicit transaction, which
 * `CREATE INDEX CONCURRENTLY` in a no-transaction migration refuses.
 *
 * The scanner follows psql's lexer (`src/fe_utils/psqlscan.l`) where it
 * matters for finding `;`: quotes, nested comments, dollar quotes, parentheses
 * and `BEGIN ATOMIC` bodies. It never throws: on text it cannot make sense of,
 * it keeps the rest as one statement and lets the server report the error.
 */

/** One statement of a migration file. */
export interface SqlStatement {
  /** The statement text, without the terminating `;`. */
  sql: string;
  /** 0-based offset of `sql` in the text that was split. */
  offset: number;
  /** 1-based line of the statement's first character. */
  line: number;
  /** 1-based column of the statement's first character. */
  column: number;
}

const LF = 0x0a;
const CR = 0x0d;
const DOUBLE_QUOTE = 0x22;
const DOLLAR = 0x24;
const QUOTE = 0x27;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const STAR = 0x2a;
const DASH = 0x2d;
const SLASH = 0x2f;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;

/** ASCII character kinds (0 is "other"): one table lookup per character keeps the hot loop cheap. */
const SPACE = 1;
const WORD = 2;
const SPECIAL = 3;
const KINDS = new Uint8Array(128);
// PostgreSQL's whitespace is exactly space, tab, LF, vertical tab, form feed and CR.
for (const c of ' \t\n\v\f\r') KINDS[c.charCodeAt(0)] = SPACE;
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_') KINDS[c.charCodeAt(0)] = WORD;
for (const c of `-/;'"$()`) KINDS[c.charCodeAt(0)] = SPECIAL;

/** Progress through a routine header, `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, word by word. */
const Header = { START: 0, CREATE: 1, OR: 2, REPLACE: 3, ROUTINE: 4, OTHER: 5 } as const;
type Header = (typeof Header)[keyof typeof Header];

/** What the scanner knows about the statement it is in. Reset at every split. */
interface StatementState {
  /** Offset of the first significant character, or -1 before there is one. */
  start: number;
  parenDepth: number;
  /** Nesting of `BEGIN ATOMIC ... END` (and `CASE ... END` inside it). */
  blockDepth: number;
  /** Words are read only until this is OTHER: after that they cannot change where a statement ends. */
  header: Header;
}

/**
 * Splits SQL text into statements at top-level semicolons. Whitespace and
 * comments between statements are dropped; comments inside one are kept.
 *
 * @example
 * splitStatements('CREATE TABLE t (id int);\n-- seed\nINSERT INTO t VALUES (1);');
 * // [{ sql: 'CREATE TABLE t (id int)', offset: 0, line: 1, column: 1 },
 * //  { sql: 'INSERT INTO t VALUES (1)', offset: 33, line: 3, column: 1 }]
 */
export function splitStatements(text: string): SqlStatement[] {
  const ranges = scanRanges(text);
  const statements: SqlStatement[] = [];
  const cursor: LineCursor = { text, pos: 0, line: 1, lineStart: 0 };
  for (let k = 0; k < ranges.length; k += 2) {
    const offset = ranges[k];
    const { line, column } = advance(cursor, offset);
    statements.push({ sql: text.slice(offset, ranges[k + 1]), offset, line, column });
  }
  return statements;
}

/**
 * 1-based line and column of a 0-based offset in `text`. `\n`, `\r\n` and a
 * lone `\r` each end a line; columns count UTF-16 code units. The offset is
 * clamped to the text, so a server error position past the end still lands.
 *
 * @example
 * locate('SELECT 1;\r\nSELEC 2;', 11); // { line: 2, column: 1 }
 */
export function locate(text: string, offset: number): { line: number; column: number } {
  const clamped = Math.max(0, Math.min(text.length, Math.trunc(offset) || 0));
  return advance({ text, pos: 0, line: 1, lineStart: 0 }, clamped);
}

type LineCursor = { readonly text: string; pos: number; line: number; lineStart: number };

/** Moves the cursor forward to `offset`; statements come in order, so the whole split stays linear. */
function advance(cursor: LineCursor, offset: number): { line: number; column: number } {
  const { text } = cursor;
  for (let i = cursor.pos; i < offset; i++) {
    const c = text.charCodeAt(i);
    // In `\r\n` only the `\n` counts, so the pair is one line break.
    if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) {
      cursor.line++;
      cursor.lineStart = i + 1;
    }
  }
  cursor.pos = offset;
  return { line: cursor.line, column: offset - cursor.lineStart + 1 };
}

/** Every statement as a `start, end` pair in one flat array; `end` excludes trailing whitespace. */
function scanRanges(text: string): number[] {
  const ranges: number[] = [];
  const st = newState();
  const n = text.length;
  // Editors on Windows may save a byte order mark (U+FEFF); it is not part of any statement.
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const kind = c < 0x80 ? KINDS[c] : WORD;
    if (kind === SPACE) {
      i++;
    } else if (kind === SPECIAL) {
      i = scanSpecial(text, i, st, ranges);
    } else {
      if (st.start < 0) st.start = i;
      i = kind === WORD && st.header !== Header.OTHER ? scanWord(text, i, st) : i + 1;
    }
  }
  if (st.start >= 0) ranges.push(st.start, trimEnd(text, st.start, n));
  return ranges;
}

function newState(): StatementState {
  return { start: -1, parenDepth: 0, blockDepth: 0, header: Header.START };
}

/** Handles one of `-/;'"$()` at `i`: comments, the end of a statement, quotes and nesting. */
function scanSpecial(text: string, i: number, st: StatementState, ranges: number[]): number {
  const c = text.charCodeAt(i);
  const next = text.charCodeAt(i + 1);
  if (c === DASH && next === DASH) return skipLineComment(text, i + 2);
  if (c === SLASH && next === STAR) {
    const end = skipBlockComment(text, i + 2);
    // An unclosed comment may hide statements the author meant to run: send it so the server says so.
    if (end < 0 && st.start < 0) st.start = i;
    return end < 0 ? text.length : end;
  }
  if (c === SEMICOLON && st.parenDepth === 0 && st.blockDepth === 0) {
    if (st.start >= 0) ranges.push(st.start, trimEnd(text, st.start, i));
    // Both depths are 0 here, so only these two fields need a reset.
    st.start = -1;
    st.header = Header.START;
    return i + 1;
  }
  if (st.start < 0) st.start = i;
  if (c === QUOTE) return isEscapeString(text, i) ? skipEscapeString(text, i + 1) : skipQuoted(text, i + 1, c);
  if (c === DOUBLE_QUOTE) return skipQuoted(text, i + 1, c);
  if (c === DOLLAR) return skipDollarQuote(text, i);
  if (c === OPEN_PAREN) st.parenDepth++;
  // psql ignores a stray `)` rather than going negative; so do we.
  else if (c === CLOSE_PAREN && st.parenDepth > 0) st.parenDepth--;
  return i + 1;
}

/**
 * Reads a word to track `BEGIN ATOMIC ... END` the way psql does: only in a
 * statement that starts with a routine header and only outside parentheses,
 * so a parameter named `begin` does not count. CASE nests only inside a body.
 */
function scanWord(text: string, start: number, st: StatementState): number {
  let end = start + 1;
  while (end < text.length && isIdentPart(text.charCodeAt(end))) end++;
  if (st.header !== Header.ROUTINE) {
    st.header = nextHeader(st.header, text, start, end);
    return end;
  }
  if (st.parenDepth > 0) return end;
  if (wordIs(text, start, end, 'begin')) st.blockDepth++;
  else if (st.blockDepth > 0 && wordIs(text, start, end, 'case')) st.blockDepth++;
  else if (st.blockDepth > 0 && wordIs(text, start, end, 'end')) st.blockDepth--;
  return end;
}

function nextHeader(header: Header, text: string, start: number, end: number): Header {
  const is = (word: string): boolean => wordIs(text, start, end, word);
  if (header === Header.START) return is('create') ? Header.CREATE : Header.OTHER;
  if (header === Header.CREATE && is('or')) return Header.OR;
  if (header === Header.OR) return is('replace') ? Header.REPLACE : Header.OTHER;
  return is('function') || is('procedure') ? Header.ROUTINE : Header.OTHER;
}

/** Case-insensitive comparison of `text[start, end)` with a lowercase ASCII word, without a substring. */
function wordIs(text: string, start: number, end: number, word: string): boolean {
  if (end - start !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    // Setting bit 0x20 lowercases ASCII letters; no non-letter can become one.
    if ((text.charCodeAt(start + k) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** Whether the quote at `i` opens `E'...'`: a lone `E` or `e` before it, not the end of `tablE`. */
function isEscapeString(text: string, i: number): boolean {
  return (text.charCodeAt(i - 1) | 0x20) === 0x65 && !isIdentPart(text.charCodeAt(i - 2));
}

/** After the opening quote of `'...'` or `"..."`, where a doubled quote is an escaped one. */
function skipQuoted(text: string, from: number, quote: number): number {
  const q = String.fromCharCode(quote);
  let i = from;
  for (;;) {
    const close = text.indexOf(q, i);
    if (close < 0) return text.length;
    if (text.charCodeAt(close + 1) !== quote) return close + 1;
    i = close + 2;
  }
}

/** After the opening quote of `E'...'`, where a backslash escapes the next character. */
function skipEscapeString(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Either escape makes the loop's own step skip the escaped character.
    if (c === BACKSLASH) i++;
    else if (c === QUOTE && text.charCodeAt(++i) !== QUOTE) return i;
  }
  return text.length;
}

/**
 * At a `$`: skips a `$tag$ ... $tag$` string, or just the `$` when it does not
 * open one (`$1` is a parameter; in `a$b$` or `1$` the `$` follows an
 * identifier character and belongs to it).
 */
function skipDollarQuote(text: string, i: number): number {
  if (isIdentPart(text.charCodeAt(i - 1))) return i + 1;
  let j = i + 1;
  if (j < text.length && isIdentStart(text.charCodeAt(j))) {
    // The tag is an identifier without `$`, so `$a$b$` is the delimiter `$a$` and then `b$`.
    j++;
    while (j < text.length && isIdentPart(text.charCodeAt(j)) && text.charCodeAt(j) !== DOLLAR) j++;
  }
  if (text.charCodeAt(j) !== DOLLAR) return i + 1;
  const delimiter = text.slice(i, j + 1);
  const close = text.indexOf(delimiter, j + 1);
  return close < 0 ? text.length : close + delimiter.length;
}

/** After `--`: returns the offset of the line break (or the end). */
function skipLineComment(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) !== LF && text.charCodeAt(i) !== CR) i++;
  return i;
}

/** After `/*`: block comments nest in PostgreSQL, unlike in the SQL standard. -1 when unclosed. */
function skipBlockComment(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i + 1 < text.length; i++) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (c === SLASH && next === STAR) depth++;
    else if (c === STAR && next === SLASH) depth--;
    else continue;
    // Both characters of the pair are used up, so `/*/` opens without closing.
    i++;
    if (depth === 0) return i + 1;
  }
  return -1;
}

function trimEnd(text: string, start: number, end: number): number {
  let e = end;
  while (e > start && KINDS[text.charCodeAt(e - 1)] === SPACE) e--;
  return e;
}

/** Letters, `_` and any non-ASCII character, as in PostgreSQL's `ident_start`. */
function isIdentStart(c: number): boolean {
  return c >= 0x80 || KINDS[c] === WORD;
}

/** Identifier characters also include digits and `$`. `NaN` (before the text) is none. */
function isIdentPart(c: number): boolean {
  return c >= 0x80 || KINDS[c] === WORD || (c >= 0x30 && c <= 0x39) || c === DOLLAR;
}
