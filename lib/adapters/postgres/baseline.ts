/**
 * The drift baseline: the managed schemas' objects as the last run left them,
 * kept in the ledger table `schema_objects` with their hash in `meta`. Stored
 * and compared on the server: a fingerprint of 10,000 tables is some 100,000
 * rows, and only the objects that differ ever reach the client.
 */
import pg from 'pg';
import type { DriftReport } from '../../core/drift';
import { ChangeKind, ObjectKind, type SchemaDifference, type SchemaObject } from '../../core/schema';
import { isLedgerMissing, ledgerDigest, type LedgerTables } from './ledger';
import { readSchemaHash, SCHEMA_OBJECTS_SQL, schemaHashSql, withCatalogSearchPath } from './schema-objects';
import { withTransaction } from './transaction';

/** The `meta` key of the baseline: `<schema sha256> <ledger digest when it was stored>`. */
const BASELINE_KEY = 'schema_baseline';

const storedRows = (t: LedgerTables): string => `select kind, name, definition from ${t.schemaObjects}`;

/** The stored hash and whether the ledger is as it was then; null without a baseline. One query. */
async function storedBaseline(client: pg.ClientBase, t: LedgerTables): Promise<{ hash: string; current: boolean } | null> {
  try {
    const result = await client.query<{ hash: string; current: boolean }>(
      `select split_part(value, ' ', 1) as hash, split_part(value, ' ', 2) = (${ledgerDigest(t)}) as current from ${t.meta} where key = $1`,
      [BASELINE_KEY],
    );
    return result.rows[0] ?? null;
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
 * Compares the live schemas with the baseline: the stored hash against one
 * computed on the server, then, only when they differ, the differing objects.
 *
 * @example
 * const { baseline, differences } = await readDrift(client, ledgerTables('stagegate'));
 */
export async function readDrift(client: pg.ClientBase, t: LedgerTables): Promise<DriftReport> {
  const stored = await storedBaseline(client, t);
  const none = { ledgerSchema: t.schema, baseline: false, stale: stored !== null, differences: [] };
  if (stored === null || !stored.current) return none;
  const same = { ledgerSchema: t.schema, baseline: true, stale: false, differences: [] };
  if ((await readSchemaHash(client, [t.schema])) === stored.hash) return same;
  return { ...same, differences: await differingObjects(client, t) };
}

/** Stores the hash of the table's rows as they now are, and the ledger's digest, in the same transaction. */
async function writeHash(client: pg.ClientBase, t: LedgerTables): Promise<void> {
  await client.query(
    `insert into ${t.meta} (key, value) select $1, hash || ' ' || (${ledgerDigest(t)}) from (${schemaHashSql(storedRows(t))}) h
     on conflict (key) do update set value = excluded.value`,
    [BASELINE_KEY],
  );
}

/**
 * Replaces the baseline with the live schemas, in one transaction and
 * without sending a row to the client. `onlyIfUnusable`: only when there is
 * none, or it is older than the ledger (see `DriftReport.stale`).
 *
 * @example
 * await storeBaseline(client, ledgerTables('stagegate'));
 */
export async function storeBaseline(client: pg.ClientBase, t: LedgerTables, onlyIfUnusable = false): Promise<void> {
  if (onlyIfUnusable && (await storedBaseline(client, t))?.current === true) return;
  await withCatalogSearchPath(client, () =>
    withTransaction(client, async () => {
      // Truncate, not delete: the table is rewritten whole at every change, and must not bloat.
      await client.query(`truncate ${t.schemaObjects}`);
      await client.query(`insert into ${t.schemaObjects} (kind, name, definition) select kind, name, definition from (${SCHEMA_OBJECTS_SQL}) o`, [[t.schema]]);
      await writeHash(client, t);
    }),
  );
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
    await writeHash(client, t);
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
