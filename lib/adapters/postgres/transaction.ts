/**
 * One transaction on a client the caller holds.
 */
import type pg from 'pg';

/**
 * Runs `fn` between `begin` and `commit`; if `fn` throws, rolls back and
 * rethrows. A failed rollback is ignored: the error of `fn` is what the
 * caller needs, and a broken connection ends the transaction anyway.
 *
 * @example
 * await withTransaction(client, async () => {
 *   await client.query('delete from stagegate.meta where key = $1', ['complete_bundle']);
 * });
 */
export async function withTransaction(client: pg.ClientBase, fn: () => Promise<void>): Promise<void> {
  await client.query('begin');
  try {
    await fn();
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}
