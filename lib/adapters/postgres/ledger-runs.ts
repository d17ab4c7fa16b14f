/**
 * The rows of the ledger's `runs` table: one per run, from `running` to how
 * it ended. Values are bound parameters; the table name comes from
 * `ledgerTables` (quoted).
 */
import type pg from 'pg';
import type { LastRun } from '../../core/last-run';
import type { RunFinish, RunStart } from '../../ports';
import { tableExists, type LedgerTables } from './ledger';

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

/** The newest run, by id; null when the ledger has no runs table yet or no run. */
export async function selectLastRun(client: pg.Client, t: LedgerTables): Promise<LastRun | null> {
  if (!(await tableExists(client, t.runs))) return null;
  const result = await client.query<{ run: LastRun }>(
    `select json_build_object('id', id, 'action', action, 'outcome', outcome, 'actor', actor,
              'startedAt', to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'finishedAt', to_char(finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'applied', applied,
              'error', case when error is null then null else json_build_object('code', error ->> 'code', 'message', error ->> 'message',
                'migration', error ->> 'migration', 'file', error ->> 'file', 'line', (error ->> 'line')::int) end) as run
       from ${t.runs} order by id desc limit 1`,
  );
  return result.rows[0]?.run ?? null;
}
