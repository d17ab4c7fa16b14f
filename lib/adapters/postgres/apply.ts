/**
 * Executing one migration: its statements and its ledger row. The engine has
 * already decided that it runs (and refused a script that cannot, see
 * `core/unrunnable.ts`); this module only runs it and reports failure.
 */
import type pg from 'pg';
import { MigrationFailedError, MigrationRunnerError } from '../../core/errors';
import type { LedgerState } from '../../core/migration';
import type { ApplyRequest, RecordRequest } from '../../ports';
import { databaseError, migrationFailedError } from './errors';
import { isNotRun } from './apply-chain';
import { cancelRequested, holdingCancels, notSentAtDeadline } from './cancel-request';
import { withFacts } from './failure-facts';
import type { LedgerTables } from './ledger';
import { deleteMigrationRows, insertMigrationRow, insertMigrationRowQuery, updateMigrationState, type MigrationRow } from './ledger-rows';
import { pipelinable, pipelinedTransaction } from './pipelined-transaction';
import { sessionRestoreQueries } from './session-restore';
import type { SqlStatement } from '../../core/sql-split';
import { statementHead } from '../../core/transaction-control';
import { setTimeouts, timeoutsInForce, type LedgerChange, type Script, type Timeouts } from './script';

/** Back to the session's own timeouts when it has some, else to the server's. */
async function resetTimeouts(client: pg.Client, session: Timeouts | undefined): Promise<void> {
  // On a broken connection there is nothing left to reset.
  const reset = session ? setTimeouts(client, session, false) : client.query('reset lock_timeout; reset statement_timeout');
  await reset.catch(() => undefined);
}

/**
 * Runs each statement on its own, without parameters (the simple protocol, as
 * psql does). In a transaction (`transactional`), a statement of the migration
 * may end it (its own COMMIT): a later failure then says that what ran before
 * stays committed (`ownCommitLine`), as the migration's rollback cannot undo it.
 */
async function runStatements(client: pg.Client, script: Script, transactional = false, sent = { count: 0 }): Promise<void> {
  let ownCommitLine: number | null = null;
  for (const statement of script.statements) {
    try {
      // Past the deadline a cancel can arrive between two statements, where the server ignores it: send no more.
      if (cancelRequested(client)) throw notSentAtDeadline();
      sent.count += 1;
      await client.query(statement.sql);
    } catch (error) {
      const failed = migrationFailedError(error, script.migration, statement, script.reverting);
      throw ownCommitLine === null ? failed : failed.with({ ownCommitLine });
    }
    // 'I': idle, outside any transaction block.
    if (transactional && ownCommitLine === null && client.getTransactionStatus() === 'I') ownCommitLine = statement.line;
  }
}

/** Fails a script run outside a transaction that left one open: its own BEGIN without a COMMIT. */
function assertNoOpenTransaction(client: pg.Client, script: Script): void {
  if (client.getTransactionStatus() === 'I') return;
  const begin = [...script.statements].reverse().find((statement) => OPENS_TRANSACTION.test(statementHead(statement.sql)));
  const at = begin ?? (script.statements[script.statements.length - 1] as SqlStatement);
  const reason = new Error('the script left a transaction of its own open (a BEGIN without a COMMIT): what it ran after the BEGIN is rolled back; end it with COMMIT, or drop the BEGIN');
  throw migrationFailedError(reason, script.migration, at, script.reverting);
}

const OPENS_TRANSACTION = /^(?:begin|start\s+transaction)\b/i;

/** Undoes the session settings the script changed (see `session-restore.ts`). */
async function restoreSession(client: pg.Client, script: Script, session: Timeouts | undefined, local?: Timeouts): Promise<void> {
  for (const query of sessionRestoreQueries(script, session, local)) {
    await client.query(query).catch((error: unknown) => {
      throw databaseError(error, `restoring the session settings ${script.migration.id} changed`);
    });
  }
}

function rowOf(
  request: ApplyRequest | RecordRequest,
  state: LedgerState,
  method: MigrationRow['method'],
  durationMs: MigrationRow['durationMs'],
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

/** One message per statement, each answered before the next is sent: for scripts that control the transaction themselves. */
async function sequentialTransaction(client: pg.Client, script: Script, session: Timeouts | undefined, change: LedgerChange): Promise<number> {
  const started = performance.now();
  await client.query('begin');
  // Saves a round trip per migration, which psql does not pay either.
  if (!timeoutsInForce(session, script)) await setTimeouts(client, script, true);
  await runStatements(client, script, true);
  const durationMs = elapsedSince(started);
  await restoreSession(client, script, session, script);
  const written = await client.query(change.query(durationMs)).catch((error: unknown) => {
    throw databaseError(error, change.doing);
  });
  // Deferred constraints are checked here, so a failing COMMIT is the migration's failure.
  await client.query('commit').catch((error: unknown) => {
    throw migrationFailedError(error, script.migration, null, script.reverting);
  });
  change.written?.(written);
  return durationMs;
}

/**
 * Runs a script and its ledger change in one transaction and returns the
 * statements' duration. On a pipelined client the whole transaction is sent
 * at once (see `pipelined-transaction.ts`); a script that controls the
 * transaction itself runs statement by statement.
 *
 * @example
 * await inTransaction(client, script, undefined, { query: () => deleteMigrationRowsQuery(t, ['app/0002_x']), doing: 'deleting' });
 */
export async function inTransaction(client: pg.Client, script: Script, session: Timeouts | undefined, change: LedgerChange): Promise<number> {
  try {
    return pipelinable(client, script)
      ? await pipelinedTransaction(client, script, !timeoutsInForce(session, script), change, session)
      : await sequentialTransaction(client, script, session, change);
  } catch (error) {
    // Not run behind a failed migration: the one that failed rolls back and reads the facts, nothing may come between.
    if (isNotRun(error)) throw error;
    // After a lost connection the server has already rolled back; after a pipelined failure, its COMMIT did.
    await client.query('rollback').catch(() => undefined);
    // The facts are of the database as the migration found it: its own work is rolled back.
    throw error instanceof MigrationFailedError ? await withFacts(client, error, false) : error;
  }
}

/** The ledger changes around a script that runs outside a transaction. */
export interface DirtyProtocol {
  /** Committed before any statement runs, so a crash part-way leaves a visible `running` row. */
  before(): Promise<void>;
  /** After a failing statement: mark the rows `failed` with the error (best effort). */
  failed(error: Record<string, unknown>): Promise<void>;
  /** After a failure before any statement was sent: undo what `before` wrote, as nothing ran (when it fails, `failed` follows). */
  notStarted?(): Promise<void>;
  /** After the last statement. */
  after(durationMs: number): Promise<void>;
}

/**
 * Runs a script statement by statement in autocommit, with the ledger
 * changes of `protocol` around it. Returns the statements' duration.
 *
 * @example
 * await outsideTransaction(client, script, undefined, { before, failed, after });
 */
export async function outsideTransaction(client: pg.Client, script: Script, session: Timeouts | undefined, protocol: DirtyProtocol): Promise<number> {
  // A cancel sent at the deadline (see `cancel-request.ts`) must not land on the ledger's writes: they hold cancels.
  await holdingCancels(client, () => protocol.before());
  const started = performance.now();
  // Every statement passed to the session counts: with none, nothing of the script can have run.
  const sent = { count: 0 };
  try {
    // Held too: a cancel cutting it would fail the script before its first statement for nothing.
    await holdingCancels(client, () => setTimeouts(client, script, false));
    await runStatements(client, script, false, sent);
    assertNoOpenTransaction(client, script);
  } catch (caught) {
    const error = await holdingCancels(client, async () => {
      // A transaction the migration opened itself (aborted by the failure, or never committed) would take the ledger's writes with it.
      if (client.getTransactionStatus() !== 'I') await client.query('rollback').catch(() => undefined);
      // In autocommit, what ran before the failure stays, its settings too.
      await restoreSession(client, script, session).catch(() => undefined);
      await resetTimeouts(client, session);
      // None sent (the deadline passed while its row was written): it did not start, and leaves nothing to settle.
      if (sent.count === 0 && protocol.notStarted && (await protocol.notStarted().then(() => true, () => false))) {
        return caught instanceof MigrationFailedError ? caught.with({ notSent: true }) : caught;
      }
      const failure = caught instanceof MigrationFailedError ? await withFacts(client, caught, false) : caught;
      // If the connection is gone the rows stay `running`, which the next run reports as dirty.
      await protocol.failed(failure instanceof MigrationRunnerError ? failure.toJSON() : { message: String(failure) }).catch(() => undefined);
      return failure;
    });
    throw error;
  }
  const durationMs = elapsedSince(started);
  await holdingCancels(client, async () => {
    await restoreSession(client, script, session);
    await resetTimeouts(client, session);
    await protocol.after(durationMs);
  });
  return durationMs;
}

function applyOutsideTransaction(client: pg.Client, t: LedgerTables, request: ApplyRequest, session: Timeouts | undefined): Promise<number> {
  const { id } = request.migration;
  return outsideTransaction(client, request, session, {
    before: () => writeRow(client, t, rowOf(request, 'running', 'executed', null)),
    failed: (error) => updateMigrationState(client, t, id, { state: 'failed', durationMs: null, error }),
    notStarted: () => deleteMigrationRows(client, t, [id]),
    after: (durationMs) =>
      updateMigrationState(client, t, id, { state: 'applied', durationMs, error: null }).catch((error: unknown) => {
        throw databaseError(error, `marking ${id} applied`);
      }),
  });
}

/**
 * Executes one migration and writes its ledger row: together in one
 * transaction, or, for `no-transaction` migrations, as a `running` row, the
 * statements one by one in autocommit, then `applied` (or `failed`; or
 * removed, when a cancel asked for first kept every statement unsent).
 * A failing statement throws `MigrationFailedError` naming file, line and SQLSTATE.
 * `session`: the timeouts the session already has (set with `setTimeouts`),
 * which a request asking for the same need not set again.
 * `touched` (with `withLocks`): the relations the migration's transaction
 * locked, so that the drift baseline is stamped again only for them (see
 * `storeBaseline`); null without `withLocks` and for a `no-transaction`
 * migration, which runs in several transactions.
 * `request.after`: see `Script.after`. A pipelined transaction is written
 * before this returns its promise, so a later one may be written behind it.
 *
 * @example
 * const { durationMs, touched } = await applyMigration(client, ledgerTables('stagegate'), request, undefined, true);
 */
export async function applyMigration(
  client: pg.Client,
  t: LedgerTables,
  request: ApplyRequest & Pick<Script, 'after'>,
  session?: Timeouts,
  withLocks = false,
): Promise<{ durationMs: number; touched: string[] | null }> {
  if (request.migration.directives.noTransaction) return { durationMs: await applyOutsideTransaction(client, t, request, session), touched: null };
  let touched: string[] | null = null;
  const durationMs = await inTransaction(client, request, session, {
    query: (durationMs) => insertMigrationRowQuery(t, rowOf(request, 'applied', 'executed', durationMs), withLocks),
    doing: `writing the ledger row of ${request.migration.id}`,
    written: (result) => {
      touched = (result.rows[0] as { touched?: string[] } | undefined)?.touched ?? null;
    },
  });
  return { durationMs, touched };
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
