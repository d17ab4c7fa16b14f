/**
 * Scratch databases: created on the same server as a target, used to replay
 * history (to prove an adoption, a squash or a check) and dropped on every
 * path. They are named `stagegate_scratch_<purpose>_<random>` so that one
 * left behind by a killed process is recognisable and safe to drop.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ScratchDatabaseError } from '../../core/errors';
import { withClient, type PgConnection } from './connect';
import { sqlstateOf } from './errors';
import { describeConnection } from './target';

/** The prefix of every scratch database's name. */
export const SCRATCH_PREFIX = 'stagegate_scratch_';

const CONNECT_TIMEOUT_MS = 10_000;

/** `connection` (a URL) with its database replaced by `database`. */
function urlFor(connection: string, database: string): string {
  const url = new URL(connection);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function dropDatabase(connection: PgConnection, quoted: string): Promise<void> {
  await withClient(connection, { connectTimeoutMs: CONNECT_TIMEOUT_MS }, async (client) => {
    // WITH (FORCE) (PostgreSQL 13+) ends sessions a failed step may have left open.
    await client.query(`drop database if exists ${quoted} with (force)`);
  });
}

/**
 * `connection` to `database` on the same server, as the same user: a URL
 * with its database replaced, or settings built by the factory with theirs.
 *
 * @example
 * connectionTo('postgres://app@db/app', 'scratch'); // 'postgres://app@db/scratch'
 */
export function connectionTo(connection: PgConnection, database: string): PgConnection {
  if (typeof connection === 'string') return urlFor(connection, database);
  return async () => {
    const settings = await connection();
    // pg lets a connection string's database win over `database`.
    return settings.connectionString === undefined ? { ...settings, database } : { ...settings, connectionString: urlFor(settings.connectionString, database) };
  };
}

/**
 * Creates an empty database (from `template0`) on the server of
 * `connection`, runs `fn` with its URL, and drops it afterwards, whether
 * `fn` succeeds or throws. `purpose` names the command in messages
 * (`stagegate adopt`) and, lower-cased, in the database name.
 * Throws `ScratchDatabaseError` (SCRATCH_DATABASE_FAILED) when the database
 * cannot be created, e.g. the role lacks CREATEDB. `creating` is called with
 * its URL before the server is contacted, so a command can name its target
 * also when creating it fails.
 *
 * @example
 * await withScratchDatabase(url, 'stagegate adopt', async (scratchUrl) => replayHistory(scratchUrl));
 */
export function withScratchDatabase<T>(connection: string, purpose: string, fn: (url: string) => Promise<T>, creating?: (url: string) => void): Promise<T> {
  return withScratchOn({ connection, server: describeConnection(connection) }, purpose, (name) => urlFor(connection, name), fn, creating);
}

/**
 * {@link withScratchDatabase} on the server of any connection (a URL or a
 * factory of settings, such as the migrate function's): `server` names it
 * in messages, without a password.
 *
 * @example
 * await withScratchConnection({ connection, server: target }, 'stagegate adopt', (scratch) => replay(scratch));
 */
export function withScratchConnection<T>(on: { connection: PgConnection; server: string }, purpose: string, fn: (connection: PgConnection) => Promise<T>): Promise<T> {
  return withScratchOn(on, purpose, (name) => connectionTo(on.connection, name), fn);
}

async function withScratchOn<C extends PgConnection, T>(
  on: { connection: PgConnection; server: string },
  purpose: string,
  to: (database: string) => C,
  fn: (connection: C) => Promise<T>,
  creating?: (connection: C) => void,
): Promise<T> {
  const tag = purpose.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 20);
  const name = `${SCRATCH_PREFIX}${tag}_${randomBytes(5).toString('hex')}`;
  const quoted = pg.escapeIdentifier(name);
  creating?.(to(name));
  await withClient(on.connection, { connectTimeoutMs: CONNECT_TIMEOUT_MS }, async (client) => {
    try {
      await client.query(`create database ${quoted} template template0`);
    } catch (error) {
      throw new ScratchDatabaseError(purpose, on.server, sqlstateOf(error), errorText(error), error);
    }
  });
  try {
    return await fn(to(name));
  } finally {
    // A failure to drop must not hide fn's own result or error; the name says what it is.
    await dropDatabase(on.connection, quoted).catch(() => undefined);
  }
}
