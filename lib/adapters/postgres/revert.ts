/**
 * Executing one reverse step: the migration's reverse script and the
 * deletion of its ledger rows, with the same protocol as applying it.
 */
import type pg from 'pg';
import { reverseScriptOf } from '../../core/migration';
import type { RevertRequest } from '../../ports';
import { inTransaction, outsideTransaction } from './apply';
import { databaseError } from './errors';
import type { LedgerTables } from './ledger';
import { deleteMigrationRows, deleteMigrationRowsQuery, updateMigrationState } from './ledger-rows';
import type { Script, Timeouts } from './script';

const deleting = (request: RevertRequest): string => `deleting the ledger rows of ${request.migration.id}`;

async function deleteRows(client: pg.Client, t: LedgerTables, request: RevertRequest): Promise<void> {
  await deleteMigrationRows(client, t, request.rows).catch((error: unknown) => {
    throw databaseError(error, deleting(request));
  });
}

async function markRows(client: pg.Client, t: LedgerTables, ids: string[], state: 'running' | 'failed', error: Record<string, unknown> | null): Promise<void> {
  for (const id of ids) await updateMigrationState(client, t, id, { state, durationMs: null, error });
}

/**
 * Runs a reverse script and deletes the migration's ledger rows: together in
 * one transaction, or, for `no-transaction` migrations, rows marked `running`
 * first, the statements one by one in autocommit, then the rows deleted (or
 * marked `failed`). A failing statement throws `MigrationFailedError` naming
 * the `.down.sql` file, with `reverting: true`; the migration stays applied.
 *
 * @example
 * const { durationMs } = await revertMigration(client, ledgerTables('stagegate'), request);
 */
export async function revertMigration(client: pg.Client, t: LedgerTables, request: RevertRequest, session?: Timeouts): Promise<{ durationMs: number }> {
  // The statements are the reverse script's: an error's position is placed in its text, not in the migration's.
  const script: Script = { ...request, migration: reverseScriptOf(request.migration), reverting: true };
  if (!request.migration.directives.noTransaction) {
    const change = { query: () => deleteMigrationRowsQuery(t, request.rows), doing: deleting(request) };
    return { durationMs: await inTransaction(client, script, session, change) };
  }
  const durationMs = await outsideTransaction(client, script, session, {
    before: () =>
      markRows(client, t, request.rows, 'running', { reverting: true }).catch((error: unknown) => {
        throw databaseError(error, `marking ${request.migration.id} as being reverted`);
      }),
    failed: (error) => markRows(client, t, request.rows, 'failed', { ...error, reverting: true }),
    after: () => deleteRows(client, t, request),
  });
  return { durationMs };
}
