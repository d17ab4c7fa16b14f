import type { Analysis } from './plan';
import { LedgerState, type AppliedMigration, type Migration } from './migration';
import { MigrationState, type StatusEntry } from './result';

/**
 * One entry per migration of the bundle, in id order, then one per applied
 * migration the bundle does not know.
 *
 * @example
 * statusEntries(bundle.migrations, ledger.rows, analyse(bundle.migrations, ledger.rows));
 */
export function statusEntries(migrations: readonly Migration[], ledger: readonly AppliedMigration[], analysis: Analysis): StatusEntry[] {
  const rows = new Map(ledger.map((r) => [r.id, r]));
  const mismatched = new Set(analysis.mismatches.map((m) => m.id));
  const replaced = new Set(analysis.replaced);
  const entries: StatusEntry[] = migrations.map((m) => {
    const row = rows.get(m.id);
    const appliedAt = row?.appliedAt ?? null;
    if (row && row.state !== LedgerState.APPLIED) return { id: m.id, state: MigrationState.DIRTY, appliedAt };
    if (mismatched.has(m.id)) return { id: m.id, state: MigrationState.CHECKSUM_MISMATCH, appliedAt };
    if (row) return { id: m.id, state: MigrationState.APPLIED, appliedAt };
    if (replaced.has(m.id)) return { id: m.id, state: MigrationState.REPLACED, appliedAt: null };
    return { id: m.id, state: MigrationState.PENDING, appliedAt: null };
  });
  for (const id of analysis.ahead) entries.push({ id, state: MigrationState.UNKNOWN, appliedAt: rows.get(id)?.appliedAt ?? null });
  return entries;
}
