/**
 * The one place that turns `pg` errors, SQLSTATEs and socket errors into the
 * stagegate error family. The original error is always kept as `cause`.
 */
import pg from 'pg';
import { normaliseSql } from '../../core/checksum';
import {
  DatabaseAuthFailedError,
  DatabaseOperationError,
  DatabaseUnreachableError,
  MigrationFailedError,
  MigrationRunnerError,
  statementExcerpt,
  type MigrationFailure,
} from '../../core/errors';
import { doBlockLineOffset } from '../../core/do-block';
import type { PgObjectFields } from '../../core/failure-subject';
import type { Migration } from '../../core/migration';
import { indexOfPosition, locate, type SqlStatement } from '../../core/sql-split';
import { formatTarget, type ConnectionTarget } from './target';

/** SQLSTATEs this adapter reacts to (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const SqlState = {
  INVALID_PASSWORD: '28P01',
  INVALID_AUTHORIZATION: '28000',
  INVALID_CATALOG_NAME: '3D000',
  TOO_MANY_CONNECTIONS: '53300',
  ADMIN_SHUTDOWN: '57P01',
  CRASH_SHUTDOWN: '57P02',
  CANNOT_CONNECT_NOW: '57P03',
} as const;

const SOCKET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * The SQLSTATE of an error the server sent, or null for anything else.
 *
 * @example
 * await client.query('select nope').catch((error) => sqlstateOf(error)); // → '42703'
 */
export function sqlstateOf(error: unknown): string | null {
  return error instanceof pg.DatabaseError && typeof error.code === 'string' ? error.code : null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * True when the error means the session is gone: the socket closed or the server ended the backend.
 *
 * @example
 * if (isConnectionLost(error)) return; // nothing left to clean up on this client
 */
export function isConnectionLost(error: unknown): boolean {
  const sqlstate = sqlstateOf(error);
  if (sqlstate !== null) {
    return sqlstate.startsWith('08') || sqlstate === SqlState.ADMIN_SHUTDOWN || sqlstate === SqlState.CRASH_SHUTDOWN;
  }
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (code !== undefined && SOCKET_CODES.has(code)) || /connection terminated|not queryable/i.test(error.message);
}

/** The server answered but offers no TLS, and the connection asks for it. */
const NO_TLS_REMEDY =
  'The connection asks for TLS (its sslmode is not disable; node-postgres treats prefer and require as verify-full and never falls back to plain text) and this server does not offer TLS. ' +
  'Turn on ssl on the server, or, for a server meant to run without TLS (a local one), turn TLS off for this connection: ' +
  'sslmode=disable in its connection URL, or, where the migrate function connects with a secret or IAM (no URL), STAGEGATE_DB_TLS=disable on the function; nothing was run.';

/**
 * Maps a failure to connect. `context` prefixes the reason when the failure
 * happened before `pg` was involved (e.g. the connection factory threw).
 *
 * @example
 * await client.connect().catch((error) => { throw connectionError(error, target); });
 */
export function connectionError(error: unknown, target: ConnectionTarget, context?: string): MigrationRunnerError {
  const where = formatTarget(target);
  const reason = context ? `${context}: ${messageOf(error)}` : messageOf(error);
  const sqlstate = sqlstateOf(error);
  if (sqlstate === SqlState.INVALID_PASSWORD || sqlstate === SqlState.INVALID_AUTHORIZATION) {
    return new DatabaseAuthFailedError(where, target.user, reason, error);
  }
  if (sqlstate === SqlState.INVALID_CATALOG_NAME) {
    return new DatabaseUnreachableError(where, `database "${target.database}" does not exist`, {
      remedy: 'Create the database, or fix the database name in the connection settings; nothing was run.',
      cause: error,
    });
  }
  if (sqlstate === null && /does not support SSL/i.test(reason)) {
    return new DatabaseUnreachableError(where, reason, { remedy: NO_TLS_REMEDY, cause: error });
  }
  const unreachable =
    sqlstate === null ||
    sqlstate.startsWith('08') ||
    sqlstate === SqlState.TOO_MANY_CONNECTIONS ||
    sqlstate === SqlState.CANNOT_CONNECT_NOW;
  if (unreachable) return new DatabaseUnreachableError(where, reason, { cause: error });
  return new DatabaseOperationError(`connecting to ${where}`, sqlstate, reason, error);
}

/**
 * Maps an unexpected error of a ledger operation (`operation` completes the
 * sentence "while …"). Errors of the family pass through unchanged.
 *
 * @example
 * throw databaseError(error, 'writing the ledger row of app/0001_init');
 */
export function databaseError(error: unknown, operation: string): MigrationRunnerError {
  if (error instanceof MigrationRunnerError) return error;
  const lost = isConnectionLost(error);
  const message = lost ? `the connection to the database was lost (${messageOf(error)})` : messageOf(error);
  return new DatabaseOperationError(operation, sqlstateOf(error), message, error, lost);
}

function placeOf(migration: Migration, statement: SqlStatement, error: unknown): { line: number; column: number | null } {
  const position = error instanceof pg.DatabaseError ? Number(error.position) : NaN;
  if (Number.isInteger(position) && position >= 1) return locate(normaliseSql(migration.sql), statement.offset + indexOfPosition(statement.sql, position));
  // A DO block's failure has no position, but its context names the block's line.
  const inBlock = error instanceof pg.DatabaseError ? doBlockLineOffset(statement.sql, error.where) : null;
  if (inBlock !== null) return { line: locate(normaliseSql(migration.sql), statement.offset + inBlock).line, column: null };
  return { line: statement.line, column: statement.column };
}

/** The error's `schema`, `table`, `column` and `constraint` fields, or undefined when it has none. */
function objectFieldsOf(error: pg.DatabaseError): PgObjectFields | undefined {
  const fields: PgObjectFields = {};
  for (const key of ['schema', 'table', 'column', 'constraint'] as const) {
    const value = error[key];
    if (typeof value === 'string' && value !== '') fields[key] = value;
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

/**
 * Builds the `MigrationFailedError` for a statement that failed (or for the
 * commit, when `statement` is null), placing the error in the migration's file.
 *
 * @example
 * await client.query(statement.sql).catch((error) => { throw migrationFailedError(error, migration, statement); });
 */
export function migrationFailedError(
  error: unknown,
  migration: Migration,
  statement: SqlStatement | null,
  reverting = false,
): MigrationFailedError {
  const noTransaction = migration.directives.noTransaction;
  const place = statement ? placeOf(migration, statement, error) : { line: 1, column: null };
  const lost = isConnectionLost(error);
  const failure: MigrationFailure = {
    migration: migration.id,
    file: migration.file,
    line: place.line,
    column: place.column,
    statement: statement ? statementExcerpt(statement.sql) : 'COMMIT',
    sqlstate: sqlstateOf(error),
    pgMessage: lost ? `the connection to the database was lost (${messageOf(error)})` : messageOf(error),
  };
  if (lost) failure.connectionLost = true;
  if (reverting) failure.reverting = true;
  if (error instanceof pg.DatabaseError) {
    if (error.detail) failure.detail = error.detail;
    if (error.hint) failure.hint = error.hint;
    if (error.where) failure.where = error.where;
    const pgObject = objectFieldsOf(error);
    if (pgObject) failure.pgObject = pgObject;
  }
  return new MigrationFailedError(failure, noTransaction, error);
}

/**
 * Runs a ledger operation and maps whatever `pg` throws to the family;
 * `operation` completes the sentence "while …".
 *
 * @example
 * const rows = await mappingErrors('reading the ledger', () => readLedgerRows(client, tables));
 */
export async function mappingErrors<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw databaseError(error, operation);
  }
}
