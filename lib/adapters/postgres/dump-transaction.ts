/**
 * The transaction the squash's catalog readers run in.
 */
import type pg from 'pg';

/**
 * Runs `fn` in a read-only transaction with `search_path` set to
 * `pg_catalog`, so every name the catalog functions print is qualified, and
 * always rolls back: nothing was written, and the setting must not outlive it.
 *
 * @example
 * const rows = await withCatalogTransaction(client, async () => (await client.query(DUMP_OBJECTS_SQL, [['stagegate']])).rows);
 */
export async function withCatalogTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('begin read only');
  try {
    await client.query("select set_config('search_path', 'pg_catalog', true)");
    return await fn();
  } finally {
    await client.query('rollback');
  }
}
