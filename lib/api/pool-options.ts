import type pg from 'pg';
import { parse } from 'pg-connection-string';
import { connectionError } from '../adapters/postgres/errors';
import type { PgConnection } from '../adapters/postgres/connect';
import { UNKNOWN_TARGET, type ConnectionTarget } from '../adapters/postgres/target';

/** The name the API's sessions show in `pg_stat_activity`, unless the connection sets its own. */
export const API_APPLICATION_NAME = 'stagegate-example-api';

/** Limits that keep a request inside the function's timeout (about 10 s) with room to answer. */
export interface PoolTimeouts {
  /** Opening a connection, TLS and authentication included. */
  connectTimeoutMs: number;
  /** `statement_timeout`: the server cancels a statement that runs longer. */
  statementTimeoutMs: number;
  /** The client gives up on an answer that does not come (a connection that died silently). */
  queryTimeoutMs: number;
}

// Worst case, a connect that times out and then a query that does: 8 s, inside a 10 s function timeout.
export const DEFAULT_POOL_TIMEOUTS: PoolTimeouts = { connectTimeoutMs: 3_000, statementTimeoutMs: 4_000, queryTimeoutMs: 5_000 };

/** A pool's settings and where it connects, described without a password. */
export interface PoolSettings {
  options: pg.PoolConfig;
  target: ConnectionTarget;
}

/**
 * `pg.Pool` settings for one connection per Lambda instance: at most one
 * client, kept while the instance is warm (no idle timeout), and not keeping
 * a local process alive on its own. With a connection factory, every new
 * connection asks it again for its password, so an RDS IAM token (valid for
 * 15 minutes) is fresh each time although the pool lives longer.
 *
 * @example
 * const { options, target } = await poolSettings(urlConnection(settings).connection, DEFAULT_POOL_TIMEOUTS);
 * const pool = new pg.Pool(options);
 */
export async function poolSettings(connection: PgConnection, timeouts: PoolTimeouts): Promise<PoolSettings> {
  const base: pg.ClientConfig = typeof connection === 'string' ? { connectionString: connection } : await connection();
  const options: pg.PoolConfig = {
    application_name: API_APPLICATION_NAME,
    ...base,
    max: 1,
    idleTimeoutMillis: 0,
    allowExitOnIdle: true,
    keepAlive: true,
    connectionTimeoutMillis: timeouts.connectTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    query_timeout: timeouts.queryTimeoutMs,
  };
  if (typeof connection !== 'string' && typeof base.password === 'string') {
    options.password = async () => String((await connection()).password);
  }
  return { options, target: targetOf(base) };
}

function targetOf(config: pg.ClientConfig): ConnectionTarget {
  let url: Partial<ReturnType<typeof parse>> = {};
  try {
    if (config.connectionString !== undefined) url = parse(config.connectionString);
  } catch {
    // A parse error can quote the URL, password included: keep neither message nor cause.
    throw connectionError(new Error('the connection settings could not be parsed'), UNKNOWN_TARGET);
  }
  return {
    user: config.user ?? url.user ?? '?',
    host: config.host ?? url.host ?? '?',
    port: String(config.port ?? url.port ?? 5432),
    database: config.database ?? url.database ?? '?',
  };
}
