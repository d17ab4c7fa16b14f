/**
 * The ledger: four tables in their own schema. Every value is a bound
 * parameter; the only text spliced into SQL is the schema name from
 * configuration, always quoted with `escapeIdentifier`.
 */
import pg from 'pg';
import { LedgerUnsupportedError } from '../../core/errors';
import type { AppliedMigration, LedgerState } from '../../core/migration';
import type { LedgerSnapshot, RunFinish, RunStart } from '../../ports';

/**
 * The ledger format this code reads and writes; stored in `meta.ledger_version`.
 * 2: `schema_objects` (the drift baseline), `runs.details`, method `adopted`.
 */
export const LEDGER_VERSION = 2;

/** Quoted, schema-qualified names of the ledger tables. */
export interface LedgerTables {
  schema: string;
  quotedSchema: string;
  migrations: string;
  runs: string;
  meta: string;
  schemaObjects: string;
}

/**
 * The ledger's table names for `schema`, quoted so that any schema name is safe.
 *
 * @example
 * ledgerTables('stagegate').migrations; // → '"stagegate".migrations'
 */
export function ledgerTables(schema: string): LedgerTables {
  const quotedSchema = pg.escapeIdentifier(schema);
  return {
    schema,
    quotedSchema,
    migrations: `${quotedSchema}.migrations`,
    runs: `${quotedSchema}.runs`,
    meta: `${quotedSchema}.meta`,
    schemaObjects: `${quotedSchema}.schema_objects`,
  };
}

/**
 * The ledger DDL, idempotent. Run under the advisory lock, inside one transaction.
 *
 * @example
 * for (const statement of ledgerDdl(ledgerTables('stagegate'))) await client.query(statement);
 */
export function ledgerDdl(t: LedgerTables): string[] {
  return [
    `create schema if not exists ${t.quotedSchema}`,
    `create table if not exists ${t.meta} (
       key text primary key,
       value text not null)`,
    `create table if not exists ${t.runs} (
       id bigserial primary key,
       action text not null,
       bundle_id text not null,
       actor text not null,
       db_user text not null default current_user,
       started_at timestamptz not null default now(),
       finished_at timestamptz,
       outcome text not null check (outcome in ('running', 'succeeded', 'failed', 'incomplete', 'abandoned')),
       applied text[] not null default '{}',
       error jsonb,
       details jsonb)`,
    `create table if not exists ${t.migrations} (
       id text primary key,
       checksum text not null,
       state text not null check (state in ('applied', 'running', 'failed')),
       method text not null constraint migrations_method_check check (method in ('executed', 'recorded', 'adopted')),
       applied_at timestamptz not null default now(),
       duration_ms integer,
       bundle_id text not null,
       run_id bigint,
       applied_by text not null,
       db_user text not null default current_user,
       error jsonb)`,
    schemaObjectsDdl(t),
    schemaObjectsIndexDdl(t),
  ];
}

/** The drift baseline: the managed schemas' objects after the last run (see `baseline.ts`). */
function schemaObjectsDdl(t: LedgerTables): string {
  return `create table if not exists ${t.schemaObjects} (
       kind text not null,
       name text not null,
       definition text not null)`;
}

/**
 * Not unique: names are joined with dots, so a table named "a.b" could in
 * theory meet a column "b" of table "a"; a duplicate must never fail a run.
 */
function schemaObjectsIndexDdl(t: LedgerTables): string {
  return `create index if not exists schema_objects_kind_name on ${t.schemaObjects} (kind, name)`;
}

/**
 * From version 1 to 2, idempotent: the baseline table, `runs.details`, and
 * `adopted` among the methods. The complete mark goes, so that the next run
 * takes the full path once and stores the first baseline.
 */
function upgradeFromV1(t: LedgerTables): Statement[] {
  return [
    `alter table ${t.runs} add column if not exists details jsonb`,
    schemaObjectsDdl(t),
    schemaObjectsIndexDdl(t),
    `alter table ${t.migrations} drop constraint if exists migrations_method_check`,
    `alter table ${t.migrations} add constraint migrations_method_check check (method in ('executed', 'recorded', 'adopted'))`,
    { sql: `delete from ${t.meta} where key = $1`, params: [COMPLETE_KEY] },
  ];
}

/** A DDL statement, or one with bound values. */
type Statement = string | { sql: string; params: unknown[] };

async function tableExists(client: pg.Client, qualifiedName: string): Promise<boolean> {
  const result = await client.query<{ found: boolean }>('select to_regclass($1) is not null as found', [qualifiedName]);
  return result.rows[0]?.found === true;
}

/** SQLSTATEs of a ledger that is not there yet: no such table, no such schema. */
const MISSING = new Set(['42P01', '3F000']);

/**
 * The stored ledger version, or null when the ledger does not exist. One
 * query: the common case is a ledger that exists, and every locked run asks.
 * Outside a transaction, the error of a missing table costs nothing else.
 */
async function storedVersion(client: pg.Client, t: LedgerTables): Promise<string | null> {
  try {
    const result = await client.query<{ value: string }>(`select value from ${t.meta} where key = $1`, ['ledger_version']);
    return result.rows[0]?.value ?? null;
  } catch (error) {
    if (error instanceof pg.DatabaseError && MISSING.has(error.code ?? '')) return null;
    throw error;
  }
}

/** Runs `statements` and stores the current version, in one transaction. */
async function writeLedgerFormat(client: pg.Client, t: LedgerTables, statements: readonly Statement[]): Promise<void> {
  await client.query('begin');
  try {
    for (const statement of statements) {
      if (typeof statement === 'string') await client.query(statement);
      else await client.query(statement.sql, statement.params);
    }
    await client.query(`insert into ${t.meta} (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value`, [
      'ledger_version',
      String(LEDGER_VERSION),
    ]);
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

/**
 * Creates the ledger when it is missing, upgrades an older one, and checks
 * its version. Call only while holding the advisory lock: two runs must
 * never race on CREATE. Throws `LedgerUnsupportedError` when a newer
 * stagegate wrote it.
 */
export async function ensureLedger(client: pg.Client, t: LedgerTables): Promise<void> {
  const version = await storedVersion(client, t);
  if (version === null) return writeLedgerFormat(client, t, ledgerDdl(t));
  if (!/^[0-9]+$/.test(version) || Number(version) > LEDGER_VERSION) {
    throw new LedgerUnsupportedError(t.schema, version, LEDGER_VERSION);
  }
  // Each step takes the ledger one version further; there is one so far.
  if (Number(version) < 2) await writeLedgerFormat(client, t, upgradeFromV1(t));
}

interface LedgerRow {
  id: string;
  checksum: string;
  state: LedgerState;
  method: AppliedMigration['method'];
  applied_at: string;
  duration_ms: number | null;
  bundle_id: string;
  applied_by: string;
}

/**
 * Every ledger row in one query; a missing ledger is `{ exists: false }`, and
 * nothing is created. `known` skips the existence check, for a session that
 * has just made sure the ledger exists.
 */
export async function readLedgerRows(client: pg.Client, t: LedgerTables, known = false): Promise<LedgerSnapshot> {
  if (!known && !(await tableExists(client, t.migrations))) return { exists: false, rows: [] };
  // The server formats the ISO time: parsing 10,000 timestamps into Dates costs more than the query.
  const result = await client.query<LedgerRow>(
    `select id, checksum, state, method, duration_ms, bundle_id, applied_by,
            to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as applied_at
       from ${t.migrations}`,
  );
  const rows = result.rows.map(
    (row): AppliedMigration => ({
      id: row.id,
      checksum: row.checksum,
      state: row.state,
      appliedAt: row.applied_at,
      durationMs: row.duration_ms,
      bundleId: row.bundle_id,
      appliedBy: row.applied_by,
      method: row.method,
    }),
  );
  return { exists: true, rows };
}

/** The `meta` key of the complete mark: `<bundle sha256> <ledger digest>`. */
const COMPLETE_KEY = 'complete_bundle';

/**
 * The ledger's digest, computed by the server: sha256 of every row's id,
 * checksum and state, in bytewise id order. The plan of a bundle depends on
 * nothing else in the ledger, so an unchanged digest means an unchanged plan.
 * The drift baseline records it too, to tell whether a migration ran since.
 *
 * @example
 * await client.query(`select (${ledgerDigest(ledgerTables('stagegate'))}) as digest`);
 */
export function ledgerDigest(t: LedgerTables): string {
  return `select coalesce(encode(sha256(convert_to(string_agg(id || ' ' || checksum || ' ' || state, E'\n' order by id collate "C"), 'UTF8')), 'hex'), '') from ${t.migrations}`;
}

/**
 * Records that the ledger, as it is now, is complete for `bundleId`. One
 * statement, so the digest is of the ledger at that moment.
 */
export async function writeCompleteMark(client: pg.Client, t: LedgerTables, bundleId: string): Promise<void> {
  await client.query(
    `insert into ${t.meta} (key, value) select $2, $1 || ' ' || (${ledgerDigest(t)})
     on conflict (key) do update set value = excluded.value`,
    [bundleId, COMPLETE_KEY],
  );
}

/** True when the mark names `bundleId` and the ledger's digest is the one it recorded; the digest is computed only then. */
export async function matchesCompleteMark(client: pg.Client, t: LedgerTables, bundleId: string): Promise<boolean> {
  try {
    const result = await client.query<{ same: boolean }>(
      `select value = $1 || ' ' || (${ledgerDigest(t)}) as same from ${t.meta}
        where key = $2 and left(value, length($1) + 1) = $1 || ' '`,
      [bundleId, COMPLETE_KEY],
    );
    return result.rows[0]?.same === true;
  } catch (error) {
    // A server that cannot compute the digest (sha256() is PostgreSQL 11+) only loses the shortcut.
    if (error instanceof pg.DatabaseError) return false;
    throw error;
  }
}

/** A new ledger row. */
export interface MigrationRow {
  id: string;
  checksum: string;
  state: LedgerState;
  method: AppliedMigration['method'];
  durationMs: number | null;
  bundleId: string;
  runId: number;
  appliedBy: string;
}

/** Inserts one ledger row; `applied_at` is the server's `now()`. */
export async function insertMigrationRow(client: pg.Client, t: LedgerTables, row: MigrationRow): Promise<void> {
  await client.query(
    `insert into ${t.migrations} (id, checksum, state, method, duration_ms, bundle_id, run_id, applied_by)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [row.id, row.checksum, row.state, row.method, row.durationMs, row.bundleId, row.runId, row.appliedBy],
  );
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

/** Settles a running/failed row; returns false when there was no such row. */
export async function settleDirtyRow(
  client: pg.Client,
  t: LedgerTables,
  id: string,
  outcome: 'applied' | 'rolled-back',
  runId: number,
): Promise<boolean> {
  const result =
    outcome === 'applied'
      ? await client.query(
          `update ${t.migrations} set state = 'applied', applied_at = now(), run_id = $2
            where id = $1 and state in ('running', 'failed')`,
          [id, runId],
        )
      : await client.query(`delete from ${t.migrations} where id = $1 and state in ('running', 'failed')`, [id]);
  return (result.rowCount ?? 0) > 0;
}

/** The state of one ledger row, or null when there is none. */
export async function rowState(client: pg.Client, t: LedgerTables, id: string): Promise<string | null> {
  const result = await client.query<{ state: string }>(`select state from ${t.migrations} where id = $1`, [id]);
  return result.rows[0]?.state ?? null;
}

/** Marks runs still `running` as `abandoned`. Only under the lock: then no live run exists. */
export async function abandonRuns(client: pg.Client, t: LedgerTables): Promise<void> {
  await client.query(`update ${t.runs} set outcome = 'abandoned', finished_at = now() where outcome = 'running'`);
}

/** Inserts a `running` row into the runs table and returns its id. */
export async function insertRun(client: pg.Client, t: LedgerTables, run: RunStart): Promise<number> {
  const result = await client.query<{ id: string }>(
    `insert into ${t.runs} (action, bundle_id, actor, outcome) values ($1, $2, $3, 'running') returning id`,
    [run.action, run.bundleId, run.actor],
  );
  return Number(result.rows[0]?.id);
}

/** Records how a run ended: outcome, applied ids and the error's JSON form. */
export async function updateRun(client: pg.Client, t: LedgerTables, runId: number, finish: RunFinish): Promise<void> {
  await client.query(
    `update ${t.runs} set finished_at = now(), outcome = $2, applied = $3, error = $4::jsonb, details = $5::jsonb where id = $1`,
    [runId, finish.outcome, finish.applied, jsonOrNull(finish.error), jsonOrNull(finish.details)],
  );
}

function jsonOrNull(value: Record<string, unknown> | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
