/** The PostgreSQL adapter: {@link PgMigrationDatabase} and the helpers entry points need. */
export {
  PgMigrationDatabase,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_LEDGER_SCHEMA,
  DEFAULT_LOCK_POLL_MS,
  type PgMigrationDatabaseOptions,
} from './pg-migration-database';
export { APPLICATION_NAME, withClient, type PgConnection } from './connect';
export { describeConnection, formatTarget, type ConnectionTarget } from './target';
export { LOCK_CLASS_ID, lockKey, withAdvisoryLock, type LockKey } from './lock';
export { LEDGER_REVISION, LEDGER_VERSION, ledgerDdl, ledgerTables, type LedgerTables } from './ledger';
export { PgScratchDatabases } from './pg-scratch-databases';
