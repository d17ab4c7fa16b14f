/**
 * Several queries in one round trip on a client in pg's pipeline mode: all
 * written at once, their answers read in order.
 */
import type pg from 'pg';
import { settle, type Settled } from '../../core/settled';

/** One query's answer, settled: a result or the error. */
export type Answer = Settled<pg.QueryResult>;

/**
 * Sends every query before reading any answer (on a pipelined client) and
 * returns their answers, which never reject: the answers after a failure
 * are usually never read. The socket is corked meanwhile, so the messages
 * leave in one write rather than one per message, as pg writes them.
 *
 * @example
 * const [begin, insert, commit] = sendAll(client, ['begin', { text: 'insert into t values ($1)', values: [1] }, 'commit']);
 */
export function sendAll(client: pg.Client, queries: ReadonlyArray<string | pg.QueryConfig>): Array<Promise<Answer>> {
  const socket = client.connection.stream;
  socket.cork();
  try {
    return queries.map((query) => settle(typeof query === 'string' ? client.query(query) : client.query(query)));
  } finally {
    socket.uncork();
  }
}

/**
 * The result of an answer, or its error thrown as `fail` makes it.
 *
 * @example
 * const result = await resultOf(answer, (error) => databaseError(error, 'writing the row'));
 */
export async function resultOf(answer: Promise<Answer>, fail: (error: unknown) => unknown = (error) => error): Promise<pg.QueryResult> {
  const settled = await answer;
  if (settled.ok) return settled.value;
  throw fail(settled.error);
}

/**
 * Runs `queries` (the first `begin`, the last `commit`) as one transaction:
 * on a pipelined client all written at once, in one round trip (after a
 * failure the rest fails with 25P02 and COMMIT answers ROLLBACK), else one
 * by one. Throws the first failure, after a rollback, and when the server
 * did not answer the commit with COMMIT (`what` says what was not done).
 *
 * @example
 * await transactionInOneWrite(client, ['begin', 'create table t (id int)', 'commit'], 'the table was not created');
 */
export async function transactionInOneWrite(client: pg.Client, queries: ReadonlyArray<string | pg.QueryConfig>, what: string): Promise<void> {
  try {
    const answers = client.pipeline ? sendAll(client, queries) : null;
    let committed: pg.QueryResult | undefined;
    for (const [index, query] of queries.entries()) {
      committed = answers ? await resultOf(answers[index] as Promise<Answer>) : await (typeof query === 'string' ? client.query(query) : client.query(query));
    }
    if (committed?.command !== 'COMMIT') throw new Error(`the server answered COMMIT with ${committed?.command}: ${what}`);
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}
