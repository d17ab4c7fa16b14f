/**
 * The rows of the ledger's `migrations` table: written as migrations are
 * applied, recorded, reverted and resolved. Values are bound parameters; the
 * table name comes from `ledgerTables` (quoted).
 */
import type pg from 'pg';
import type { AppliedMigration, LedgerState } from '../../core/migration';
import type { LedgerTables } from './ledger';
import { lockKey } from './lock';
import { SERVER_MEASURED } from './script';
import { LOCKED_RELATIONS_SQL } from './schema-units';

/** A new ledger row. */
export interface MigrationRow {
  id: string;
  checksum: string;
  state: LedgerState;
  method: AppliedMigration['method'];
  /** `SERVER_MEASURED`: the time since the row's transaction began, as the server measures it on insert. */
  durationMs: number | null | typeof SERVER_MEASURED;
  bundleId: string;
  runId: number;
  appliedBy: string;
}

/**
 * Milliseconds since the transaction began (`now()` is its start), on the server's clock. Qualified: a
 * migration may have changed the session's search_path.
 */
const SINCE_TRANSACTION_START = 'pg_catalog.round(extract(epoch from pg_catalog.clock_timestamp() - pg_catalog.now()) * 1000)::integer';

/**
 * The session setting that holds the id of the last migration whose
 * transaction committed on this session (a session setting set in a
 * transaction is undone when it rolls back). A transaction pipelined behind
 * another checks it first (see `pipelined-transaction.ts`).
 */
export const COMMITTED_SETTING = 'stagegate.committed';
const COMMITTED_RETURNING = `, pg_catalog.set_config('${COMMITTED_SETTING}', $1, false) as committed`;

/**
 * The query inserting one ledger row; `applied_at` is the server's `now()`.
 * It returns the recorded `duration_ms`. The server-measured form, which
 * pipelined transactions send, also sets {@link COMMITTED_SETTING} to the row's id.
 *
 * @example
 * await client.query(insertMigrationRowQuery(ledgerTables('stagegate'), row));
 * // withLocks: it also returns `touched`, the relations the transaction holds locks on.
 */
export function insertMigrationRowQuery(t: LedgerTables, row: MigrationRow, withLocks = false): pg.QueryConfig {
  const measured = row.durationMs === SERVER_MEASURED;
  const values = [row.id, row.checksum, row.state, row.method, row.bundleId, row.runId, row.appliedBy];
  // `touched` costs a read of the server's lock table (about 0.3 ms): only asked for when it is used.
  const text = `insert into ${t.migrations} (id, checksum, state, method, bundle_id, run_id, applied_by, duration_ms)
           values ($1, $2, $3, $4, $5, $6, $7, ${measured ? SINCE_TRANSACTION_START : '$8'})
           returning duration_ms${withLocks ? `, (${LOCKED_RELATIONS_SQL}) as touched` : ''}${measured ? COMMITTED_RETURNING : ''}`;
  if (!measured) return { text, values: [...values, row.durationMs] };
  // The row of every applied migration: prepared once per session, it is neither parsed nor planned again.
  return { name: preparedName(withLocks ? 'stagegate_applied_row_locks' : 'stagegate_applied_row', t), text, values };
}

/**
 * A prepared statement's name, one per ledger schema: a session that met two
 * schemas must not reuse one name for two texts, and the server keeps only
 * 63 bytes of a name, so the schema is hashed (as its lock key is).
 */
function preparedName(prefix: string, t: LedgerTables): string {
  return `${prefix}_${(lockKey(t.schema).objectId >>> 0).toString(16)}`;
}

/** Inserts one ledger row (see {@link insertMigrationRowQuery}). */
export async function insertMigrationRow(client: pg.Client, t: LedgerTables, row: MigrationRow): Promise<void> {
  await client.query(insertMigrationRowQuery(t, row));
}

/**
 * The query deleting the ledger rows `ids` (a reverted migration's).
 *
 * @example
 * await client.query(deleteMigrationRowsQuery(ledgerTables('stagegate'), ['app/0002_x']));
 */
export function deleteMigrationRowsQuery(t: LedgerTables, ids: readonly string[]): pg.QueryConfig {
  return { text: `delete from ${t.migrations} where id = any($1::text[])`, values: [ids] };
}

/** Deletes the ledger rows `ids` (a reverted migration's). */
export async function deleteMigrationRows(client: pg.Client, t: LedgerTables, ids: readonly string[]): Promise<void> {
  await client.query(deleteMigrationRowsQuery(t, ids));
}

/** Moves a row to `state`; `error` is the failure's JSON form (or null). */
export async function updateMigrationState(
  client: pg.Client,
  t: LedgerTables,
  id: string,
  change: { state: LedgerState; durationMs: number | null; error: Record<string, unknown> | null },
): Promise<void> {
  await client.query(
    `update ${t.migrations} set state = $2, duration_ms = $3, error = $4::jsonb, applied_at = now() where id = $1`,
    [id, change.state, change.durationMs, change.error === null ? null : JSON.stringify(change.error)],
  );
}

/**
 * Settles a running/failed row and takes its failure off it: `applied` keeps
 * the row without its `error`, `rolled-back` deletes it. Returns the error the
 * row held (null for an interrupted `running` row), or undefined when there
 * was no such row.
 */
export async function settleDirtyRow(
  client: pg.Client,
  t: LedgerTables,
  id: string,
  outcome: 'applied' | 'rolled-back',
  runId: number,
): Promise<Record<string, unknown> | null | undefined> {
  const result =
    outcome === 'applied'
      ? await client.query<{ error: Record<string, unknown> | null }>(
          `with settled as (select id, error from ${t.migrations} where id = $1 and state in ('running', 'failed') for update)
           update ${t.migrations} m set state = 'applied', applied_at = now(), run_id = $2, error = null
             from settled where m.id = settled.id returning settled.error`,
          [id, runId],
        )
      : await client.query<{ error: Record<string, unknown> | null }>(`delete from ${t.migrations} where id = $1 and state in ('running', 'failed') returning error`, [id]);
  return result.rows[0] === undefined ? undefined : result.rows[0].error;
}

/** The state of one ledger row, or null when there is none. */
export async function rowState(client: pg.Client, t: LedgerTables, id: string): Promise<string | null> {
  const result = await client.query<{ state: string }>(`select state from ${t.migrations} where id = $1`, [id]);
  return result.rows[0]?.state ?? null;
}
