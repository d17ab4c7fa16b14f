import pg from 'pg';
import { DatabaseUnreachableError, MigrationRunnerError } from '../../core/errors';
import { connectionError, sqlstateOf } from './errors';
import { formatTarget, UNKNOWN_TARGET, urlTarget, type ConnectionTarget } from './target';

/**
 * How to reach the database: a connection string (`postgres://…`, `sslmode`
 * and the other URL parameters read the way `pg` reads them), or a factory
 * called once per connection, so a Lambda can mint a fresh IAM token each time.
 */
export type PgConnection = string | (() => Promise<pg.ClientConfig>);

/** The name every stagegate session shows in `pg_stat_activity`, unless the connection sets its own. */
export const APPLICATION_NAME = 'stagegate';

/**
 * How often, in ms, the server checks during a long statement that this
 * process is still connected. Without it a backend whose process was killed
 * (SIGKILL, a Lambda stopped at its timeout) keeps running its statement, and
 * holding the ledger lock and the migration's table locks, until the
 * statement ends: a 30-minute index build keeps every later run out.
 */
export const CLIENT_CHECK_INTERVAL_MS = 1_000;

function targetOf(client: pg.Client): ConnectionTarget {
  return {
    user: client.user ?? '?',
    host: client.host || '?',
    port: String(client.port ?? '?'),
    database: client.database ?? '?',
  };
}

/** How to open a client: the limit on connecting, and whether to pipeline its queries. */
export interface ClientOptions {
  connectTimeoutMs: number;
  /**
   * pg's pipeline mode: a query is written at once, without waiting for the
   * answers before it. Awaited one by one, queries behave as without it;
   * cursors and the `rows` option are refused.
   */
  pipeline?: boolean;
  /** How often the server checks that this process is still there; {@link CLIENT_CHECK_INTERVAL_MS} unless given. */
  checkIntervalMs?: number;
}

async function configOf(connection: PgConnection, options: ClientOptions): Promise<pg.ClientConfig> {
  let base: pg.ClientConfig;
  try {
    base = typeof connection === 'string' ? { connectionString: connection } : await connection();
  } catch (error) {
    // Our own errors (e.g. credentials that could not be fetched) already say what happened.
    if (error instanceof MigrationRunnerError) throw error;
    throw connectionError(error, UNKNOWN_TARGET, 'building the connection settings failed');
  }
  // A name set by the connection itself wins: it is the operator's choice.
  return { application_name: APPLICATION_NAME, ...base, connectionTimeoutMillis: options.connectTimeoutMs, pipeline: options.pipeline === true };
}

function newClient(config: pg.ClientConfig): pg.Client {
  try {
    return new pg.Client(config);
  } catch (error) {
    // A URL parse error can quote the URL, password included: keep neither message nor cause. A file the
    // settings name (sslcert, sslkey, sslrootcert) that cannot be read is said with its path and code alone.
    const { code, path } = error as NodeJS.ErrnoException;
    const target = (typeof config.connectionString === 'string' ? urlTarget(config.connectionString) : null) ?? UNKNOWN_TARGET;
    if (typeof path !== 'string' || typeof code !== 'string') throw connectionError(new Error('the connection settings could not be parsed'), target);
    throw new DatabaseUnreachableError(formatTarget(target), `the file ${path} that the connection settings name (sslcert, sslkey or sslrootcert) cannot be read (${code})`, {
      remedy: 'Fix the path in the connection URL, or make the file readable by this process; nothing was run.',
    });
  }
}

/**
 * Asks the server to notice a vanished client during a statement
 * (`client_connection_check_interval`, PostgreSQL 14 and later; older
 * servers, which do not know the setting, are left as they are). A server
 * that refuses the value (one whose platform cannot watch its sockets, such
 * as Windows, answers 22023) is left as it is too: the run goes on without
 * the check, as on a server before 14. Only a connection that fails rejects.
 */
async function watchForVanishedClient(client: pg.Client, intervalMs: number): Promise<void> {
  try {
    await client.query(
      "select set_config('client_connection_check_interval', $1, false) where current_setting('client_connection_check_interval', true) is not null",
      [String(intervalMs)],
    );
  } catch (error) {
    if (sqlstateOf(error) === null) throw error;
  }
}

/**
 * An opened client, or why it could not be opened (already a runner error).
 * `watched`: the answer to the session setting, still on its way when pipelined: its error, or null.
 */
type Opened = { ok: true; client: pg.Client; target: ConnectionTarget; watched: Promise<unknown> } | { ok: false; error: unknown };

/** A connection being opened, which its caller may still give up (see {@link withClient}'s `ready`). */
class Opening {
  readonly opened: Promise<Opened>;
  private client: pg.Client | undefined;
  private dropped = false;

  constructor(connection: PgConnection, options: ClientOptions) {
    this.opened = this.open(connection, options);
  }

  /** Gives the connection up: a connect in progress ends at once (its socket is destroyed), an open client is ended. */
  drop(): void {
    this.dropped = true;
    this.client?.connection.stream.destroy();
    void this.opened.then((o) => (o.ok ? o.client.end().catch(() => undefined) : undefined));
  }

  /**
   * Pipelined, the `client_connection_check_interval` setting is not waited
   * for: it goes out ahead of the session's first queries, and its answer is
   * checked with theirs.
   */
  private async open(connection: PgConnection, options: ClientOptions): Promise<Opened> {
    let client: pg.Client;
    try {
      client = newClient(await configOf(connection, options));
    } catch (error) {
      return { ok: false, error };
    }
    this.client = client;
    const target = targetOf(client);
    // Without a listener, a backend terminated between queries would crash the
    // process; the next query on this client rejects anyway.
    client.on('error', () => undefined);
    try {
      if (this.dropped) throw new Error('the connection was given up before it was opened');
      await client.connect();
      const interval = options.checkIntervalMs ?? CLIENT_CHECK_INTERVAL_MS;
      if (options.pipeline !== true) await watchForVanishedClient(client, interval);
      const watched = options.pipeline === true ? watchForVanishedClient(client, interval).then(() => null, (error: unknown) => error) : Promise.resolve(null);
      return { ok: true, client, target, watched };
    } catch (error) {
      await client.end().catch(() => undefined);
      return { ok: false, error: connectionError(error, target) };
    }
  }
}

/**
 * Opens one `pg.Client`, runs `fn` with it and ends it on every path.
 * Connection failures become `DATABASE_UNREACHABLE` or `DATABASE_AUTH_FAILED`.
 * `options.pipeline` opens it in pg's pipeline mode.
 * `options.ready`: the client connects while it settles, and `fn` runs only
 * after; when it rejects, its error is thrown (whatever the connection does)
 * and the connection is dropped without waiting for it.
 * The session asks the server to end it soon after this process dies.
 *
 * @example
 * const now = await withClient(url, { connectTimeoutMs: 10_000 }, async (client) =>
 *   (await client.query('select now()')).rows[0]);
 */
export async function withClient<T>(
  connection: PgConnection,
  options: ClientOptions & { ready?: Promise<unknown> },
  fn: (client: pg.Client, target: ConnectionTarget) => Promise<T>,
): Promise<T> {
  const opening = new Opening(connection, options);
  try {
    await options.ready;
  } catch (error) {
    opening.drop();
    throw error;
  }
  const o = await opening.opened;
  if (!o.ok) throw o.error;
  const { client, target } = o;
  try {
    const work = fn(client, target);
    // Pipelined, the setting was sent ahead of fn's first queries: a failure there is the connection's.
    const failed = await o.watched;
    if (failed !== null) {
      await work.catch(() => undefined);
      throw connectionError(failed, target);
    }
    return await work;
  } finally {
    await client.end().catch(() => undefined);
  }
}
