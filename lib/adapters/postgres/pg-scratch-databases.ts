import type { MigrationDatabase, ScratchDatabases } from '../../ports';
import { PgMigrationDatabase } from './pg-migration-database';
import { withScratchDatabase } from './scratch-database';

/**
 * The PostgreSQL adapter of {@link ScratchDatabases}: each scratch database
 * is created on the target's server (see `withScratchDatabase`) and gets a
 * ledger in the same schema as the target's, so that the same schema is left
 * out of both fingerprints.
 *
 * @example
 * const scratch = new PgScratchDatabases(url, 'stagegate');
 * await scratch.withScratch('stagegate adopt', (db) => db.withLock({ waitMs: 1000 }, replay));
 */
export class PgScratchDatabases implements ScratchDatabases {
  constructor(
    private readonly connectionString: string,
    private readonly schema: string,
  ) {}

  withScratch<T>(purpose: string, fn: (db: MigrationDatabase) => Promise<T>): Promise<T> {
    return withScratchDatabase(this.connectionString, purpose, (url) => fn(new PgMigrationDatabase({ connectionString: url, schema: this.schema })));
  }
}
