import { PgMigrationDatabase } from '../../lib/adapters/postgres';
import { createTestDatabase } from '../support/database';
import { describeMigrationDatabaseContract } from './migration-database.contract';

describeMigrationDatabaseContract('PgMigrationDatabase', async () => {
  const database = await createTestDatabase();
  const schema = 'stagegate';
  return {
    db: new PgMigrationDatabase({ connectionString: database.url, schema, lockPollMs: 20 }),
    schema,
    query: (sql, params) => database.query(sql, params),
    cleanup: () => database.drop(),
  };
});
