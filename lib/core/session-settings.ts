/**
 * Statements that change the session's settings. A migration's session-level
 * `SET` (pg_dump's `set_config('search_path', '', false)`, `SET ROLE`,
 * `SET statement_timeout = 0`) outlives its transaction, so without a reset
 * the migrations after it in the same run would see it, and run differently
 * than they do in a run of their own.
 */
import type { SqlStatement } from './sql-split';
import { statementHead } from './transaction-control';

/** `SET …` and `RESET …`, but not the forms that last only for the transaction. */
const SESSION_SET = /^(?:set(?!\s+(?:local|transaction|constraints|session\s+characteristics)\b)|reset)\b/i;
/** `set_config(…)` anywhere, also inside a `DO` block or a function it calls. */
const SET_CONFIG = /\bset_config\s*\(/i;

/**
 * True when some statement may change a session setting that outlives the
 * migration's transaction.
 *
 * @example
 * changesSessionSettings(splitStatements("set search_path = app;\ncreate table t (id int);")); // → true
 * changesSessionSettings(splitStatements('set local lock_timeout = 100;')); // → false
 */
export function changesSessionSettings(statements: readonly SqlStatement[]): boolean {
  return statements.some((statement) => SESSION_SET.test(statementHead(statement.sql)) || SET_CONFIG.test(statement.sql));
}
