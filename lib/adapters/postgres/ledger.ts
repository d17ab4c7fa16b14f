/**
 * The ledger: four tables in their own schema. Every value is a bound
 * parameter; the only text spliced into SQL is the schema name from
 * configuration, always quoted with `escapeIdentifier`.
 */
import pg from 'pg';
import { LedgerUnsupportedError } from '../../core/errors';
import type { AppliedMigration, LedgerState } from '../../core/migration';
import type { LedgerSnapshot, RunFinish, RunStart } from '../../ports';
import { lockKey } from './lock';
import { resultOf, sendAll, type Answer } from './pipeline';
import { SERVER_MEASURED } from './script';
import { LOCKED_RELATIONS_SQL } from './schema-units';
import { withTransaction } from './transaction';

/** The ledger format this code reads and writes; stored in `meta.ledger_version`. */
export const LEDGER_VERSION = 1;

/**
 * Additive changes within {@link LEDGER_VERSION}, stored in
 * `meta.ledger_revision`: a stagegate that knows only the version reads and
 * writes such a ledger unchanged, so the version stays. 1: `runs.reverted`;
 * 2: `runs.stage_override` (a run that proceeded under a stage-order override);
 * 3: `schema_objects` (the drift baseline), `runs.details`, method `adopted`;
 * 4: `schema_objects.unit` and `schema_units` (the baseline's catalog stamps).
 * An older stagegate that applies or reverts on a revision-3 ledger leaves the
 * baseline behind; the baseline records the ledger's digest, so it is then
 * stale and not compared (see `baseline.ts`).
 */
export const LEDGER_REVISION = 4;

/** The first revision with the drift baseline: upgrading from below it drops the complete mark. */
const BASELINE_REVISION = 3;

/** The `meta` key of the complete mark: `<bundle sha256> <ledger digest>`. */
const COMPLETE_KEY = 'complete_bundle';

/** Quoted, schema-qualified names of the ledger tables. */
export interface LedgerTables {
  schema: string;
  quotedSchema: string;
  migrations: string;
  runs: string;
  meta: string;
  schemaObjects: string;
  schemaUnits: string;
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
    schemaUnits: `${quotedSchema}.schema_units`,
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
       error jsonb)`,
    `create table if not exists ${t.migrations} (
       id text primary key,
       checksum text not null,
       state text not null check (state in ('applied', 'running', 'failed')),
       method text not null check (method in ('executed', 'recorded')),
       applied_at timestamptz not null default now(),
       duration_ms integer,
       bundle_id text not null,
       run_id bigint,
       applied_by text not null,
       db_user text not null default current_user,
       error jsonb)`,
    ...revisionDdl(t),
  ];
}

/**
 * The changes of every revision up to {@link LEDGER_REVISION}, idempotent:
 * each may run again on a ledger that has it. The method check is replaced
 * by name (PostgreSQL named the column's check `migrations_method_check`).
 */
function revisionDdl(t: LedgerTables): string[] {
  return [
    `alter table ${t.runs} add column if not exists reverted text[] not null default '{}'`,
    `alter table ${t.runs} add column if not exists stage_override jsonb`,
    `alter table ${t.runs} add column if not exists details jsonb`,
    schemaObjectsDdl(t),
    schemaObjectsIndexDdl(t),
    `alter table ${t.schemaObjects} add column if not exists unit bigint`,
    `create index if not exists schema_objects_unit on ${t.schemaObjects} (unit)`,
    `create table if not exists ${t.schemaUnits} (
       unit bigint primary key,
       stamp numeric not null)`,
    `alter table ${t.migrations} drop constraint if exists migrations_method_check`,
    `alter table ${t.migrations} add constraint migrations_method_check check (method in ('executed', 'recorded', 'adopted'))`,
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

async function tableExists(client: pg.Client, qualifiedName: string): Promise<boolean> {
  const result = await client.query<{ found: boolean }>('select to_regclass($1) is not null as found', [qualifiedName]);
  return result.rows[0]?.found === true;
}

/** SQLSTATEs of a ledger (or a table of it) that is not there yet: no such table, no such schema. */
const MISSING = new Set(['42P01', '3F000']);

/**
 * True when `error` says the ledger, or the table queried, does not exist yet.
 *
 * @example
 * await client.query(`select 1 from ${t.meta}`).catch((error) => { if (!isLedgerMissing(error)) throw error; });
 */
export function isLedgerMissing(error: unknown): boolean {
  return error instanceof pg.DatabaseError && MISSING.has(error.code ?? '');
}

/** What `meta` says about the ledger's format, and its complete mark; all null when the ledger does not exist. */
export interface StoredFormat {
  version: string | null;
  revision: string | null;
  /** The complete mark as stored (`<bundle id> <ledger digest>`), or null. */
  mark: string | null;
}

/**
 * The stored ledger version, revision and complete mark. One query: the
 * common case is a ledger that exists, and every locked run asks. Outside a
 * transaction, the error of a missing table costs nothing else.
 *
 * @example
 * const { version } = await storedFormat(client, ledgerTables('stagegate'));
 */
export async function storedFormat(client: pg.Client, t: LedgerTables): Promise<StoredFormat> {
  try {
    const result = await client.query<{ key: string; value: string }>(`select key, value from ${t.meta} where key = any($1::text[])`, [['ledger_version', 'ledger_revision', COMPLETE_KEY]]);
    const value = (key: string): string | null => result.rows.find((row) => row.key === key)?.value ?? null;
    return { version: value('ledger_version'), revision: value('ledger_revision'), mark: value(COMPLETE_KEY) };
  } catch (error) {
    if (isLedgerMissing(error)) return { version: null, revision: null, mark: null };
    throw error;
  }
}

const upsertMeta = (client: pg.Client, t: LedgerTables, key: string, value: string): Promise<unknown> =>
  client.query(`insert into ${t.meta} (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value`, [key, value]);

/** Creates the ledger at this version and revision; returns true (it then holds no row). */
async function createLedger(client: pg.Client, t: LedgerTables): Promise<true> {
  const queries = [
    // One message for the DDL (the simple protocol takes several statements; none has a value to bind).
    ['begin', ...ledgerDdl(t)].join(';\n'),
    {
      text: `insert into ${t.meta} (key, value) values ($1, $2), ($3, $4) on conflict (key) do nothing`,
      values: ['ledger_version', String(LEDGER_VERSION), 'ledger_revision', String(LEDGER_REVISION)],
    },
    'commit',
  ];
  try {
    // On a pipelined client, one round trip: after a failure the rest fails with 25P02 and COMMIT answers ROLLBACK.
    const answers = client.pipeline ? sendAll(client, queries) : null;
    let committed: pg.QueryResult | undefined;
    for (const [index, query] of queries.entries()) {
      committed = answers ? await resultOf(answers[index] as Promise<Answer>) : await (typeof query === 'string' ? client.query(query) : client.query(query));
    }
    if (committed?.command !== 'COMMIT') throw new Error(`the server answered COMMIT with ${committed?.command}: the ledger was not created`);
    return true;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}

/**
 * Brings a ledger of this version from `revision` (0 when none is stored) to
 * this one; idempotent. From below revision 3 the complete mark goes, so that
 * the next run takes the full path once and stores the first baseline.
 */
function upgradeLedger(client: pg.Client, t: LedgerTables, revision: number): Promise<void> {
  return withTransaction(client, async () => {
    for (const statement of revisionDdl(t)) await client.query(statement);
    if (revision < BASELINE_REVISION) await client.query(`delete from ${t.meta} where key = $1`, [COMPLETE_KEY]);
    await upsertMeta(client, t, 'ledger_revision', String(LEDGER_REVISION));
  });
}

/**
 * Creates the ledger when it is missing, checks its version and applies the
 * additive revisions it lacks. Call only while holding the advisory lock: two
 * runs must never race on CREATE or ALTER.
 * `known`: the format, when the caller has read it under the lock already.
 * Returns true when it created the ledger (then it holds no row yet).
 * Throws `LedgerUnsupportedError` when a newer stagegate wrote it.
 */
export async function ensureLedger(client: pg.Client, t: LedgerTables, known?: StoredFormat): Promise<boolean> {
  const { version, revision } = known ?? (await storedFormat(client, t));
  if (version === null) return createLedger(client, t);
  if (!/^[0-9]+$/.test(version) || Number(version) > LEDGER_VERSION) {
    throw new LedgerUnsupportedError(t.schema, version, LEDGER_VERSION);
  }
  // A newer revision is fine: its additions are optional for this code.
  const stored = revision !== null && /^[0-9]+$/.test(revision) ? Number(revision) : 0;
  if (stored < LEDGER_REVISION) await upgradeLedger(client, t, stored);
  // TODO [>=2.0.0] upgrade older ledger versions here, in order.
  return false;
}

/** One ledger row as the server sends it: the columns in the order of the query's `json_build_array`. */
type LedgerTuple = [
  id: string,
  checksum: string,
  state: LedgerState,
  method: AppliedMigration['method'],
  durationMs: number | null,
  bundleId: string,
  appliedBy: string,
  appliedAt: string,
];

/**
 * Every ledger row in one query; a missing ledger is `{ exists: false }`, and
 * nothing is created. `known` skips the existence check, for a session that
 * has just made sure the ledger exists.
 */
export async function readLedgerRows(client: pg.Client, t: LedgerTables, known = false): Promise<LedgerSnapshot> {
  if (!known && !(await tableExists(client, t.migrations))) return { exists: false, rows: [] };
  // One row holding every row as JSON: 10,000 rows of 8 columns cost pg's protocol parser more than the
  // query, and JSON.parse reads them at native speed. The server formats the ISO time, for the same reason.
  const result = await client.query<{ rows: string }>(
    `select coalesce(json_agg(json_build_array(id, checksum, state, method, duration_ms, bundle_id, applied_by,
              to_char(applied_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))), '[]')::text as rows
       from ${t.migrations}`,
  );
  const raw = JSON.parse(result.rows[0]?.rows ?? '[]') as LedgerTuple[];
  const rows = raw.map(
    ([id, checksum, state, method, durationMs, bundleId, appliedBy, appliedAt]): AppliedMigration => ({ id, checksum, state, appliedAt, durationMs, bundleId, appliedBy, method }),
  );
  return { exists: true, rows };
}

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
    `insert into ${t.runs} (action, bundle_id, actor, outcome, stage_override) values ($1, $2, $3, 'running', $4::jsonb) returning id`,
    [run.action, run.bundleId, run.actor, run.stageOverride === undefined ? null : JSON.stringify(run.stageOverride)],
  );
  return Number(result.rows[0]?.id);
}

/** Records how a run ended: outcome, applied ids and the error's JSON form. */
export async function updateRun(client: pg.Client, t: LedgerTables, runId: number, finish: RunFinish): Promise<void> {
  await client.query(
    `update ${t.runs} set finished_at = now(), outcome = $2, applied = $3, error = $4::jsonb, reverted = $5, details = $6::jsonb where id = $1`,
    [runId, finish.outcome, finish.applied, jsonOrNull(finish.error), finish.reverted ?? [], jsonOrNull(finish.details)],
  );
}

function jsonOrNull(value: Record<string, unknown> | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
