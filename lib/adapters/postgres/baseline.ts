/**
 * The drift baseline: the managed schemas' objects as the last run left them,
 * kept in the ledger table `schema_objects`, with each unit's catalog stamp in
 * `schema_units` and the stamp of the whole in `meta` (see `schema-units.ts`).
 * Stored and compared on the server: a fingerprint of 10,000 tables is some
 * 100,000 rows, and only the objects that differ ever reach the client. A
 * check that finds the stamp unchanged reads no definition at all.
 */
import pg from 'pg';
import type { DriftReport } from '../../core/drift';
import { ChangeKind, ObjectKind, type SchemaDifference, type SchemaObject } from '../../core/schema';
import { isLedgerMissing, type LedgerTables } from './ledger';
import { ledgerDigest } from './ledger-snapshot';
import { SCHEMA_OBJECTS_SQL, schemaObjectsSql, withCatalogSearchPath } from './schema-objects';
import { DEPENDENT_UNITS_SQL, inTouchedScope, LIVE_STAMP_SQL, stampRowsCte, UNIT_STAMPS_SQL } from './schema-units';
import { withTransaction } from './transaction';

/**
 * The `meta` key of the baseline: `<stamp> <ledger digest when it was
 * stored>`. The stamp (see `schema-units.ts`) is `-` when the baseline's
 * units are not to be trusted (objects patched by hand, or stored by an older
 * stagegate, which wrote a sha256 there): then the definitions are compared
 * in full, and the next store rewrites the whole baseline.
 */
const BASELINE_KEY = 'schema_baseline';
const NO_STAMP = '-';
const STAMP = /^-?[0-9]+$/;

const storedRows = (t: LedgerTables): string => `select kind, name, definition from ${t.schemaObjects}`;

interface StoredBaseline {
  /** The stored stamp, or null when it is not one (see {@link BASELINE_KEY}). */
  stamp: string | null;
  /** The ledger is as it was when the baseline was stored. */
  current: boolean;
  /** The live stamp equals the stored one (computed only when asked for). */
  unchanged: boolean;
}

/** The stored baseline's stamp and whether the ledger is as it was then; null without a baseline. One query. */
async function storedBaseline(client: pg.ClientBase, t: LedgerTables, withLive = false): Promise<StoredBaseline | null> {
  try {
    const result = await client.query<{ stamp: string; current: boolean; unchanged: boolean }>(
      `select split_part(value, ' ', 1) as stamp, split_part(value, ' ', 2) = (${ledgerDigest(t)}) as current,
              ${withLive ? `split_part(value, ' ', 1) = (${LIVE_STAMP_SQL})` : 'false'} as unchanged
         from ${t.meta} where key = $${withLive ? 2 : 1}`,
      withLive ? [[t.schema], BASELINE_KEY] : [BASELINE_KEY],
    );
    const row = result.rows[0];
    return row ? { stamp: STAMP.test(row.stamp) ? row.stamp : null, current: row.current, unchanged: row.unchanged && STAMP.test(row.stamp) } : null;
  } catch (error) {
    // A reader on a fresh database, or on a ledger not yet upgraded: no baseline.
    if (isLedgerMissing(error)) return null;
    throw error;
  }
}

interface DifferenceRow {
  kind: SchemaObject['kind'];
  name: string;
  expected: string | null;
  actual: string | null;
}

/** The objects that differ between the baseline and the live schemas: a full outer join on the server. */
async function differingObjects(client: pg.ClientBase, t: LedgerTables): Promise<SchemaDifference[]> {
  const result = await withCatalogSearchPath(client, () =>
    client.query<DifferenceRow>(
      `select * from (
         select coalesce(s.kind, l.kind) as kind, coalesce(s.name, l.name) as name, s.definition as expected, l.definition as actual
           from (${storedRows(t)}) s full outer join (${SCHEMA_OBJECTS_SQL}) l on l.kind = s.kind and l.name = s.name
          where s.definition is distinct from l.definition) d
        order by kind collate "C", name collate "C"`,
      [[t.schema]],
    ),
  );
  return result.rows.map((row) => ({
    ...row,
    change: row.expected === null ? ChangeKind.ADDED : row.actual === null ? ChangeKind.REMOVED : ChangeKind.CHANGED,
  }));
}

/**
 * Compares the live schemas with the baseline: the stored stamp against the
 * live one, in one query that reads no definition; only when they differ,
 * the definitions, and only the differing objects reach the client.
 * `stampMatched`: the stamps were equal, so every stored unit stamp is live.
 *
 * @example
 * const { report, stampMatched } = await readDriftStamped(client, ledgerTables('stagegate'));
 */
export async function readDriftStamped(client: pg.ClientBase, t: LedgerTables): Promise<{ report: DriftReport; stampMatched: boolean }> {
  const stored = await storedBaseline(client, t, true);
  const none = { ledgerSchema: t.schema, baseline: false, stale: stored !== null, differences: [] };
  if (stored === null || !stored.current) return { report: none, stampMatched: false };
  const same = { ledgerSchema: t.schema, baseline: true, stale: false, differences: [] };
  if (stored.unchanged) return { report: same, stampMatched: true };
  return { report: { ...same, differences: await differingObjects(client, t) }, stampMatched: false };
}

/**
 * {@link readDriftStamped}'s report alone.
 *
 * @example
 * const { baseline, differences } = await readDrift(client, ledgerTables('stagegate'));
 */
export async function readDrift(client: pg.ClientBase, t: LedgerTables): Promise<DriftReport> {
  return (await readDriftStamped(client, t)).report;
}

/** Stores the stamp of the stored units and the ledger's digest, in the caller's transaction; `-` when the units are not to be trusted. */
async function writeStamp(client: pg.ClientBase, t: LedgerTables, trusted = true): Promise<void> {
  const stamp = trusted ? `coalesce((select sum(stamp) from ${t.schemaUnits}), 0)::text` : `'${NO_STAMP}'`;
  await client.query(
    `insert into ${t.meta} (key, value) select $1, ${stamp} || ' ' || (${ledgerDigest(t)})
     on conflict (key) do update set value = excluded.value`,
    [BASELINE_KEY],
  );
}

const BY_UNIT_SQL = schemaObjectsSql('units');
const BY_RELATION_UNIT_SQL = schemaObjectsSql('relation-units');

/** A relation's unit (see `schema-units.ts`): 2^32 + its oid; an extension's: 5 × 2^32 + its oid. */
const isRelationUnit = (unit: string): boolean => BigInt(unit) >> 32n === 1n;
const isExtensionUnit = (unit: string): boolean => BigInt(unit) >> 32n === 5n;

/** Inserts the live objects of `units` into the baseline; when they are all relations', only the relations' rows are read. */
async function insertObjects(client: pg.ClientBase, t: LedgerTables, units: readonly string[]): Promise<void> {
  const sql = units.every(isRelationUnit) ? BY_RELATION_UNIT_SQL : BY_UNIT_SQL;
  await client.query(`insert into ${t.schemaObjects} (kind, name, definition, unit) select kind, name, definition, unit from (${sql}) o where unit = any($2::bigint[])`, [
    [t.schema],
    units,
  ]);
}

/** The whole baseline again: every object and every unit's stamp. */
async function storeAll(client: pg.ClientBase, t: LedgerTables): Promise<void> {
  // Truncate, not delete: the tables are rewritten whole, and must not bloat.
  await client.query(`truncate ${t.schemaObjects}, ${t.schemaUnits}`);
  await client.query(`insert into ${t.schemaObjects} (kind, name, definition, unit) select kind, name, definition, unit from (${SCHEMA_OBJECTS_SQL}) o`, [[t.schema]]);
  await client.query(`insert into ${t.schemaUnits} (unit, stamp) ${UNIT_STAMPS_SQL}`, [[t.schema]]);
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
  if (changed.some(isExtensionUnit)) return storeAll(client, t);
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
 * when there is none, or it is older than the ledger (see `DriftReport.stale`).
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
  const byUnit = stored?.stamp != null && !(await hasObjectsWithoutUnit(client, t));
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
  await client.query(`update ${t.meta} set value = split_part(value, ' ', 1) || ' ' || (${ledgerDigest(t)}) where key = $1`, [BASELINE_KEY]);
}
