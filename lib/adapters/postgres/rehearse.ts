/**
 * A rehearsal on PostgreSQL: one transaction, a savepoint per migration,
 * and a ROLLBACK at the end on every path. The engine decided what to
 * rehearse; this module runs it and reports what happened.
 */
import type pg from 'pg';
import { MigrationFailedError } from '../../core/errors';
import { NO_TRANSACTION_REASON, OUT_OF_TIME_REASON, RehearsalStatus, type RehearsalOutcome } from '../../core/rehearsal';
import type { RehearsalLimits, RehearseRequest } from '../../ports';
import { setTimeouts, timeoutsQuery } from './script';
import { cancelsDelivered, notSentAtDeadline, sendCancelRequest } from './cancel-request';
import { databaseError, migrationFailedError } from './errors';
import { withFacts } from './failure-facts';
import { sessionRestoreQueries } from './session-restore';

const SAVEPOINT = 'stagegate_rehearsal';

function elapsedSince(started: number): number {
  return Math.round(performance.now() - started);
}

const QUERY_CANCELED = '57014';
const OWN_TIMEOUT = /statement_timeout/i;

/**
 * The limits with statement_timeout cut to the time left before `stopAt`
 * (1 ms once it passed, so the statement is cancelled at once), or null when
 * the configured one ends sooner.
 */
function cappedToDeadline(limits: RehearsalLimits): RehearsalLimits | null {
  if (limits.stopAt === undefined) return null;
  const left = Math.max(1, Math.floor(limits.stopAt - Date.now()));
  return limits.statementTimeoutMs !== 0 && limits.statementTimeoutMs <= left ? null : { ...limits, statementTimeoutMs: left };
}

/** A cancel timer for one migration: whether it fired, and how to stop it (resolving once its cancel was delivered). */
interface DeadlineCancel {
  fired: boolean;
  stop(): Promise<void>;
}

/**
 * For a migration whose own statement_timeout outlasts the cap: cancels what
 * runs at `stopAt` (PostgreSQL's cancel request), since no timeout of ours
 * cuts its statements then. Null without a deadline.
 */
function cancelAtDeadline(client: pg.Client, stopAt: number | undefined): DeadlineCancel | null {
  if (stopAt === undefined) return null;
  const watch: DeadlineCancel = {
    fired: false,
    stop: () => {
      clearTimeout(timer);
      // Nothing more is sent (the savepoint's rollback or release) until a cancel sent has arrived.
      return cancelsDelivered(client);
    },
  };
  const timer = setTimeout(() => {
    watch.fired = true;
    void sendCancelRequest(client);
  }, Math.max(0, stopAt - Date.now()));
  timer.unref?.();
  return watch;
}

/** Runs one request inside its savepoint; a failure rolls back to it and gathers the facts. */
async function rehearseOne(client: pg.Client, request: RehearseRequest, limits: RehearsalLimits): Promise<RehearsalOutcome> {
  const { id, file } = request.migration;
  const started = performance.now();
  // statement_timeout bounds one statement: cut it again before each, so the migration as a whole keeps to
  // the deadline; only before the first when the migration sets its own, which then holds as in a real run.
  const recap = !request.statements.some((statement) => OWN_TIMEOUT.test(statement.sql));
  let capped = false;
  await client.query(`savepoint ${SAVEPOINT}`);
  const cancel = recap ? null : cancelAtDeadline(client, limits.stopAt);
  for (const [index, statement] of request.statements.entries()) {
    try {
      const cap = index === 0 || recap ? cappedToDeadline(limits) : null;
      if (cap) await client.query(timeoutsQuery(cap, true));
      capped = cap !== null;
      // A cancel that reached the server between two statements cut nothing: past the deadline, send no more.
      if (cancel?.fired === true) throw notSentAtDeadline();
      await client.query(statement.sql);
    } catch (caught) {
      const durationMs = elapsedSince(started);
      const error = migrationFailedError(caught, request.migration, statement);
      await cancel?.stop();
      // A lost connection ends the rehearsal; the server rolls the transaction back.
      if (error.failure.connectionLost) throw error;
      await client.query(`rollback to savepoint ${SAVEPOINT}`);
      // Cancelled by the timeout the deadline shortened, or at the deadline: out of time, not a failure of the migration.
      const cut = (capped || cancel?.fired === true) && error.failure.sqlstate === QUERY_CANCELED;
      const explained = cut ? null : await withFacts(client, error, true);
      await client.query(`release savepoint ${SAVEPOINT}`);
      if (explained === null) return { id, file, status: RehearsalStatus.NOT_REHEARSABLE, reason: OUT_OF_TIME_REASON, outOfTime: true };
      return { id, file, status: RehearsalStatus.FAILED, durationMs, failure: explained.failure };
    }
  }
  await cancel?.stop();
  // As a real run does: the next migration sees the session without this one's settings (its limits kept).
  for (const query of sessionRestoreQueries(request, limits)) await client.query(query);
  await client.query(`release savepoint ${SAVEPOINT}`);
  return { id, file, status: RehearsalStatus.REHEARSED, durationMs: elapsedSince(started) };
}

/** Why a request is skipped, or null when it runs. */
function skipReason(request: RehearseRequest, blocked: ReadonlyMap<string, string>): string | null {
  if (request.migration.directives.noTransaction) return NO_TRANSACTION_REASON;
  const on = request.dependsOn.find((dependency) => blocked.has(dependency));
  if (on === undefined) return null;
  const root = blocked.get(on) as string;
  return on === root ? `depends on ${on}, which failed` : `depends on ${on}, which was not rehearsed because ${root} failed`;
}

async function rehearseAll(client: pg.Client, requests: readonly RehearseRequest[], limits: RehearsalLimits): Promise<RehearsalOutcome[]> {
  const outcomes: RehearsalOutcome[] = [];
  // Failed ids, and ids skipped because of one, each with the failed id at the root.
  const blocked = new Map<string, string>();
  let outOfTime = false;
  for (const request of requests) {
    const { id, file } = request.migration;
    // Refused by the engine before the rehearsal began: its failure needs no time and no statement of it.
    if (request.refused) {
      blocked.set(id, id);
      outcomes.push({ id, file, status: RehearsalStatus.FAILED, durationMs: 0, failure: request.refused });
      continue;
    }
    outOfTime ||= limits.stopAt !== undefined && Date.now() >= limits.stopAt;
    if (outOfTime) {
      outcomes.push({ id, file, status: RehearsalStatus.NOT_REHEARSABLE, reason: OUT_OF_TIME_REASON, outOfTime: true });
      continue;
    }
    const reason = skipReason(request, blocked);
    if (reason !== null) {
      const on = request.dependsOn.find((dependency) => blocked.has(dependency));
      if (on !== undefined) blocked.set(id, blocked.get(on) as string);
      outcomes.push({ id, file, status: RehearsalStatus.NOT_REHEARSABLE, reason });
      continue;
    }
    const outcome = await rehearseOne(client, request, limits);
    if (outcome.status === RehearsalStatus.FAILED) blocked.set(id, id);
    outOfTime = outcome.outOfTime === true;
    outcomes.push(outcome);
  }
  return outcomes;
}

/**
 * Rehearses `requests` in one transaction that is always rolled back (see
 * `LedgerSession.rehearse` for the contract). `limits` become the
 * transaction's local `lock_timeout` and `statement_timeout`.
 *
 * @example
 * const outcomes = await rehearseMigrations(client, requests, { lockTimeoutMs: 2_000, statementTimeoutMs: 60_000 });
 */
export async function rehearseMigrations(client: pg.Client, requests: readonly RehearseRequest[], limits: RehearsalLimits): Promise<RehearsalOutcome[]> {
  if (requests.length === 0) return [];
  try {
    await client.query('begin');
    await setTimeouts(client, limits, true);
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw databaseError(error, 'starting the rehearsal');
  }
  try {
    return await rehearseAll(client, requests, limits);
  } catch (error) {
    throw error instanceof MigrationFailedError ? error : databaseError(error, 'rehearsing the migrations');
  } finally {
    // Leaves no trace, whatever happened: nothing of the rehearsal is ever committed.
    await client.query('rollback').catch(() => undefined);
  }
}
