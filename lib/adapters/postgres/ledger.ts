/**
 * The ledger: four tables in their own schema. Every value is a bound
 * parameter; the only text spliced into SQL is the schema name from
 * configuration, always quoted with `escapeIdentifier`.
 */
import pg from 'pg';
import { LedgerUnsupportedError } from '../../core/errors';
import { LEDGER_MARK } from './ledger-schemas';
import { transactionInOneWrite } from './pipeline';
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
export const COMPLETE_KEY = 'complete_bundle';

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
 * The changes of every revision up to {@link LEDGER_REVISION}, and the
 * ledger's mark, idempotent: each may run again on a ledger that has it. The method check is replaced
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
    // The mark that tells another installation sharing the database to leave this schema out of its drift (see `ledger-schemas.ts`).
    `comment on table ${t.migrations} is '${LEDGER_MARK}: one row per migration applied, recorded or adopted'`,
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

export async function tableExists(client: pg.Client, qualifiedName: string): Promise<boolean> {
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
  // On a pipelined client, one round trip.
  await transactionInOneWrite(client, queries, 'the ledger was not created');
  return true;
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
