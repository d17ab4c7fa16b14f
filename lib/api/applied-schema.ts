import { ledgerTables } from '../adapters/postgres/ledger';
import type { Queryable } from './organizations';

/**
 * The id of the migration stagegate applied most recently (by `applied_at`,
 * ties by id), read from its ledger, or null when there is no ledger or no
 * applied migration. Migrations that failed or are still running (a
 * `no-transaction` one) do not count. This says which schema the database
 * has, and so which API versions it suits; with the example migrations it is
 * `organization/0003_organization_name_index`.
 *
 * @example
 * await lastAppliedMigration(client, 'stagegate'); // 'organization/0003_organization_name_index'
 */
export async function lastAppliedMigration(client: Queryable, schema: string): Promise<string | null> {
  const tables = ledgerTables(schema);
  // to_regclass answers null rather than failing when the ledger was never created.
  const found = await client.query<{ found: boolean }>('select to_regclass($1) is not null as found', [tables.migrations]);
  if (found.rows[0]?.found !== true) return null;
  const result = await client.query<{ id: string }>(
    `select id from ${tables.migrations} where state = $1 order by applied_at desc, id desc limit 1`,
    ['applied'],
  );
  return result.rows[0]?.id ?? null;
}
