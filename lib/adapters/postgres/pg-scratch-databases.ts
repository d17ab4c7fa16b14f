import type { MigrationDatabase, ScratchDatabases } from '../../ports';
import type { PgConnection } from './connect';
import { PgMigrationDatabase } from './pg-migration-database';
import { withScratchConnection } from './scratch-database';
import { describeConnection } from './target';

/**
 * The PostgreSQL adapter of {@link ScratchDatabases}: each scratch database
 * is created on the target's server (see `withScratchDatabase`), as the
 * target's user, and gets a ledger in the same schema as the target's, so
 * that the same schema is left out of both fingerprints. `connection` is a
 * URL, or a factory of settings with `server` naming it (the migrate
 * function's connection: an IAM token or a secret's password per connection).
 *
 * @example
 * const scratch = new PgScratchDatabases(url, 'stagegate');
 * await scratch.withScratch('stagegate adopt', (db) => db.withLock({ waitMs: 1000 }, replay));
 */
export class PgScratchDatabases implements ScratchDatabases {
  private readonly server: string;

  constructor(
    private readonly connection: PgConnection,
    private readonly schema: string,
    server?: string,
  ) {
    this.server = server ?? (typeof connection === 'string' ? describeConnection(connection) : 'the target\'s server');
  }

  withScratch<T>(purpose: string, fn: (db: MigrationDatabase) => Promise<T>): Promise<T> {
    return withScratchConnection({ connection: this.connection, server: this.server }, purpose, (scratch) => fn(new PgMigrationDatabase({ connection: scratch, schema: this.schema })));
  }
}
