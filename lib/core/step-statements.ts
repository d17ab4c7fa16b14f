/**
 * A run's scripts checked before its first step: a plan that holds one that
 * cannot run is refused as a whole. Each script is split once: here when
 * its text needs a closer look, else when its step is sent.
 */
import { normaliseSql } from './checksum';
import type { PlanStep } from './plan';
import { splitStatements, type SqlStatement } from './sql-split';
import { mayBeUnrunnable } from './transaction-control';
import { unrunnableError } from './unrunnable';

/** Statements split while checking, by step index (few: see {@link refuseUnrunnable}); the step sends these. */
export type SplitAhead = ReadonlyMap<number, SqlStatement[]>;

/**
 * The statements a step sends: the migration's for an apply, its reverse
 * script's for a revert, none for a record.
 *
 * @example
 * const statements = splitAhead.get(index) ?? statementsOf(step);
 */
export function statementsOf(step: PlanStep): SqlStatement[] {
  if (step.kind === 'record') return [];
  return splitStatements(normaliseSql((step.kind === 'revert' ? step.migration.downSql : step.migration.sql) ?? ''));
}

/**
 * Throws the `MigrationFailedError` (`refused: true`, see `unrunnableError`)
 * of the first step whose script cannot run, before anything ran; returns
 * the scripts it split to find out. A script whose text has none of the
 * words such a statement starts with (a backslash, COPY, DEALLOCATE,
 * DISCARD, ROLLBACK, ABORT) cannot hold one: it is neither split nor kept
 * here, so a 10,000-step plan holds no 10,000 statement arrays at once.
 *
 * @example
 * const splitAhead = refuseUnrunnable(steps); // then each step sends splitAhead.get(k) ?? statementsOf(steps[k])
 */
export function refuseUnrunnable(steps: readonly PlanStep[]): SplitAhead {
  const split = new Map<number, SqlStatement[]>();
  for (let k = 0; k < steps.length; k += 1) {
    const step = steps[k] as PlanStep;
    const reverting = step.kind === 'revert';
    const text = step.kind === 'record' ? null : reverting ? step.migration.downSql : step.migration.sql;
    if (!text || !mayBeUnrunnable(text)) continue;
    const statements = statementsOf(step);
    const refused = unrunnableError(step.migration, statements, reverting);
    if (refused) throw refused;
    split.set(k, statements);
  }
  return split;
}
