import pg from 'pg';
import type { StageOverride } from '../../core/stage-record';
import type { StageFacts } from '../../ports';
import type { LedgerTables } from './ledger';
import { readSchemaHash } from './schema-objects';

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
 * schema fingerprint of every managed schema (the ledger's excluded).
 *
 * @example
 * const facts = await readStageFacts(client, ledgerTables('stagegate'));
 */
export async function readStageFacts(client: pg.Client, t: LedgerTables): Promise<StageFacts> {
  return { schemaHash: await fingerprint(client, t), overrides: await readStageOverrides(client, t) };
}

/** A server that cannot compute the fingerprint (an old version, a catalog it may not read) only leaves it out. */
async function fingerprint(client: pg.Client, t: LedgerTables): Promise<string | null> {
  try {
    return await readSchemaHash(client, [t.schema]);
  } catch (error) {
    if (error instanceof pg.DatabaseError) return null;
    throw error;
  }
}
