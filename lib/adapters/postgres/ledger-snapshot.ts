/**
 * What the ledger holds, read in one query, and the mark of a complete
 * bundle: a bundle's id with the server's digest of the ledger, which lets
 * an up-to-date run answer without reading the rows.
 */
import pg from 'pg';
import type { AppliedMigration, LedgerState } from '../../core/migration';
import type { LedgerSnapshot } from '../../ports';
import { COMPLETE_KEY, tableExists, type LedgerTables } from './ledger';

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
  if (rows.some((row) => row.state !== 'applied')) await markReverting(client, t, rows);
  return { exists: true, rows };
}

/** Marks the unsettled rows left by a reverse script (their error says `reverting`), so a refusal can say which way to settle them; one query, only when a row is unsettled. */
async function markReverting(client: pg.Client, t: LedgerTables, rows: AppliedMigration[]): Promise<void> {
  const result = await client.query<{ id: string }>(`select id from ${t.migrations} where state <> 'applied' and (error ->> 'reverting') = 'true'`);
  const reverting = new Set(result.rows.map((row) => row.id));
  for (const row of rows) if (reverting.has(row.id)) row.reverting = true;
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
