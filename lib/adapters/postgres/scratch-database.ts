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

async function dropDatabase(connection: string, quoted: string): Promise<void> {
  await withClient(connection, { connectTimeoutMs: CONNECT_TIMEOUT_MS }, async (client) => {
    // WITH (FORCE) (PostgreSQL 13+) ends sessions a failed step may have left open.
    await client.query(`drop database if exists ${quoted} with (force)`);
  });
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
export async function withScratchDatabase<T>(connection: string, purpose: string, fn: (url: string) => Promise<T>, creating?: (url: string) => void): Promise<T> {
  const tag = purpose.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 20);
  const name = `${SCRATCH_PREFIX}${tag}_${randomBytes(5).toString('hex')}`;
  const quoted = pg.escapeIdentifier(name);
  creating?.(urlFor(connection, name));
  await withClient(connection as PgConnection, { connectTimeoutMs: CONNECT_TIMEOUT_MS }, async (client) => {
    try {
      await client.query(`create database ${quoted} template template0`);
    } catch (error) {
      throw new ScratchDatabaseError(purpose, describeConnection(connection), sqlstateOf(error), errorText(error), error);
    }
  });
  try {
    return await fn(urlFor(connection, name));
  } finally {
    // A failure to drop must not hide fn's own result or error; the name says what it is.
    await dropDatabase(connection, quoted).catch(() => undefined);
  }
}
