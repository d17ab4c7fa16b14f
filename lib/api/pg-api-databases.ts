import type { DatabaseSettings } from '../adapters/lambda/environment-database';
import { PgApiDatabase, type PgApiDatabaseDependencies } from './pg-api-database';

/**
 * Keeps the {@link PgApiDatabase} of the current settings at module scope,
 * so warm invocations reuse its connection. Settings are read on every
 * invocation; should they differ from last time, the old pool is ended and
 * a new one built, rather than serving a stale database.
 *
 * @example
 * const databases = new PgApiDatabases({ clients: new AwsCredentialClients(), logger }); // at module scope
 * const db = databases.for(parseDatabaseEnvironment(process.env).database);
 */
export class PgApiDatabases {
  // The key may hold a password (a DATABASE_URL); it stays in memory and is never logged.
  private current: { key: string; database: PgApiDatabase } | null = null;

  constructor(private readonly deps: PgApiDatabaseDependencies) {}

  /** The database for these settings: the same one while they do not change. */
  for(settings: DatabaseSettings): PgApiDatabase {
    const key = JSON.stringify(settings);
    if (this.current?.key === key) return this.current.database;
    void this.current?.database.close();
    this.current = { key, database: new PgApiDatabase(settings, this.deps) };
    return this.current.database;
  }

  /** Ends the current pool, if any. */
  async close(): Promise<void> {
    const current = this.current;
    this.current = null;
    await current?.database.close();
  }
}
