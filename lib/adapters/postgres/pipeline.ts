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
