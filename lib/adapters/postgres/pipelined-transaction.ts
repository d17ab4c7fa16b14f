/**
 * A script's transaction in one round trip: begin, the timeouts, every
 * statement, the ledger change and commit are written at once (pg's pipeline
 * mode), then their answers are read in order. The server still runs them
 * one by one: after a failure the rest of the transaction fails with 25P02
 * and its COMMIT answers ROLLBACK, so nothing of it stays.
 */
import type pg from 'pg';
import { transactionControlIn, statementHead } from '../../core/transaction-control';
import { databaseError, migrationFailedError } from './errors';
import { SERVER_MEASURED, timeoutsQuery, type LedgerChange, type Script } from './script';

type Answer = { ok: true; result: pg.QueryResult } | { ok: false; error: unknown };

/** Sends a query; the answer never rejects, since the answers after a failure are never read. */
function send(client: pg.Client, query: string | pg.QueryConfig): Promise<Answer> {
  const sent = typeof query === 'string' ? client.query(query) : client.query(query);
  return sent.then(
    (result): Answer => ({ ok: true, result }),
    (error: unknown): Answer => ({ ok: false, error }),
  );
}

/** The result of an answer, or its error thrown as `fail` makes it. */
async function resultOf(answer: Promise<Answer>, fail: (error: unknown) => unknown = (error) => error): Promise<pg.QueryResult> {
  const settled = await answer;
  if (settled.ok) return settled.result;
  throw fail(settled.error);
}

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

function durationOf(result: pg.QueryResult, started: number): number {
  const recorded: unknown = result.rows[0]?.duration_ms;
  return typeof recorded === 'number' ? recorded : Math.round(performance.now() - started);
}

/**
 * Runs `script` and `change` in one pipelined transaction and returns the
 * duration the change recorded (else the one measured here). The first
 * failure is the step's: a statement's names its line and SQLSTATE, a failing
 * COMMIT (a deferred constraint) names none. Success only when the server
 * answered COMMIT. On a throw the caller rolls back (a no-op when the
 * pipelined COMMIT already ended the transaction).
 *
 * @example
 * const durationMs = await pipelinedTransaction(client, script, true, change);
 */
export async function pipelinedTransaction(client: pg.Client, script: Script, withTimeouts: boolean, change: LedgerChange): Promise<number> {
  const started = performance.now();
  const { migration, reverting } = script;
  const begin = send(client, 'begin');
  const timeouts = withTimeouts ? send(client, timeoutsQuery(script, true)) : null;
  const statements = script.statements.map((statement) => ({ statement, answer: send(client, statement.sql) }));
  const written = send(client, change.query(SERVER_MEASURED));
  const commit = send(client, 'commit');
  await resultOf(begin);
  if (timeouts) await resultOf(timeouts);
  for (const { statement, answer } of statements) {
    await resultOf(answer, (error) => migrationFailedError(error, migration, statement, reverting));
  }
  const durationMs = durationOf(await resultOf(written, (error) => databaseError(error, change.doing)), started);
  // Deferred constraints are checked here, so a failing COMMIT is the migration's failure.
  const committed = await resultOf(commit, (error) => migrationFailedError(error, migration, null, reverting));
  if (committed.command !== 'COMMIT') {
    // Every answer before it was a success, so this cannot happen; if it does, nothing was committed.
    throw migrationFailedError(new Error(`the server answered COMMIT with ${committed.command}: nothing was committed`), migration, null, reverting);
  }
  return durationMs;
}
