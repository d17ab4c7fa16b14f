/**
 * Statements that end, start or split a transaction. Inside a transactional
 * migration they change what a failure leaves behind: after a COMMIT of its
 * own, the statements that follow run in another transaction (or in
 * autocommit), so the engine must not treat the migration as one unit.
 */
import type { SqlStatement } from './sql-split';

/** Whitespace and comments before a statement's first keyword. */
const LEADING = /^(?:\s|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

const CONTROL = /^(begin|commit|end|rollback|abort|start\s+transaction|savepoint|release|prepare\s+transaction)\b/i;

/**
 * A statement's text from its first keyword on: leading whitespace and comments skipped.
 *
 * @example
 * statementHead('-- note\n  COMMIT'); // → 'COMMIT'
 */
export function statementHead(sql: string): string {
  return sql.replace(LEADING, '');
}

/** The first statement that controls the transaction, and its keyword in capitals. */
export interface TransactionControl {
  statement: SqlStatement;
  word: string;
}

/**
 * The first statement of `statements` that controls the transaction itself
 * (BEGIN, COMMIT, END, ROLLBACK, ABORT, START TRANSACTION, SAVEPOINT,
 * RELEASE, PREPARE TRANSACTION), or null when none does.
 *
 * @example
 * transactionControlIn([{ sql: 'commit', offset: 0, line: 3, column: 1 }]);
 * // → { statement: { sql: 'commit', … }, word: 'COMMIT' }
 */
export function transactionControlIn(statements: readonly SqlStatement[]): TransactionControl | null {
  for (const statement of statements) {
    const match = CONTROL.exec(statementHead(statement.sql));
    if (match) return { statement, word: (match[1] ?? '').toUpperCase().replace(/\s+/g, ' ') };
  }
  return null;
}

/** `COPY <table> [(<columns>)] FROM STDIN`: its rows must come from the client. */
const NAME = String.raw`(?:"(?:[^"]|"")*"|[^\s("]+)`;
const COPY_FROM_STDIN = new RegExp(String.raw`^copy\s+${NAME}(?:\s*\.\s*${NAME})?\s*(?:\([^)]*\)\s*)?from\s+stdin\b`, 'i');

/**
 * The first statement that is `COPY … FROM STDIN`, or null. Its rows would
 * have to be sent by the client, as psql sends the lines after it; the engine
 * runs statements only, so such a statement cannot work in a migration.
 *
 * @example
 * copyFromStdinIn(splitStatements('create table t (id int);\ncopy t (id) from stdin;\n'))?.line; // → 2
 */
export function copyFromStdinIn(statements: readonly SqlStatement[]): SqlStatement | null {
  return statements.find((statement) => COPY_FROM_STDIN.test(statementHead(statement.sql))) ?? null;
}

/** ROLLBACK or ABORT of the whole transaction (not `ROLLBACK TO SAVEPOINT`, not `ROLLBACK PREPARED`). */
const DISCARD = /^(?:rollback|abort)\b(?!(?:\s+(?:work|transaction))?\s+(?:to|prepared)\b)/i;

/**
 * The first statement that rolls back the whole transaction, or null. In a
 * transactional migration it would discard what ran before it, and what
 * follows would run on its own and be recorded as applied.
 *
 * @example
 * discardingRollbackIn(splitStatements('create table t (id int);\nrollback;\n'))?.line; // → 2
 * discardingRollbackIn(splitStatements('savepoint s;\nrollback to savepoint s;\n')); // → null
 */
export function discardingRollbackIn(statements: readonly SqlStatement[]): SqlStatement | null {
  return statements.find((statement) => DISCARD.test(statementHead(statement.sql))) ?? null;
}

/**
 * The first statement that starts with a psql meta-command (`\connect`,
 * `\set`, pg_dump's `\restrict`), and the command's line, or null. Only
 * psql reads those; the server sees a backslash where SQL must start.
 *
 * @example
 * psqlMetaCommandIn(splitStatements('\\connect app\ncreate table t (id int);'))?.command; // → '\\connect app'
 */
export function psqlMetaCommandIn(statements: readonly SqlStatement[]): { statement: SqlStatement; command: string } | null {
  for (const statement of statements) {
    const head = statementHead(statement.sql);
    if (head.startsWith('\\')) return { statement, command: metaCommandOf(head) };
  }
  return null;
}

/** A meta-command's own line. */
const metaCommandOf = (head: string): string => (head.split(/\r?\n/, 1)[0] as string).trim();

/** `DEALLOCATE [PREPARE] ALL` and `DISCARD ALL | PLANS`: they drop the session's prepared statements. */
const DROPS_PREPARED = /^(?:deallocate\s+(?:prepare\s+)?all|discard\s+(?:all|plans))\b/i;

/**
 * The first statement that drops every prepared statement of the session, or
 * null. The engine's session prepares its ledger queries once; behind such a
 * statement they would be missing.
 *
 * @example
 * preparedStatementsDroppedIn(splitStatements('deallocate all;'))?.line; // → 1
 * preparedStatementsDroppedIn(splitStatements('prepare q as select 1;\ndeallocate q;')); // → null
 */
export function preparedStatementsDroppedIn(statements: readonly SqlStatement[]): SqlStatement | null {
  return statements.find((statement) => DROPS_PREPARED.test(statementHead(statement.sql))) ?? null;
}

/** The first statement of each kind that cannot run in a migration (see `unrunnable.ts`). */
export interface Unrunnable {
  copy: SqlStatement | null;
  meta: { statement: SqlStatement; command: string } | null;
  dropsPrepared: SqlStatement | null;
  rollback: SqlStatement | null;
}

/**
 * {@link copyFromStdinIn}, {@link psqlMetaCommandIn},
 * {@link preparedStatementsDroppedIn} and {@link discardingRollbackIn} in one
 * pass: each statement's head is read once, as every migration of a run is
 * looked at before it is sent.
 *
 * @example
 * unrunnableIn(splitStatements('create table t (id int);\nrollback;\n')).rollback?.line; // → 2
 */
export function unrunnableIn(statements: readonly SqlStatement[]): Unrunnable {
  const found: Unrunnable = { copy: null, meta: null, dropsPrepared: null, rollback: null };
  for (const statement of statements) {
    const head = statementHead(statement.sql);
    if (found.copy === null && COPY_FROM_STDIN.test(head)) found.copy = statement;
    if (found.meta === null && head.startsWith('\\')) found.meta = { statement, command: metaCommandOf(head) };
    if (found.dropsPrepared === null && DROPS_PREPARED.test(head)) found.dropsPrepared = statement;
    if (found.rollback === null && DISCARD.test(head)) found.rollback = statement;
  }
  return found;
}

/** A word every statement {@link unrunnableIn} finds starts with, anywhere in a text (in a comment or a name too). */
const UNRUNNABLE_WORD = /\\|copy|deallocate|discard|rollback|abort/i;

/**
 * False when no statement of `sql` can be one {@link unrunnableIn} finds:
 * the text has no backslash and none of the words they start with. One
 * search of the text, without splitting it; true says only "look closer".
 *
 * @example
 * mayBeUnrunnable('create table t (id int);'); // → false
 * mayBeUnrunnable('create table copy_job (id int);'); // → true (then unrunnableIn finds nothing)
 */
export function mayBeUnrunnable(sql: string): boolean {
  return UNRUNNABLE_WORD.test(sql);
}

/** The same words for a search of a long text; the backslash is looked for apart (with it in the pattern, the search could not skip ahead). */
const UNRUNNABLE_WORDS = /copy|deallocate|discard|rollback|abort/gi;

/**
 * Where `text` holds what {@link mayBeUnrunnable} looks for, as [start, end)
 * pairs sorted by start, or null when there are more than `max`. Every part
 * of `text` for which `mayBeUnrunnable` is true overlaps one of them (a word
 * the search consumed hides no other from the part it overlaps).
 *
 * @example
 * unrunnableRanges('create table t (id int);\\set x 1', 10); // → [[24, 25]]
 */
export function unrunnableRanges(text: string, max: number): [number, number][] | null {
  const hits: [number, number][] = [];
  for (let at = text.indexOf('\\'); at >= 0; at = text.indexOf('\\', at + 1)) {
    if (hits.length === max) return null;
    hits.push([at, at + 1]);
  }
  const backslashes = hits.length;
  UNRUNNABLE_WORDS.lastIndex = 0;
  for (let match = UNRUNNABLE_WORDS.exec(text); match !== null; match = UNRUNNABLE_WORDS.exec(text)) {
    if (hits.length === max) return null;
    hits.push([match.index, match.index + match[0].length]);
  }
  return backslashes > 0 && hits.length > backslashes ? hits.sort((a, b) => a[0] - b[0]) : hits;
}
