/**
 * Splits a migration's SQL into statements the way psql does, so the engine can
 * run them one by one and name the line of the one that fails. (One multi-statement
 * query would also be an implicit transaction, which `CREATE INDEX CONCURRENTLY` refuses.)
 * Like psql's lexer (`src/fe_utils/psqlscan.l`) it knows quotes, nested comments, dollar
 * quotes, parentheses and `BEGIN ATOMIC` bodies. It never throws: what it cannot make
 * sense of stays in the last statement, and the server reports the error.
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

// Character codes the scanner compares against.
const LF = 0x0a, CR = 0x0d, DOUBLE_QUOTE = 0x22, DOLLAR = 0x24, QUOTE = 0x27, OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29, STAR = 0x2a, DASH = 0x2d, SLASH = 0x2f, SEMICOLON = 0x3b, BACKSLASH = 0x5c;

/** Kinds of ASCII character (0 is "other"): one table lookup per character keeps the loops cheap. */
const SPACE = 1, WORD = 2, SPECIAL = 3;
const KINDS = new Uint8Array(128);
// PostgreSQL's whitespace is exactly space, tab, LF, vertical tab, form feed and CR.
for (const c of ' \t\n\v\f\r') KINDS[c.charCodeAt(0)] = SPACE;
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_') KINDS[c.charCodeAt(0)] = WORD;
for (const c of `-/;'"$()`) KINDS[c.charCodeAt(0)] = SPECIAL;

/**
 * True when `offset` lies inside a string, quoted identifier, dollar-quoted
 * body or block comment of `text` (not on its opening character), read the
 * way {@link splitStatements} reads them. For the rare question whether a line
 * that looks like a directive is text rather than a comment.
 *
 * @example
 * isQuotedAt("SELECT '\n-- x\n';", 9); // true
 * isQuotedAt('SELECT 1;\n-- x', 10); // false
 */
export function isQuotedAt(text: string, offset: number): boolean {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length && i <= offset) {
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    let end = i + 1;
    if (c === DASH && next === DASH) end = skipLineComment(text, i + 2);
    else if (c === SLASH && next === STAR) end = skipBlockComment(text, i + 2);
    else if (c === QUOTE) end = isEscapeString(text, i) ? skipEscapeString(text, i + 1) : skipQuoted(text, i + 1, c);
    else if (c === DOUBLE_QUOTE) end = skipQuoted(text, i + 1, c);
    else if (c === DOLLAR) end = skipDollarQuote(text, i);
    const quoted = end < 0 || (end > i + 1 && !(c === DASH && next === DASH));
    if (quoted && offset > i && (end < 0 || offset < end)) return true;
    if (end < 0) return false;
    i = end;
  }
  return false;
}

/** Progress through a routine header, `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, word by word. */
const Header = { START: 0, CREATE: 1, OR: 2, REPLACE: 3, ROUTINE: 4, OTHER: 5 } as const;
type Header = (typeof Header)[keyof typeof Header];

/** What the scanner knows about the statement it is in. */
interface StatementState {
  /** Offset of the first significant character, or -1 before there is one. */
  start: number;
  parenDepth: number;
  /** Nesting of `BEGIN ATOMIC ... END` (and of `CASE ... END` inside it). */
  blockDepth: number;
  /** Words are read until this is OTHER; after that they cannot change where the statement ends. */
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
  const cursor = newCursor(text);
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
  return advance(newCursor(text), clamped);
}

/**
 * The 0-based UTF-16 index of Postgres' 1-based character `position` in
 * `text`. Postgres counts characters (code points), so a character outside
 * the BMP counts once here but takes two UTF-16 units. A position of 1 or
 * less is the start; one past the end is the text length.
 *
 * @example
 * indexOfPosition('SELECT 1', 8); // 7
 * indexOfPosition('😀 x', 3); // 3
 */
export function indexOfPosition(text: string, position: number): number {
  let index = 0;
  let character = 1;
  for (const symbol of text) {
    if (character >= position) break;
    index += symbol.length;
    character += 1;
  }
  return index;
}

/** Where line counting stands; `nextLF` and `nextCR` are the next unread `\n` and `\r` (or the text length). */
type LineCursor = { readonly text: string; line: number; lineStart: number; nextLF: number; nextCR: number };

function newCursor(text: string): LineCursor {
  return { text, line: 1, lineStart: 0, nextLF: indexOrEnd(text, '\n', 0), nextCR: indexOrEnd(text, '\r', 0) };
}

/**
 * Moves the cursor forward to `offset`, jumping from break to break with
 * `indexOf` (far faster than reading each character). No text is searched
 * twice, so placing every statement of a split stays linear.
 */
function advance(cursor: LineCursor, offset: number): { line: number; column: number } {
  const { text } = cursor;
  while (cursor.nextLF < offset || cursor.nextCR < offset) {
    const atLF = cursor.nextLF < cursor.nextCR;
    const at = atLF ? cursor.nextLF : cursor.nextCR;
    // In `\r\n` only the `\n` counts, so the pair is one line break.
    if (atLF || at + 1 !== cursor.nextLF) {
      cursor.line++;
      cursor.lineStart = at + 1;
    }
    if (atLF) cursor.nextLF = indexOrEnd(text, '\n', at + 1);
    else cursor.nextCR = indexOrEnd(text, '\r', at + 1);
  }
  return { line: cursor.line, column: offset - cursor.lineStart + 1 };
}

function indexOrEnd(text: string, char: string, from: number): number {
  const at = text.indexOf(char, from);
  return at < 0 ? text.length : at;
}

/** Every statement as a `start, end` pair in one flat array; `end` excludes trailing whitespace. */
function scanRanges(text: string): number[] {
  const ranges: number[] = [];
  const st: StatementState = { start: -1, parenDepth: 0, blockDepth: 0, header: Header.START };
  // Editors on Windows may save a byte order mark (U+FEFF); it is not part of any statement.
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const kind = c < 0x80 ? KINDS[c] : WORD;
    if (kind === SPACE) {
      i++;
    } else if (kind === SPECIAL) {
      i = scanSpecial(text, i, st, ranges);
    } else {
      if (st.start < 0) st.start = i;
      if (st.header !== Header.OTHER) i = kind === WORD ? scanWord(text, i, st) : i + 1;
      else i = skipToSpecial(text, i + 1);
    }
  }
  if (st.start >= 0) ranges.push(st.start, trimEnd(text, st.start, text.length));
  return ranges;
}

/** Inside a statement whose words no longer matter, only `-/;'"$()` can change anything. */
function skipToSpecial(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80 && KINDS[c] === SPECIAL) return i;
  }
  return text.length;
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
  } else if (st.parenDepth === 0) {
    if (wordIs(text, start, end, 'begin')) st.blockDepth++;
    else if (st.blockDepth > 0 && wordIs(text, start, end, 'case')) st.blockDepth++;
    else if (st.blockDepth > 0 && wordIs(text, start, end, 'end')) st.blockDepth--;
  }
  return end;
}

function nextHeader(header: Header, text: string, start: number, end: number): Header {
  if (header === Header.START) return wordIs(text, start, end, 'create') ? Header.CREATE : Header.OTHER;
  if (header === Header.OR) return wordIs(text, start, end, 'replace') ? Header.REPLACE : Header.OTHER;
  if (header === Header.CREATE && wordIs(text, start, end, 'or')) return Header.OR;
  const routine = header !== Header.OTHER && (wordIs(text, start, end, 'function') || wordIs(text, start, end, 'procedure'));
  return routine ? Header.ROUTINE : Header.OTHER;
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
  let close = text.indexOf(q, from);
  while (close >= 0 && text.charCodeAt(close + 1) === quote) close = text.indexOf(q, close + 2);
  return close < 0 ? text.length : close + 1;
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
  if (isIdentStart(text.charCodeAt(j))) {
    // The tag is an identifier without `$`, so `$a$b$` is the delimiter `$a$` and then `b$`.
    j++;
    while (isIdentPart(text.charCodeAt(j)) && text.charCodeAt(j) !== DOLLAR) j++;
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

/** Letters, `_` and any non-ASCII character, as in PostgreSQL. `NaN` (outside the text) is none. */
function isIdentStart(c: number): boolean {
  return c < 0x80 ? KINDS[c] === WORD : c >= 0x80;
}

/** Identifier characters also include digits and `$`. */
function isIdentPart(c: number): boolean {
  return c < 0x80 ? KINDS[c] === WORD || (c >= 0x30 && c <= 0x39) || c === DOLLAR : c >= 0x80;
}
