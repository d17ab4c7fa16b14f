import { ConfigInvalidError } from '../../core/errors';
import type { LedgerReader, LedgerSession, LockOptions, MigrationDatabase } from '../../ports';
import { readDrift } from './baseline';
import { withClient, type PgConnection } from './connect';
import { mappingErrors } from './errors';
import { abandonRuns, selectLastRun } from './ledger-runs';
import { ensureLedger, ledgerTables, type LedgerTables } from './ledger';
import { readLedgerRows } from './ledger-snapshot';
import { readOpening, trustedMark, type LedgerOpening } from './ledger-opening';
import { withAdvisoryLock } from './lock';
import { PgLedgerSession } from './pg-ledger-session';

/** The ledger schema when configuration names none. */
export const DEFAULT_LEDGER_SCHEMA = 'stagegate';
/** Pause between two attempts to take the lock. */
export const DEFAULT_LOCK_POLL_MS = 200;
/** Limit on opening a connection. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Settings shared by both ways of naming the database. */
interface CommonOptions {
  /** Ledger schema, any name (it is always quoted). Default `stagegate`. */
  schema?: string;
  /** Pause between lock attempts, in ms (plus up to 25 % jitter). Default 200. */
  lockPollMs?: number;
  /** Limit on opening a connection, in ms. Default 10 000. */
  connectTimeoutMs?: number;
}

/**
 * `connectionString` for a plain URL; `connection` also accepts a factory of
 * `pg.ClientConfig`, called for every connection (e.g. to mint an RDS IAM token).
 */
export type PgMigrationDatabaseOptions = CommonOptions &
  ({ connectionString: string; connection?: never } | { connection: PgConnection; connectionString?: never });

/**
 * The PostgreSQL adapter of {@link MigrationDatabase}: one connection per
 * session, a polled session advisory lock per ledger schema, and the ledger
 * in its own schema (`migrations`, `runs`, `meta`, `schema_objects`).
 *
 * @example
 * const db = new PgMigrationDatabase({ connectionString: process.env.DATABASE_URL!, schema: 'stagegate' });
 * await db.withLock({ waitMs: 30_000 }, async (session) => {
 *   const { rows } = await session.readLedger();
 *   // plan, then session.apply(...) for each pending migration
 * });
 */
export class PgMigrationDatabase implements MigrationDatabase {
  private readonly connection: PgConnection;
  private readonly schema: string;
  private readonly tables: LedgerTables;
  private readonly lockPollMs: number;
  private readonly connectTimeoutMs: number;

  constructor(options: PgMigrationDatabaseOptions) {
    this.connection = options.connection ?? options.connectionString;
    this.schema = options.schema ?? DEFAULT_LEDGER_SCHEMA;
    if (this.schema === '') {
      throw new ConfigInvalidError([{ key: 'schema', problem: 'the ledger schema name must not be empty' }]);
    }
    this.tables = ledgerTables(this.schema);
    this.lockPollMs = options.lockPollMs ?? DEFAULT_LOCK_POLL_MS;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  withLock<T>(options: LockOptions, fn: (session: LedgerSession) => Promise<T>): Promise<T> {
    // Pipelined, so a migration's transaction is sent in one round trip (see pipelined-transaction.ts);
    // everything else on this client awaits each query, as without pipelining.
    return withClient(this.connection, { connectTimeoutMs: this.connectTimeoutMs, pipeline: true, ready: options.ready }, (client) => {
      const lock = { schema: this.schema, waitMs: options.waitMs, pollMs: this.lockPollMs, ...(options.stop ? { stop: options.stop } : {}) };
      if (options.readOnly) return withAdvisoryLock(client, lock, () => fn(new PgLedgerSession(client, this.tables, options.timeouts, false)));
      // Read with the first attempt at the lock; a failed read is read again, and its error mapped, below.
      const opening = (): Promise<LedgerOpening | undefined> => readOpening(client, this.tables).catch(() => undefined);
      return withAdvisoryLock(
        client,
        lock,
        async (read) => {
          // Only now, holding the lock, may the ledger be created: two runs must not race on CREATE.
          const created = await mappingErrors('creating the ledger', () => ensureLedger(client, this.tables, read?.format));
          // We hold the lock, so a run still marked running belongs to a process that died (a new ledger has no run).
          if (!created && read?.running !== false) await mappingErrors('closing abandoned runs', () => abandonRuns(client, this.tables));
          const mark = read ? trustedMark(read.format) : undefined;
          return fn(new PgLedgerSession(client, this.tables, options.timeouts, true, created, mark));
        },
        opening,
      );
    });
  }

  withReader<T>(fn: (reader: LedgerReader) => Promise<T>, ready?: Promise<unknown>): Promise<T> {
    return withClient(this.connection, { connectTimeoutMs: this.connectTimeoutMs, ready }, (client) => {
      const reader: LedgerReader = {
        readLedger: () => mappingErrors('reading the ledger', () => readLedgerRows(client, this.tables)),
        readDrift: () => mappingErrors('comparing the schema with its baseline', () => readDrift(client, this.tables)),
        readLastRun: () => mappingErrors('reading the last run', () => selectLastRun(client, this.tables)),
      };
      return fn(reader);
    });
  }
}
