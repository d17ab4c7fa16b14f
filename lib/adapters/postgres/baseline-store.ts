/**
 * Writing the drift baseline (see `baseline.ts`, which reads it): after a
 * run, unit by unit when the stored units can be trusted, else in full; the
 * objects an adoption or `drift --accept` patches; and the ledger digest kept
 * current after a ledger change that leaves the schema as it is.
 */
import type pg from 'pg';
import { ObjectKind, type SchemaObject } from '../../core/schema';
import { BASELINE_KEY, NO_STAMP, SERVER_MAJOR_SQL, storedBaseline } from './baseline';
import type { LedgerTables } from './ledger';
import { ledgerDigest } from './ledger-snapshot';
import { catalogSettings, SCHEMA_OBJECTS_SQL, schemaObjectsSql, withCatalogSearchPath } from './schema-objects';
import { transactionInOneWrite } from './pipeline';
import { DEPENDENT_UNITS_SQL, inTouchedScope, stampRowsCte, UNIT_STAMPS_SQL } from './schema-units';
import { withTransaction } from './transaction';

/** The statement storing the stamp of the stored units, the ledger's digest and the server's major version; `-` when the units are not to be trusted. */
function stampWrite(t: LedgerTables, trusted = true): pg.QueryConfig {
  const stamp = trusted ? `coalesce((select sum(stamp) from ${t.schemaUnits}), 0)::text` : `'${NO_STAMP}'`;
  return {
    text: `insert into ${t.meta} (key, value) select $1, ${stamp} || ' ' || (${ledgerDigest(t)}) || ' ' || ${SERVER_MAJOR_SQL}
     on conflict (key) do update set value = excluded.value`,
    values: [BASELINE_KEY],
  };
}

/** Stores the stamp (see {@link stampWrite}) in the caller's transaction. */
async function writeStamp(client: pg.ClientBase, t: LedgerTables, trusted = true): Promise<void> {
  await client.query(stampWrite(t, trusted));
}

const BY_UNIT_SQL = schemaObjectsSql('units');
const BY_RELATION_UNIT_SQL = schemaObjectsSql('relation-units');

/** A relation's unit (see `schema-units.ts`): 2^32 + its oid; a schema's: 4 × 2^32 + its oid; an extension's: 5 × 2^32 + its oid. */
const isRelationUnit = (unit: string): boolean => BigInt(unit) >> 32n === 1n;
const isSchemaOrExtensionUnit = (unit: string): boolean => {
  const kind = BigInt(unit) >> 32n;
  return kind === 4n || kind === 5n;
};

/** Inserts the live objects of `units` into the baseline; when they are all relations', only the relations' rows are read. */
async function insertObjects(client: pg.ClientBase, t: LedgerTables, units: readonly string[]): Promise<void> {
  const sql = units.every(isRelationUnit) ? BY_RELATION_UNIT_SQL : BY_UNIT_SQL;
  await client.query(`insert into ${t.schemaObjects} (kind, name, definition, unit) select kind, name, definition, unit from (${sql}) o where unit = any($2::bigint[])`, [
    [t.schema],
    units,
  ]);
}

/** The statements that fill empty baseline tables: every object, then every unit's stamp. */
function fillAll(t: LedgerTables): pg.QueryConfig[] {
  return [
    { text: `insert into ${t.schemaObjects} (kind, name, definition, unit) select kind, name, definition, unit from (${SCHEMA_OBJECTS_SQL}) o`, values: [[t.schema]] },
    { text: `insert into ${t.schemaUnits} (unit, stamp) ${UNIT_STAMPS_SQL}`, values: [[t.schema]] },
  ];
}

/** The whole baseline again: every object and every unit's stamp. */
async function storeAll(client: pg.ClientBase, t: LedgerTables): Promise<void> {
  // Truncate, not delete: the tables are rewritten whole, and must not bloat.
  await client.query(`truncate ${t.schemaObjects}, ${t.schemaUnits}`);
  for (const query of fillAll(t)) await client.query(query);
}

/**
 * The first baseline of a ledger this session created and has stored none
 * in: `meta` has no baseline key, so there is nothing to read first, and
 * the baseline tables are new (so empty; emptied by a delete, not a
 * truncate, which would give them new files). The rows are
 * those {@link storeBaseline} stores then (the same statements, with the
 * catalog settings set for the transaction only, which its end puts back);
 * on a pipelined client in one round trip.
 *
 * @example
 * await storeFirstBaseline(client, ledgerTables('stagegate'));
 */
export async function storeFirstBaseline(client: pg.Client, t: LedgerTables): Promise<void> {
  // A table left by an earlier ledger whose meta is gone survives `create table if not exists`: emptied, at the cost of a scan of nothing otherwise.
  const empty = [`delete from ${t.schemaObjects}`, `delete from ${t.schemaUnits}`];
  await transactionInOneWrite(client, ['begin', ...empty, catalogSettings(true), ...fillAll(t), stampWrite(t), 'commit'], 'the baseline was not stored');
}

/**
 * Stores the stamps of the units that changed (new, changed or gone) and
 * returns those units. One statement: the live stamps are read once.
 * `touched`: only those units can have changed (see {@link storeBaseline}).
 */
async function restampChangedUnits(client: pg.ClientBase, t: LedgerTables, touched: readonly string[] | null): Promise<string[]> {
  const result = await client.query<{ units: string[] }>(
    `with ${stampRowsCte(touched !== null)},
     live as (select unit, sum(h) as stamp from stamp_rows group by unit),
     stored as (select s.unit, s.stamp from ${t.schemaUnits} s${touched !== null ? ` where ${inTouchedScope('s')}` : ''}),
     changed as (
       select coalesce(l.unit, s.unit) as unit, l.stamp from live l full join stored s on s.unit = l.unit
        where l.stamp is distinct from s.stamp),
     gone as (delete from ${t.schemaUnits} s using changed c where s.unit = c.unit and c.stamp is null),
     restamped as (
       insert into ${t.schemaUnits} (unit, stamp) select unit, stamp from changed where stamp is not null
       on conflict (unit) do update set stamp = excluded.stamp)
     select coalesce(array_agg(unit), '{}') as units from changed`,
    touched !== null ? [[t.schema], touched] : [[t.schema]],
  );
  return result.rows[0]?.units ?? [];
}

/**
 * The baseline brought up to date unit by unit: the units whose stamp
 * changed, and those whose definitions name one of them, are read again;
 * every other unit keeps its stored objects, which its unchanged stamp
 * proves current. The cost follows what changed, not the schema's size.
 */
async function storeChanged(client: pg.ClientBase, t: LedgerTables, touched: readonly string[] | null): Promise<void> {
  const changed = await restampChangedUnits(client, t, touched);
  if (changed.length === 0) return;
  // An extension made, updated or dropped, or an object added to or dropped from one: pg_depend no longer names what left it.
  // A schema made, renamed or dropped: what names its objects elsewhere depends on them, not on the schema, and no row of theirs was written.
  if (changed.some(isSchemaOrExtensionUnit)) return storeAll(client, t);
  const dependents = await client.query<{ units: string[] }>(DEPENDENT_UNITS_SQL, [changed]);
  const units = [...new Set([...changed, ...(dependents.rows[0]?.units ?? [])])];
  await client.query(`delete from ${t.schemaObjects} where unit = any($1::bigint[])`, [units]);
  await insertObjects(client, t, units);
}

/** Objects stored without their unit (by an older stagegate, or patched): only a whole new baseline is then right. */
async function hasObjectsWithoutUnit(client: pg.ClientBase, t: LedgerTables): Promise<boolean> {
  const result = await client.query<{ found: boolean }>(`select exists (select 1 from ${t.schemaObjects} where unit is null) as found`);
  return result.rows[0]?.found === true;
}

/**
 * Makes the baseline the live schemas, in one transaction and without
 * sending a row to the client: unit by unit when the stored units can be
 * trusted (see {@link BASELINE_KEY}), else in full. `onlyIfUnusable`: only
 * when there is none, or it is older than the ledger or was stored by another
 * major version of PostgreSQL (see `DriftReport.stale`).
 * `touched`: the relations that can have changed since the stored stamps
 * were last proven live (the locks of this session's migrations), so that
 * only their units (and every unit that is not a relation's) are stamped
 * again; null when unknown, which stamps every unit. False when nothing
 * was stored (`onlyIfUnusable` and the baseline is usable).
 *
 * @example
 * await storeBaseline(client, ledgerTables('stagegate'));
 */
export async function storeBaseline(client: pg.ClientBase, t: LedgerTables, onlyIfUnusable = false, touched: readonly string[] | null = null): Promise<boolean> {
  const stored = await storedBaseline(client, t);
  if (onlyIfUnusable && stored?.current === true) return false;
  // Another major version wrote the stored definitions: every one is read again.
  const byUnit = stored?.stamp != null && stored.upgradedFrom === null && !(await hasObjectsWithoutUnit(client, t));
  await withCatalogSearchPath(client, () =>
    withTransaction(client, async () => {
      await (byUnit ? storeChanged(client, t, touched) : storeAll(client, t));
      await writeStamp(client, t);
    }),
  );
  return true;
}

/**
 * In the baseline, replaces the objects under `keys` (`kind<TAB>name`; with
 * `underTables`, for a table also every object named under it) with
 * `objects`. False, and nothing changed, when there is no baseline.
 *
 * @example
 * await replaceBaselineObjects(client, t, ['table\tapp.org'], proof.live, true);
 */
export async function replaceBaselineObjects(
  client: pg.ClientBase,
  t: LedgerTables,
  keys: readonly string[],
  objects: readonly SchemaObject[],
  underTables: boolean,
): Promise<boolean> {
  // A stale baseline lacks a run's objects: patching it would make it look current.
  if ((await storedBaseline(client, t))?.current !== true) return false;
  const tablePrefix = `${ObjectKind.TABLE}\t`;
  const tables = underTables ? keys.filter((k) => k.startsWith(tablePrefix)).map((k) => `${k.slice(tablePrefix.length)}.`) : [];
  await withTransaction(client, async () => {
    await client.query(
      `delete from ${t.schemaObjects}
        where kind || E'\\t' || name = any($1::text[])
           or (kind <> $3 and exists (select 1 from unnest($2::text[]) p where starts_with(name, p)))`,
      [[...keys], tables, ObjectKind.TABLE],
    );
    await client.query(`insert into ${t.schemaObjects} (kind, name, definition) select * from unnest($1::text[], $2::text[], $3::text[])`, [
      objects.map((o) => o.kind),
      objects.map((o) => o.name),
      objects.map((o) => o.definition),
    ]);
    // Patched objects have no unit: until the next store rewrites the whole baseline, comparisons read every definition.
    await writeStamp(client, t, false);
  });
  return true;
}

/**
 * Runs `fn` (a ledger change that leaves the schema as it is, such as an
 * adoption's row) and keeps a current baseline current: without this the
 * changed ledger would make it look stale.
 *
 * @example
 * await keepingBaselineCurrent(client, t, () => recordMigration(client, t, request, 'adopted'));
 */
export async function keepingBaselineCurrent(client: pg.ClientBase, t: LedgerTables, fn: () => Promise<void>): Promise<void> {
  const current = (await storedBaseline(client, t))?.current === true;
  await fn();
  if (!current) return;
  await client.query(`update ${t.meta} set value = split_part(value, ' ', 1) || ' ' || (${ledgerDigest(t)}) || ' ' || ${SERVER_MAJOR_SQL} where key = $1`, [BASELINE_KEY]);
}
