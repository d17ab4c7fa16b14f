import pg from 'pg';
import type { StageOverride } from '../../core/stage-record';
import type { StageFacts } from '../../ports';
import type { LedgerTables } from './ledger';
import { readSchemaHash } from './schema-objects';
import { LIVE_STAMP_SQL } from './schema-units';

interface OverrideRow {
  at: string;
  bundle_id: string;
  actor: string;
  stage_override: { reason?: unknown; previousStage?: unknown; missing?: unknown };
}

/**
 * The overrides recorded in the runs table, oldest first: every run that
 * proceeded although the previous stage lacked migrations it applied.
 */
async function readStageOverrides(client: pg.Client, t: LedgerTables): Promise<StageOverride[]> {
  const result = await client.query<OverrideRow>(
    `select to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, bundle_id, actor, stage_override
       from ${t.runs} where stage_override is not null order by id`,
  );
  return result.rows.map((row) => ({
    reason: String(row.stage_override.reason ?? ''),
    at: row.at,
    bundleId: row.bundle_id,
    actor: row.actor,
    previousStage: String(row.stage_override.previousStage ?? ''),
    missing: Array.isArray(row.stage_override.missing) ? row.stage_override.missing.map(String) : [],
  }));
}

/**
 * The facts a stage record takes from the database: the overrides and the
 * schema fingerprint of every managed schema (the ledger's excluded). Call
 * it under the ledger lock: it may cache the fingerprint's hash in `meta`.
 *
 * @example
 * const facts = await readStageFacts(client, ledgerTables('stagegate'));
 */
export async function readStageFacts(client: pg.Client, t: LedgerTables): Promise<StageFacts> {
  return { schemaHash: await fingerprint(client, t), overrides: await readStageOverrides(client, t) };
}

/**
 * The `meta` key of the last fingerprint hash: `<catalog stamp> <sha256>`.
 * The stamp (see `schema-units.ts`) changes with every change of schema, so
 * while it is the same the hash is too, and a deploy with nothing to apply
 * pays one pass over the catalog instead of reading every definition.
 */
const HASH_KEY = 'schema_hash';

/** The live fingerprint's hash, from the cache in `meta` when the stamp says it is still right, else computed and cached. */
async function cachedSchemaHash(client: pg.Client, t: LedgerTables): Promise<string> {
  const live = await client.query<{ stamp: string; cached: string | null }>(
    `select (${LIVE_STAMP_SQL}) as stamp, (select value from ${t.meta} where key = $2) as cached`,
    [[t.schema], HASH_KEY],
  );
  const { stamp, cached } = live.rows[0] ?? { stamp: '', cached: null };
  const [cachedStamp, cachedHash] = (cached ?? '').split(' ');
  if (cachedStamp === stamp && cachedHash) return cachedHash;
  // A change between the stamp and the hash caches a newer hash under an older stamp, which no later stamp equals.
  const hash = await readSchemaHash(client, [t.schema]);
  await client.query(`insert into ${t.meta} (key, value) values ($1, $2) on conflict (key) do update set value = excluded.value`, [HASH_KEY, `${stamp} ${hash}`]);
  return hash;
}

/** A server that cannot compute the fingerprint (an old version, a catalog it may not read) only leaves it out. */
async function fingerprint(client: pg.Client, t: LedgerTables): Promise<string | null> {
  try {
    return await cachedSchemaHash(client, t);
  } catch (error) {
    if (error instanceof pg.DatabaseError) return null;
    throw error;
  }
}
