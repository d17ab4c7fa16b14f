import { ErrorCode, MigrationRunnerError } from './errors-base';

/**
 * `resolve --applied` refused: the database shows that the migration did not
 * take effect completely (an index a `CREATE INDEX CONCURRENTLY` left
 * INVALID). Nothing was changed.
 *
 * @example
 * throw new ResolveRefusedError('shop/0004_index', [{ schema: 'public', table: 'orders', index: 'orders_code' }]);
 */
export class ResolveRefusedError extends MigrationRunnerError {
  constructor(id: string, invalid: readonly { schema: string; table: string; index: string }[]) {
    const names = invalid.map((i) => `index ${i.schema}.${i.table}.${i.index}`).join(', ');
    const first = invalid[0];
    const qualified = first ? `${sqlName(first.schema)}.${sqlName(first.index)}` : '<index>';
    super(
      ErrorCode.RESOLVE_REFUSED,
      `stagegate resolve ${id} --applied refused: ${names} ${invalid.length === 1 ? 'is' : 'are'} INVALID: a CREATE INDEX CONCURRENTLY did not finish, so not every statement took effect (nothing uses an INVALID index).`,
      {
        remedy:
          `Either drop it (\`DROP INDEX CONCURRENTLY ${qualified}\`), fix what made it fail (duplicates, a lock), and run \`stagegate resolve ${id} --rolled-back\` so the next migrate builds it again; ` +
          `or rebuild it (\`REINDEX INDEX CONCURRENTLY ${qualified}\`) and run \`stagegate resolve ${id} --applied\` again. Nothing was changed.`,
        details: { migration: id, invalidIndexes: invalid },
      },
    );
    this.name = 'ResolveRefusedError';
  }
}

/** A name as SQL spells it: quoted unless it is a plain lower-case identifier. */
function sqlName(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
