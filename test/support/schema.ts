import type { TestDatabase } from './database';

/**
 * A comparable description of the `public` schema: columns with type,
 * nullability and default, constraints and indexes. Two databases built by
 * the same migrations give equal snapshots.
 */
export async function schemaSnapshot(db: TestDatabase): Promise<string[]> {
  const columns = await db.query<{ line: string }>(
    `select format('column %s.%s %s null=%s default=%s', table_name, column_name, data_type, is_nullable, coalesce(column_default, '-')) as line
       from information_schema.columns where table_schema = 'public'`,
  );
  const constraints = await db.query<{ line: string }>(
    `select format('constraint %s %s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid)) as line
       from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = 'public'`,
  );
  const indexes = await db.query<{ line: string }>(`select format('index %s', indexdef) as line from pg_indexes where schemaname = 'public'`);
  return [...columns, ...constraints, ...indexes].map((r) => r.line).sort();
}
