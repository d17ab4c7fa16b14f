/**
 * The rows of the ledger's `runs` table: one per run, from `running` to how
 * it ended. Values are bound parameters; the table name comes from
 * `ledgerTables` (quoted).
 */
import type pg from 'pg';
import type { LastRun } from '../../core/last-run';
import type { RunFinish, RunStart } from '../../ports';
import { tableExists, type LedgerTables } from './ledger';
import { HELD_LOCK_WHERE, heldLockValues, lockKey } from './lock';

/**
 * What a run that never recorded its end applied: the migrations whose
 * ledger row it wrote, in order (its own `applied` is written only at the end).
 */
function appliedByRun(t: LedgerTables, run: string): string {
  return `coalesce((select array_agg(m.id order by m.applied_at, m.id) from ${t.migrations} m where m.run_id = ${run}.id and m.state = 'applied'), '{}')`;
}

/**
 * Marks runs still `running` as `abandoned`, with what they applied before
 * their process died. Only under the lock: then no live run exists.
 */
export async function abandonRuns(client: pg.Client, t: LedgerTables): Promise<void> {
  await client.query(
    `update ${t.runs} r set outcome = 'abandoned', finished_at = now(),
            applied = case when cardinality(r.applied) = 0 then ${appliedByRun(t, 'r')} else r.applied end
      where r.outcome = 'running'`,
  );
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

/**
 * The newest run, by id; null when the ledger has no runs table yet or no run.
 * A run still marked `running` while no session holds the ledger's lock died
 * before it ended (a killed process, a restarted server): it reads as
 * `abandoned`, as the next run will mark it, with what it applied so far.
 * `reverted` is empty on a ledger not yet given that column (format 0).
 */
export async function selectLastRun(client: pg.Client, t: LedgerTables): Promise<LastRun | null> {
  if (!(await tableExists(client, t.runs))) return null;
  const result = await client.query<{ run: LastRun }>(
    `select json_build_object('id', id, 'action', action, 'actor', actor,
              'outcome', case when outcome = 'running' and not exists (select 1 from pg_locks l where ${HELD_LOCK_WHERE}) then 'abandoned' else outcome end,
              'startedAt', to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'finishedAt', to_char(finished_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
              'applied', case when outcome = 'running' then ${appliedByRun(t, 'r')} else applied end,
              'reverted', coalesce(to_jsonb(r) -> 'reverted', '[]'::jsonb),
              'error', case when error is null then null else json_build_object('code', error ->> 'code', 'message', error ->> 'message',
                'migration', error ->> 'migration', 'file', error ->> 'file', 'line', (error ->> 'line')::int) end) as run
       from ${t.runs} r order by id desc limit 1`,
    heldLockValues(lockKey(t.schema)),
  );
  return result.rows[0]?.run ?? null;
}
