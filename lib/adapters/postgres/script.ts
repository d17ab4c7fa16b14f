/**
 * What one migration step runs (a script: statements and timeouts) and the
 * ledger change that commits with it.
 */
import type pg from 'pg';
import type { Migration } from '../../core/migration';
import type { SqlStatement } from '../../core/sql-split';

/** Timeouts in ms (0 = none), as an `ApplyRequest` and `LockOptions.timeouts` carry them. */
export interface Timeouts {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/**
 * What runs: one migration's statements with its timeouts, as an
 * `ApplyRequest` or a `RevertRequest` carries them. `migration.file` is the
 * file the statements come from, for errors; `reverting` marks a reverse script.
 */
export interface Script {
  migration: Migration;
  statements: SqlStatement[];
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  reverting?: boolean;
  /**
   * The id of a migration pipelined just before this one and not yet
   * answered: this one's transaction must not commit unless that one did.
   */
  after?: string | null;
}

/**
 * Stands for a duration not known when the ledger change is sent: the change
 * goes out behind the statements before they have run. A change that records
 * it has the server measure it instead (the time since its transaction began).
 */
export const SERVER_MEASURED = 'server-measured';

/**
 * The ledger change that commits in a script's transaction: one query, sent
 * after the statements.
 */
export interface LedgerChange {
  /**
   * The query, given the statements' duration in ms or {@link SERVER_MEASURED}.
   * A query that records the duration returns the value it recorded as
   * `duration_ms`, which then is the step's duration.
   */
  query(durationMs: number | typeof SERVER_MEASURED): pg.QueryConfig;
  /** What it does, for its error: `writing the ledger row of app/0002_x`. */
  doing: string;
  /** Given the change's answer once the transaction committed (e.g. the relations the transaction had locked). */
  written?(result: pg.QueryResult): void;
}

/** A `lock_timeout` / `statement_timeout` value: whole milliseconds, `'0'` for none. */
function timeoutSetting(ms: number): string {
  return ms > 0 ? `${Math.ceil(ms)}ms` : '0';
}

/**
 * The query that sets both timeouts; `local` settings end with the
 * transaction, session settings last until reset.
 *
 * @example
 * await client.query(timeoutsQuery({ lockTimeoutMs: 2_000, statementTimeoutMs: 0 }, true));
 */
export function timeoutsQuery(timeouts: Timeouts, local: boolean): pg.QueryConfig {
  return {
    text: "select set_config('lock_timeout', $1, $3), set_config('statement_timeout', $2, $3)",
    values: [timeoutSetting(timeouts.lockTimeoutMs), timeoutSetting(timeouts.statementTimeoutMs), local],
  };
}

/**
 * Sets both timeouts (see {@link timeoutsQuery}).
 *
 * @example
 * await setTimeouts(client, { lockTimeoutMs: 2_000, statementTimeoutMs: 0 }, false);
 */
export async function setTimeouts(client: pg.Client, timeouts: Timeouts, local: boolean): Promise<void> {
  await client.query(timeoutsQuery(timeouts, local));
}

/** True when the script asks for the timeouts the session already has: then nothing needs setting. */
export function timeoutsInForce(session: Timeouts | undefined, script: Script): boolean {
  return (
    session !== undefined &&
    timeoutSetting(session.lockTimeoutMs) === timeoutSetting(script.lockTimeoutMs) &&
    timeoutSetting(session.statementTimeoutMs) === timeoutSetting(script.statementTimeoutMs)
  );
}
