/**
 * A script's transaction in one round trip: begin, the timeouts, every
 * statement, the ledger change and commit are written at once (pg's pipeline
 * mode), then their answers are read in order. The server still runs them
 * one by one: after a failure the rest of the transaction fails with 25P02
 * and its COMMIT answers ROLLBACK, so nothing of it stays.
 *
 * A transaction may be written behind another one not yet answered (its
 * `after`): the server runs them in order, and after the first one's failure
 * it goes on with the second one's messages. So the second one first checks
 * that the first one committed (its ledger row set `COMMITTED_SETTING`), and
 * fails there, before any of its statements, when it did not.
 */
import type pg from 'pg';
import { transactionControlIn, statementHead } from '../../core/transaction-control';
import { notRunError } from './apply-chain';
import { databaseError, migrationFailedError, sqlstateOf } from './errors';
import { COMMITTED_SETTING } from './ledger-rows';
import { resultOf, sendAll, type Answer } from './pipeline';
import { SERVER_MEASURED, timeoutsQuery, type LedgerChange, type Script, type Timeouts } from './script';
import { sessionRestoreQueries } from './session-restore';

/** `COPY … FROM STDIN` switches the connection into copy mode: messages sent behind it would be read as part of it. */
const COPY = /^copy\b/i;

/**
 * True when `script` may be pipelined on `client`: the client is in pipeline
 * mode, no statement controls the transaction (after a COMMIT of its own, a
 * statement behind a failure would run in autocommit) and none is a COPY.
 *
 * @example
 * if (pipelinable(client, script)) await pipelinedTransaction(client, script, false, change);
 */
export function pipelinable(client: pg.Client, script: Script): boolean {
  return client.pipeline && transactionControlIn(script.statements) === null && !script.statements.some((s) => COPY.test(statementHead(s.sql)));
}

/**
 * Fails (22P02, casting the reason to boolean) unless the migration `$1`
 * committed on this session. `current_setting` is stable, so the CASE is not
 * folded away when the statement is planned; the setting is null until the
 * session's first row.
 */
const COMMITTED_BEFORE = `select (case when coalesce(pg_catalog.current_setting('${COMMITTED_SETTING}', true), '') = $1
                                then 'true' else 'the migration before this one did not commit' end)::boolean as committed_before`;
const INVALID_TEXT_REPRESENTATION = '22P02';

/** The check that `after` committed, whose failure means that this transaction did not run. */
function guardStep(id: string, after: string): Step {
  return {
    // Prepared once per session, as the ledger row is: the same text on every schema.
    query: { name: 'stagegate_committed_before', text: COMMITTED_BEFORE, values: [after] },
    fail: (error) => (sqlstateOf(error) === INVALID_TEXT_REPRESENTATION ? notRunError(id, after, error) : error),
  };
}

/** One query of the transaction and how its error becomes the step's (as it is, by default). */
interface Step {
  query: string | pg.QueryConfig;
  fail?: (error: unknown) => unknown;
}

/** The duration the ledger change recorded, else the one measured here (until its answer came). */
function durationOf(written: pg.QueryResult, measuredMs: number): number {
  const recorded: unknown = written.rows[0]?.duration_ms;
  return typeof recorded === 'number' ? recorded : Math.round(measuredMs);
}

/**
 * Runs `script` and `change` in one pipelined transaction and returns the
 * duration the change recorded (else the one measured here). The first
 * failure is the step's: a statement's names its line and SQLSTATE, a failing
 * COMMIT (a deferred constraint) names none. Success only when the server
 * answered COMMIT. On a throw the caller rolls back (a no-op when the
 * pipelined COMMIT already ended the transaction), except after the check of
 * `script.after` failed (`isNotRun`): then nothing ran, its COMMIT answers
 * ROLLBACK, and it must send nothing more, as the one before it is reporting.
 *
 * @example
 * const durationMs = await pipelinedTransaction(client, script, true, change);
 */
export async function pipelinedTransaction(
  client: pg.Client,
  script: Script,
  withTimeouts: boolean,
  change: LedgerChange,
  session?: Timeouts,
): Promise<number> {
  const started = performance.now();
  const { migration, reverting } = script;
  const steps: Step[] = [
    { query: 'begin' },
    ...(script.after ? [guardStep(migration.id, script.after)] : []),
    ...(withTimeouts ? [{ query: timeoutsQuery(script, true) }] : []),
    ...script.statements.map((statement) => ({ query: statement.sql, fail: (error: unknown) => migrationFailedError(error, migration, statement, reverting) })),
    ...sessionRestoreQueries(script, session, script).map((query) => ({ query, fail: (error: unknown) => databaseError(error, `restoring the session settings ${migration.id} changed`) })),
    { query: change.query(SERVER_MEASURED), fail: (error) => databaseError(error, change.doing) },
    // Deferred constraints are checked here, so a failing COMMIT is the migration's failure.
    { query: 'commit', fail: (error) => migrationFailedError(error, migration, null, reverting) },
  ];
  const answers = sendAll(client, steps.map((step) => step.query));
  const results: pg.QueryResult[] = [];
  // In order: the first failure is the step's; the answers behind it (25P02, COMMIT answered ROLLBACK) are never read.
  let writtenAt = started;
  for (const [index, step] of steps.entries()) {
    results.push(await resultOf(answers[index] as Promise<Answer>, step.fail));
    if (index === steps.length - 2) writtenAt = performance.now();
  }
  const [written, committed] = results.slice(-2) as [pg.QueryResult, pg.QueryResult];
  if (committed.command !== 'COMMIT') {
    // Every answer before it was a success, so this cannot happen; if it does, nothing was committed.
    throw migrationFailedError(new Error(`the server answered COMMIT with ${committed.command}: nothing was committed`), migration, null, reverting);
  }
  change.written?.(written);
  return durationOf(written, writtenAt - started);
}
