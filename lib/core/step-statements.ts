/**
 * A run's scripts checked before its first step: a plan that holds one that
 * cannot run is refused as a whole, so no migration before it commits.
 */
import { unrunnableLookup } from './bundle-facts';
import { normaliseSql } from './checksum';
import type { Migration } from './migration';
import type { PlanStep } from './plan';
import { splitStatements, type SqlStatement } from './sql-split';
import { mayBeUnrunnable } from './transaction-control';
import { unrunnableError } from './unrunnable';

/**
 * The statements a step sends: the migration's for an apply, its reverse
 * script's for a revert, none for a record.
 *
 * @example
 * const statements = statementsOf(step); // what `runSteps` sends for it
 */
export function statementsOf(step: PlanStep): SqlStatement[] {
  if (step.kind === 'record') return [];
  return splitStatements(normaliseSql((step.kind === 'revert' ? step.migration.downSql : step.migration.sql) ?? ''));
}

/**
 * Throws the `MigrationFailedError` (`refused: true`, see `unrunnableError`)
 * of the first step whose script cannot run, before anything ran; returns
 * how many scripts it split to find out. A script whose text has none of the
 * words such a statement starts with (a backslash, COPY, DEALLOCATE,
 * DISCARD, ROLLBACK, ABORT) cannot hold one and is not split here. The
 * statements of those it splits are not kept: held for a 10,000-step plan
 * whose comments all say "rollback", they would cost the memory the migrate
 * function does not have; such a script is split again when its step is sent.
 * With the bundle's `migrations`, as decoded, what the decoder's text says
 * of an apply step's migration is asked first (`unrunnableLookup`: one
 * search of the whole text instead of one per script); any other script is
 * searched on its own.
 *
 * @example
 * refuseUnrunnable(steps, bundle.migrations); // throws MigrationFailedError naming the file and line, or returns 0
 */
export function refuseUnrunnable(steps: readonly PlanStep[], migrations: readonly Migration[] = []): number {
  const known = unrunnableLookup(migrations, steps.length);
  let split = 0;
  for (const step of steps) {
    const reverting = step.kind === 'revert';
    const text = step.kind === 'record' ? null : reverting ? step.migration.downSql : step.migration.sql;
    if (!text) continue;
    const decoded = reverting || known === null ? undefined : known(step.migration);
    if (!(decoded ?? mayBeUnrunnable(text))) continue;
    split += 1;
    const refused = unrunnableError(step.migration, statementsOf(step), reverting);
    if (refused) throw refused;
  }
  return split;
}
