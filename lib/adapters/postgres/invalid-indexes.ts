/**
 * The indexes a `CREATE INDEX CONCURRENTLY` left INVALID (it failed, or
 * still runs), in the managed schemas: what `resolve --applied` checks.
 */
import type pg from 'pg';
import type { LedgerTables } from './ledger';
import { MANAGED_SCHEMAS } from './schema-units';

/**
 * Every INVALID index of the managed schemas (every ledger's excluded), by
 * schema, table and name. A partitioned table's own index (relkind `I`) is
 * left out: made `ON ONLY` the table, it is INVALID by design until an index
 * of each partition is attached, which no `CONCURRENTLY` left half-built.
 */
export async function selectInvalidIndexes(client: pg.Client, t: LedgerTables): Promise<{ schema: string; table: string; index: string }[]> {
  const result = await client.query<{ schema: string; table: string; index: string }>(
    `select n.nspname as schema, c.relname as table, i.relname as index
       from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class c on c.oid = x.indrelid join pg_namespace n on n.oid = i.relnamespace
      where not x.indisvalid and i.relkind = 'i' and ${MANAGED_SCHEMAS}
      order by 1, 2, 3`,
    [[t.schema]],
  );
  return result.rows;
}
