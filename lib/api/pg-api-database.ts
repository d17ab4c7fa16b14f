import pg from 'pg';
import { credentialsConnection, iamConnection, urlConnection, type DatabaseConnection } from '../adapters/lambda/connections';
import type { DatabaseSettings } from '../adapters/lambda/environment-database';
import { readSecretCredentials } from '../adapters/lambda/secret-credentials';
import type { CredentialClients } from '../adapters/lambda/with-lambda-database';
import { connectionError, isConnectionLost } from '../adapters/postgres/errors';
import { formatTarget, type ConnectionTarget } from '../adapters/postgres/target';
import { ErrorCode, MigrationRunnerError } from '../core/errors';
import type { Logger } from '../ports';
import { DEFAULT_POOL_TIMEOUTS, poolSettings, type PoolTimeouts } from './pool-options';

/** The database as the routes see it. */
export interface ApiDatabase {
  /**
   * Runs `fn` on a connection and hands the connection back. Failing to
   * connect is `DATABASE_UNREACHABLE`, `DATABASE_AUTH_FAILED` or
   * `CREDENTIALS_UNAVAILABLE`. When `idempotent`, a connection found dead
   * (e.g. closed by the server while the instance was frozen) is replaced
   * and `fn` runs once more; a write is never repeated, as it may have
   * happened.
   */
  withClient<T>(fn: (client: pg.ClientBase) => Promise<T>, options: { idempotent: boolean }): Promise<T>;
}

export interface PgApiDatabaseDependencies {
  clients: CredentialClients;
  logger: Logger;
  timeouts?: PoolTimeouts;
}

interface OpenPool {
  pool: pg.Pool;
  target: ConnectionTarget;
}

/**
 * A `pg.Pool` of one connection for one set of database settings, opened on
 * first use and kept for the life of the instance. A connection that fails
 * is dropped and the next request opens another. With a Secrets Manager
 * secret, the secret is read when the pool opens; when the server later
 * refuses those credentials (the secret was rotated), the pool is replaced
 * by one built from a fresh read, and the connection is tried once more.
 *
 * @example
 * const database = new PgApiDatabase(settings, { clients: new AwsCredentialClients(), logger });
 * const rows = await database.withClient((client) => listOrganizations(client, 50), { idempotent: true });
 */
export class PgApiDatabase implements ApiDatabase {
  private open: Promise<OpenPool> | null = null;

  constructor(
    private readonly settings: DatabaseSettings,
    private readonly deps: PgApiDatabaseDependencies,
  ) {}

  async withClient<T>(fn: (client: pg.ClientBase) => Promise<T>, options: { idempotent: boolean }): Promise<T> {
    try {
      return await this.attempt(fn);
    } catch (error) {
      // A failure to connect was about a new connection already; only a connection found dead is worth a retry.
      if (!options.idempotent || error instanceof MigrationRunnerError || !isConnectionLost(error)) throw error;
      this.deps.logger.warn('database.connection_lost', { reason: (error as Error).message, next: 'retrying once on a new connection' });
      return this.attempt(fn);
    }
  }

  /** Ends the pool; the next request opens a new one. */
  async close(): Promise<void> {
    const open = this.open;
    this.open = null;
    if (open !== null) await open.then((o) => o.pool.end()).catch(() => undefined);
  }

  private async attempt<T>(fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    const client = await this.connect();
    // The pool listens for errors only on idle clients. A connection that dies while checked out
    // emits one too, and unheard it would crash the process; the next query rejects anyway.
    let lost: Error | undefined;
    const onError = (error: Error): void => void (lost = error);
    client.on('error', onError);
    try {
      const result = await fn(client);
      client.off('error', onError);
      client.release(lost);
      return result;
    } catch (error) {
      client.off('error', onError);
      // An error the server answered with leaves the connection usable; anything else (lost, timed out) may not.
      const healthy = lost === undefined && error instanceof pg.DatabaseError && !isConnectionLost(error);
      client.release(healthy ? undefined : error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    const first = await this.pool();
    try {
      return await first.pool.connect();
    } catch (error) {
      const failure = connectFailure(error, first.target);
      if (this.settings.kind !== 'secret' || failure.code !== ErrorCode.DATABASE_AUTH_FAILED) throw failure;
      this.deps.logger.warn('credentials.rejected', { target: formatTarget(first.target), secretArn: this.settings.secretArn, next: 'reading the secret again' });
    }
    await this.close();
    const fresh = await this.pool();
    return fresh.pool.connect().catch((error: unknown) => Promise.reject(connectFailure(error, fresh.target)));
  }

  private pool(): Promise<OpenPool> {
    // One promise for everyone: concurrent first requests share one pool and one read of the secret.
    this.open ??= this.openPool().catch((error: unknown) => {
      this.open = null;
      throw error;
    });
    return this.open;
  }

  private async openPool(): Promise<OpenPool> {
    const { options, target } = await poolSettings((await this.access()).connection, this.deps.timeouts ?? DEFAULT_POOL_TIMEOUTS);
    const pool = new pg.Pool(options);
    const where = formatTarget(target);
    pool.on('connect', () => this.deps.logger.info('database.connected', { target: where }));
    // An idle connection the server ended (restart, failover, idle timeout) lands here; without a
    // listener it would crash the process. The pool has dropped it and opens another when needed.
    pool.on('error', (error) => this.deps.logger.warn('database.idle_connection_lost', { target: where, reason: error.message }));
    return { pool, target };
  }

  private async access(): Promise<DatabaseConnection> {
    const { settings, deps } = this;
    if (settings.kind === 'iam') return iamConnection(settings, deps.clients.signer(settings));
    if (settings.kind === 'url') return urlConnection(settings);
    return credentialsConnection(await readSecretCredentials(deps.clients.secrets(settings.region), settings), settings.tls);
  }
}

function connectFailure(error: unknown, target: ConnectionTarget): MigrationRunnerError {
  // Our own errors (an IAM token that could not be signed) already say what happened.
  return error instanceof MigrationRunnerError ? error : connectionError(error, target);
}
