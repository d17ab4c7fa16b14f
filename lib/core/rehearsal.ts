/**
 * A rehearsal: the pending transactional migrations run for real inside one
 * transaction that is always rolled back. This module holds its report (plain
 * data) and the engine's pure decisions about what can be rehearsed.
 */
import type { MigrationFailure } from './errors-database';
import type { SqlStatement } from './sql-split';
import { transactionControlIn } from './transaction-control';

export const RehearsalStatus = {
  /** Ran to the end inside the rehearsal transaction (then rolled back with it). */
  REHEARSED: 'rehearsed',
  /** A statement failed; `failure` says which and why. */
  FAILED: 'failed',
  /** Not run: `reason` says why (no-transaction, transaction control, depends on a failed one). */
  NOT_REHEARSABLE: 'not-rehearsable',
} as const;
export type RehearsalStatus = (typeof RehearsalStatus)[keyof typeof RehearsalStatus];

/** What the rehearsal found for one migration of the plan, in plan order. */
export interface RehearsalOutcome {
  id: string;
  file: string;
  status: RehearsalStatus;
  /** `rehearsed` and `failed`: time spent running its statements, in ms. */
  durationMs?: number;
  /** `failed`: where and why, with Postgres' fields, the live facts and the explanation. */
  failure?: MigrationFailure;
  /** `not-rehearsable` (and a `rehearsed` squash that only records): why. */
  reason?: string;
  /** `not-rehearsable` because the invocation's time ran out before or while it ran: a call with more time rehearses it. */
  outOfTime?: true;
}

/**
 * Why a transactional migration cannot be rehearsed, or null when it can: a
 * statement of its own controls the transaction (it would commit the
 * rehearsal, or roll back what came before it).
 *
 * @example
 * notRehearsableBecause([{ sql: 'COMMIT', offset: 0, line: 3, column: 1 }], 'app/0002_x.sql');
 * // → 'app/0002_x.sql:3 controls the transaction itself (COMMIT); run inside a rehearsal it would end it'
 */
export function notRehearsableBecause(statements: readonly SqlStatement[], file: string): string | null {
  const control = transactionControlIn(statements);
  if (!control) return null;
  return `${file}:${control.statement.line} controls the transaction itself (${control.word}); run inside a rehearsal it would end it`;
}

/** The reason given for a migration the rehearsal had no time left for; the run answers `incomplete`. */
export const OUT_OF_TIME_REASON = 'not rehearsed: the invocation ran out of time (its deadline less the safety margin); rehearse again with more time';

/** The reason given for a `no-transaction` migration. */
export const NO_TRANSACTION_REASON = 'no-transaction: it runs outside a transaction, so it cannot be rolled back';

/**
 * Counts of a report, for the summary line and logs.
 *
 * @example
 * tally(outcomes); // → { rehearsed: 2, failed: 1, notRehearsable: 1 }
 */
export function tally(outcomes: readonly RehearsalOutcome[]): { rehearsed: number; failed: number; notRehearsable: number } {
  const count = (status: RehearsalStatus): number => outcomes.filter((o) => o.status === status).length;
  return { rehearsed: count(RehearsalStatus.REHEARSED), failed: count(RehearsalStatus.FAILED), notRehearsable: count(RehearsalStatus.NOT_REHEARSABLE) };
}
