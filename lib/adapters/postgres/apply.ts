/**
 * Executing one migration: its statements and its ledger row. The engine has
 * already decided that it runs; this module only runs it and reports failure.
 */
import type pg from 'pg';
import { MigrationRunnerError } from '../../core/errors';
import type { LedgerState } from '../../core/migration';
import type { ApplyRequest, RecordRequest } from '../../ports';
import { databaseError, migrationFailedError } from './errors';
import { insertMigrationRow, updateMigrationState, type LedgerTables, type MigrationRow } from './ledger';

/** A `lock_timeout` / `statement_timeout` value: whole milliseconds, `'0'` for none. */
function timeoutSetting(ms: number): string {
  return ms > 0 ? `${Math.ceil(ms)}ms` : '0';
}

/** Timeouts in ms (0 = none), as an `ApplyRequest` and `LockOptions.timeouts` carry them. */
export interface Timeouts {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

/** `local` settings end with the transaction; session settings last until reset. */
export async function setTimeouts(client: pg.Client, timeouts: Timeouts, local: boolean): Promise<void> {
  await client.query("select set_config('lock_timeout', $1, $3), set_config('statement_timeout', $2, $3)", [
    timeoutSetting(timeouts.lockTimeoutMs),
    timeoutSetting(timeouts.statementTimeoutMs),
    local,
  ]);
}

/** Back to the session's own timeouts when it has some, else to the server's. */
async function resetTimeouts(client: pg.Client, session: Timeouts | undefined): Promise<void> {
  // On a broken connection there is nothing left to reset.
  const reset = session ? setTimeouts(client, session, false) : client.query('reset lock_timeout; reset statement_timeout');
  await reset.catch(() => undefined);
}

/** True when the request asks for the timeouts the session already has: then nothing needs setting. */
function inForce(session: Timeouts | undefined, request: ApplyRequest): boolean {
  return (
    session !== undefined &&
    timeoutSetting(session.lockTimeoutMs) === timeoutSetting(request.lockTimeoutMs) &&
    timeoutSetting(session.statementTimeoutMs) === timeoutSetting(request.statementTimeoutMs)
  );
}

/** Runs each statement on its own, without parameters (the simple protocol, as psql does). */
async function runStatements(client: pg.Client, request: ApplyRequest): Promise<void> {
  for (const statement of request.statements) {
    try {
      await client.query(statement.sql);
    } catch (error) {
      throw migrationFailedError(error, request.migration, statement);
    }
  }
}

function rowOf(
  request: ApplyRequest | RecordRequest,
  state: LedgerState,
  method: MigrationRow['method'],
  durationMs: number | null,
): MigrationRow {
  return {
    id: request.migration.id,
    checksum: request.migration.checksum,
    state,
    method,
    durationMs,
    bundleId: request.bundleId,
    runId: request.runId,
    appliedBy: request.appliedBy,
  };
}

async function writeRow(client: pg.Client, t: LedgerTables, row: MigrationRow): Promise<void> {
  await insertMigrationRow(client, t, row).catch((error: unknown) => {
    throw databaseError(error, `writing the ledger row of ${row.id}`);
  });
}

function elapsedSince(started: number): number {
  return Math.round(performance.now() - started);
}

async function applyInTransaction(client: pg.Client, t: LedgerTables, request: ApplyRequest, session: Timeouts | undefined): Promise<number> {
  const started = performance.now();
  await client.query('begin');
  try {
    // Saves a round trip per migration, which psql does not pay either.
    if (!inForce(session, request)) await setTimeouts(client, request, true);
    await runStatements(client, request);
    const durationMs = elapsedSince(started);
    await writeRow(client, t, rowOf(request, 'applied', 'executed', durationMs));
    // Deferred constraints are checked here, so a failing COMMIT is the migration's failure.
    await client.query('commit').catch((error: unknown) => {
      throw migrationFailedError(error, request.migration, null);
    });
    return durationMs;
  } catch (error) {
    // After a lost connection the server has already rolled back.
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

async function markFailed(client: pg.Client, t: LedgerTables, id: string, error: unknown): Promise<void> {
  const json = error instanceof MigrationRunnerError ? error.toJSON() : { message: String(error) };
  // If the connection is gone the row stays `running`, which the next run reports as dirty.
  await updateMigrationState(client, t, id, { state: 'failed', durationMs: null, error: json }).catch(() => undefined);
}

async function applyOutsideTransaction(client: pg.Client, t: LedgerTables, request: ApplyRequest, session: Timeouts | undefined): Promise<number> {
  const { id } = request.migration;
  // Committed before any statement runs, so a crash part-way leaves a visible `running` row.
  await writeRow(client, t, rowOf(request, 'running', 'executed', null));
  const started = performance.now();
  try {
    await setTimeouts(client, request, false);
    await runStatements(client, request);
  } catch (error) {
    await resetTimeouts(client, session);
    await markFailed(client, t, id, error);
    throw error;
  }
  const durationMs = elapsedSince(started);
  await resetTimeouts(client, session);
  await updateMigrationState(client, t, id, { state: 'applied', durationMs, error: null }).catch((error: unknown) => {
    throw databaseError(error, `marking ${id} applied`);
  });
  return durationMs;
}

/**
 * Executes one migration and writes its ledger row: together in one
 * transaction, or, for `no-transaction` migrations, as a `running` row, the
 * statements one by one in autocommit, then `applied` (or `failed`).
 * A failing statement throws `MigrationFailedError` naming file, line and SQLSTATE.
 * `session`: the timeouts the session already has (set with `setTimeouts`),
 * which a request asking for the same need not set again.
 *
 * @example
 * const { durationMs } = await applyMigration(client, ledgerTables('stagegate'), request);
 */
export async function applyMigration(
  client: pg.Client,
  t: LedgerTables,
  request: ApplyRequest,
  session?: Timeouts,
): Promise<{ durationMs: number }> {
  const durationMs = request.migration.directives.noTransaction
    ? await applyOutsideTransaction(client, t, request, session)
    : await applyInTransaction(client, t, request, session);
  return { durationMs };
}

/**
 * Writes an `applied` row with method `recorded` (or `adopted`) and duration 0, running no SQL.
 *
 * @example
 * await recordMigration(client, ledgerTables('stagegate'), { migration, bundleId, runId, appliedBy });
 */
export async function recordMigration(client: pg.Client, t: LedgerTables, request: RecordRequest, method: 'recorded' | 'adopted' = 'recorded'): Promise<void> {
  await writeRow(client, t, rowOf(request, 'applied', method, 0));
}
