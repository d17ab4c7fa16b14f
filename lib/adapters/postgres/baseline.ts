/**
 * The drift baseline: the managed schemas' objects as the last run left them,
 * kept in the ledger table `schema_objects`, with each unit's catalog stamp in
 * `schema_units` and the stamp of the whole in `meta` (see `schema-units.ts`).
 * Stored and compared on the server: a fingerprint of 10,000 tables is some
 * 100,000 rows, and only the objects that differ ever reach the client. A
 * check that finds the stamp unchanged reads no definition at all. Reading
 * and comparing are here; storing is in `baseline-store.ts`.
 */
import pg from 'pg';
import type { DriftReport } from '../../core/drift';
import { ChangeKind, type SchemaDifference, type SchemaObject } from '../../core/schema';
import { isLedgerMissing, type LedgerTables } from './ledger';
import { LEDGER_SCHEMA_NAMES_SQL } from './ledger-schemas';
import { ledgerDigest } from './ledger-snapshot';
import { SCHEMA_OBJECTS_SQL, withCatalogSearchPath } from './schema-objects';
import { LIVE_STAMP_SQL } from './schema-units';

/**
 * The `meta` key of the baseline: `<stamp> <ledger digest when it was
 * stored> <the server's major version then>`. The stamp (see
 * `schema-units.ts`) is `-` when the baseline's units are not to be trusted
 * (objects patched by hand, or stored by an older stagegate, which wrote a
 * sha256 there): then the definitions are compared in full, and the next
 * store rewrites the whole baseline. An older stagegate wrote no version:
 * the baseline then counts as stored by the server's own.
 */
export const BASELINE_KEY = 'schema_baseline';
export const NO_STAMP = '-';
const STAMP = /^-?[0-9]+$/;
const MAJOR = /^[0-9]+$/;
/** The server's major version (18 for 18.4), as text. */
export const SERVER_MAJOR_SQL = "(pg_catalog.current_setting('server_version_num')::int / 10000)::text";

const storedRows = (t: LedgerTables): string => `select kind, name, definition from ${t.schemaObjects}`;

interface StoredBaseline {
  /** The stored stamp, or null when it is not one (see {@link BASELINE_KEY}). */
  stamp: string | null;
  /** The ledger is as it was when the baseline was stored, on the same major version of PostgreSQL: it can be compared. */
  current: boolean;
  /** The live stamp equals the stored one (computed only when asked for). */
  unchanged: boolean;
  /** The major version that stored the baseline when it is not the server's now (see `DriftReport.serverUpgrade`), else null. */
  upgradedFrom: number | null;
  /** The server's major version. */
  serverMajor: number;
}

interface BaselineRow {
  stamp: string;
  ledger_current: boolean;
  stored_major: string;
  server_major: string;
  unchanged: boolean;
}

/** The stored baseline's stamp and whether it can be compared; null without a baseline. One query. */
export async function storedBaseline(client: pg.ClientBase, t: LedgerTables, withLive = false): Promise<StoredBaseline | null> {
  try {
    const result = await client.query<BaselineRow>(
      `select split_part(value, ' ', 1) as stamp, split_part(value, ' ', 2) = (${ledgerDigest(t)}) as ledger_current,
              split_part(value, ' ', 3) as stored_major, ${SERVER_MAJOR_SQL} as server_major,
              ${withLive ? `split_part(value, ' ', 1) = (${LIVE_STAMP_SQL})` : 'false'} as unchanged
         from ${t.meta} where key = $${withLive ? 2 : 1}`,
      withLive ? [[t.schema], BASELINE_KEY] : [BASELINE_KEY],
    );
    const row = result.rows[0];
    if (!row) return null;
    const upgradedFrom = MAJOR.test(row.stored_major) && row.stored_major !== row.server_major ? Number(row.stored_major) : null;
    return {
      stamp: STAMP.test(row.stamp) ? row.stamp : null,
      current: row.ledger_current && upgradedFrom === null,
      unchanged: row.unchanged && STAMP.test(row.stamp),
      upgradedFrom,
      serverMajor: Number(row.server_major),
    };
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

/**
 * A stored row (`s`) of an object in a ledger schema: a baseline stored
 * before other installations' ledgers were left out (see `ledger-schemas.ts`)
 * holds theirs. Such a schema is not compared now, so its objects are not
 * gone: a stored row of one, with no live row, is no difference. The next
 * store finds their units gone and writes the whole baseline again, without
 * them. A schema's objects are named `<schema>.…`; an extension is in none.
 */
const IN_LEDGER_SCHEMA = `exists (select 1 from (${LEDGER_SCHEMA_NAMES_SQL}) x
  where (s.kind = 'schema' and s.name = x.nspname) or (s.kind <> 'extension' and starts_with(s.name, x.nspname || '.')))`;

/** The objects that differ between the baseline and the live schemas: a full outer join on the server. */
async function differingObjects(client: pg.ClientBase, t: LedgerTables): Promise<SchemaDifference[]> {
  const result = await withCatalogSearchPath(client, () =>
    client.query<DifferenceRow>(
      `select * from (
         select coalesce(s.kind, l.kind) as kind, coalesce(s.name, l.name) as name, s.definition as expected, l.definition as actual
           from (${storedRows(t)}) s full outer join (${SCHEMA_OBJECTS_SQL}) l on l.kind = s.kind and l.name = s.name
          where s.definition is distinct from l.definition and not (l.name is null and ${IN_LEDGER_SCHEMA})) d
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
  const upgrade = stored?.upgradedFrom != null ? { serverUpgrade: { from: stored.upgradedFrom, to: stored.serverMajor } } : {};
  const none = { ledgerSchema: t.schema, baseline: false, stale: stored !== null, ...upgrade, differences: [] };
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
