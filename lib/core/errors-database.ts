import { deadlineRemedy, deadlineSentence, type DeadlineCut } from './deadline-cut';
import { ErrorCode, MigrationRunnerError } from './errors-base';
import type { Explanation } from './explain';
import type { LiveFacts, PgObjectFields } from './failure-subject';

/** Where and why a migration failed, with Postgres' own error fields. */
export interface MigrationFailure {
  migration: string;
  file: string;
  line: number;
  column: number | null;
  statement: string;
  sqlstate: string | null;
  pgMessage: string;
  detail?: string;
  hint?: string;
  where?: string;
  /** Set when the session ended under the migration (server restart, terminated backend, network). */
  connectionLost?: true;
  /** Set when the migration's reverse script failed (`migrate --to`); `file` is the `.down.sql`. */
  reverting?: true;
  /** The line of the migration's own COMMIT that ended its transaction before the failure: what ran up to it stays committed. */
  ownCommitLine?: number;
  /** Set when stagegate refused the script before running any of it (e.g. `COPY … FROM STDIN`): the ledger was not touched. */
  refused?: true;
  /** Postgres' object fields of the error (schema, table, column, constraint), when it sent them. */
  pgObject?: PgObjectFields;
  /** What the live database held about the objects concerned, looked up after the failure. */
  facts?: LiveFacts;
  /** What went wrong and the way out, for the failures stagegate knows (see `explain.ts`). */
  explanation?: Explanation;
  /** Set when the function's deadline cut the migration (see `deadline-cut.ts`). */
  deadline?: DeadlineCut;
  /** Set when none of a `no-transaction` script's statements was sent (a cancel was asked for first): nothing of it ran, and its ledger row was removed. */
  notSent?: true;
}

/** Longest statement text kept in a failure; the file has the rest. */
const MAX_STATEMENT_CHARS = 500;

/**
 * A statement as a failure quotes it: trimmed, and cut after 500 characters.
 *
 * @example
 * statementExcerpt('  COPY item FROM stdin\n'); // 'COPY item FROM stdin'
 */
export function statementExcerpt(sql: string): string {
  const text = sql.trim();
  return text.length > MAX_STATEMENT_CHARS ? `${text.slice(0, MAX_STATEMENT_CHARS)}…` : text;
}

/** SQLSTATEs whose failures get their own advice. */
const LOCK_NOT_AVAILABLE = '55P03';
const QUERY_CANCELED = '57014';
/** "cannot run inside a transaction block": CREATE INDEX CONCURRENTLY, VACUUM, ALTER TYPE ... ADD VALUE before 12, ... */
const ACTIVE_SQL_TRANSACTION = '25001';
/** "permission denied …", "must be owner of …": the connecting role lacks a privilege, the migration may be right. */
const INSUFFICIENT_PRIVILEGE = '42501';

/** What to do after a failed migration: it depends on how it ran and how it failed. */
function failedMigrationRemedy(failure: MigrationFailure, noTransaction: boolean): string {
  const id = failure.migration;
  if (failure.refused) {
    return `Nothing of ${failure.reverting ? 'the reverse script' : 'the migration'} ran and the ledger was not touched; migrations before it stay as they were. Fix ${failure.file} as the message says and run again.`;
  }
  // A migration that committed part of itself says so first (below), deadline or not.
  if (failure.deadline && failure.ownCommitLine === undefined) {
    return deadlineRemedy(failure.deadline, id, `${failure.file}:${failure.line}`, noTransaction && !failure.notSent, failure.reverting === true, failure.notSent);
  }
  if (failure.reverting) return failedRevertRemedy(id, noTransaction);
  if (noTransaction) {
    return (
      `The migration ran without a transaction and may have taken effect in part; its ledger row says failed (or running, when the connection was lost first), and every run refuses to start until it is settled. ` +
      // Settling comes first: "run again" before it would only meet MIGRATION_DIRTY.
      `Settle it first: inspect the database, undo what it did and run \`stagegate resolve ${id} --rolled-back\`, or, if every statement took effect, run \`stagegate resolve ${id} --applied\`. ` +
      `${failure.explanation ? `Then: ${failure.explanation.wayOut}` : 'Then fix the cause and migrate again.'}`
    );
  }
  const kept = 'migrations before it stay applied';
  if (failure.ownCommitLine !== undefined) {
    return (
      `The migration's own COMMIT at ${failure.file}:${failure.ownCommitLine} committed what ran before it (and what ran after it outside a transaction block): that stays, without a ledger row, so the next run runs the whole migration again; ${kept}. ` +
      'Undo what it committed (or make those statements idempotent), fix the migration, and run again; better, split it where it commits into two migrations and drop the COMMIT.'
    );
  }
  if (failure.connectionLost && failure.statement === 'COMMIT') {
    return `The connection was lost while committing: the migration and its ledger row were committed together or not at all, and ${kept}. Run \`stagegate status\` (or simply run again): the next run sees which and carries on.`;
  }
  if (failure.connectionLost) {
    return `The connection to the database was lost before the migration committed, so the server rolls it back and it leaves no trace; ${kept}. Check that the server is up and run again.`;
  }
  if (failure.sqlstate === LOCK_NOT_AVAILABLE) {
    const holders = failure.explanation ? `${failure.explanation.liveState} ` : 'Find the blocking session in pg_stat_activity (pg_blocking_pids), ';
    return `Another session held a lock this migration needed for longer than lock_timeout allows (--lock-timeout, STAGEGATE_LOCK_TIMEOUT_MS). The migration was rolled back and left no trace; ${kept}. ${holders}Let it finish or end it, and run again.`;
  }
  if (failure.sqlstate === ACTIVE_SQL_TRANSACTION) {
    return `The statement cannot run inside a transaction, and this migration runs in one. The migration was rolled back and left no trace; ${kept}. Move the statement into a migration of its own whose first line is \`-- stagegate:no-transaction\` (one statement per such migration), and run again.`;
  }
  if (failure.sqlstate === INSUFFICIENT_PRIVILEGE) {
    return (
      `The database user this run connects as lacks a privilege the statement needs (CREATE on the schema, or ownership of the object it alters). The migration was rolled back and left no trace; ${kept}. ` +
      'Run migrate as the role that owns the objects (the `db_user` of the applied rows in the ledger\'s migrations table shows who ran the earlier ones), or grant this user what it lacks (e.g. `GRANT CREATE ON SCHEMA <schema> TO <user>`, or membership in the owning role), and run again; the migration itself need not change.'
    );
  }
  if (failure.sqlstate === QUERY_CANCELED) {
    return `The statement was cancelled: it ran longer than statement_timeout (--statement-timeout, STAGEGATE_STATEMENT_TIMEOUT_MS, capped to the time left before a deadline) or was cancelled by an operator. The migration was rolled back and left no trace; ${kept}. Run again with more time, or make the migration faster.`;
  }
  return `The migration was rolled back and left no trace; ${kept}. ${failure.explanation?.wayOut ?? 'Fix the migration (or the database) and run again.'}`;
}

/**
 * `file:line[:column]: <Postgres' message> [SQLSTATE x]` (`the COMMIT of file: …`
 * when the commit failed), then the
 * explanation's summary and live state on a line of their own when there is one.
 *
 * @example
 * failureText(error.failure); // 'org/0002_x.sql:1:1: relation "org" already exists [SQLSTATE 42P07]\norg/0002_x.sql:1 creates table "org", …'
 */
export function failureText(failure: MigrationFailure): string {
  const sqlstate = failure.sqlstate ? ` [SQLSTATE ${failure.sqlstate}]` : '';
  const explained = failure.explanation ? `\n${failure.explanation.summary} ${failure.explanation.liveState}` : '';
  // A failing COMMIT (a deferred constraint) is at no line of the file.
  const commit = failure.statement === 'COMMIT' && failure.column === null;
  const place = commit ? `the COMMIT of ${failure.file}` : `${failure.file}:${failure.line}${failure.column ? `:${failure.column}` : ''}`;
  return `${place}: ${failure.pgMessage}${sqlstate}${explained}`;
}

function failedRevertRemedy(id: string, noTransaction: boolean): string {
  if (noTransaction) {
    return (
      `The reverse script ran without a transaction and may have taken effect in part; the ledger row of ${id} says failed (or running), and every run refuses to start until it is settled. ` +
      `Inspect the database: finish undoing ${id} by hand and run \`stagegate resolve ${id} --rolled-back\` (it counts as not applied), or restore what the script removed and run \`stagegate resolve ${id} --applied\`.`
    );
  }
  return `The reverse script was rolled back and left no trace: ${id} is still applied, and the migrations reverted before it stay reverted. Fix its .down.sql (or the database) and run again.`;
}

function failedMessage(failure: MigrationFailure): string {
  const subject = `${failure.reverting ? 'The reverse script of migration' : 'Migration'} ${failure.migration}`;
  if (failure.deadline) return `${deadlineSentence(failure.deadline, subject, failure.file)} Cut at ${failureText(failure)}`;
  return `${subject} failed at ${failureText(failure)}`;
}

export class MigrationFailedError extends MigrationRunnerError {
  readonly failure: MigrationFailure;
  readonly noTransaction: boolean;
  constructor(failure: MigrationFailure, noTransaction: boolean, cause?: unknown) {
    super(
      ErrorCode.MIGRATION_FAILED,
      failedMessage(failure),
      {
        remedy: failedMigrationRemedy(failure, noTransaction),
        details: { ...failure },
        cause,
      },
    );
    this.name = 'MigrationFailedError';
    this.failure = failure;
    this.noTransaction = noTransaction;
  }

  /** The same error with more about the failure (facts, an explanation); the cause is kept. */
  with(more: Partial<MigrationFailure>): MigrationFailedError {
    return new MigrationFailedError({ ...this.failure, ...more }, this.noTransaction, this.cause);
  }
}

export class LockTimeoutError extends MigrationRunnerError {
  constructor(schema: string, waitedMs: number, holder?: string) {
    super(
      ErrorCode.LOCK_TIMEOUT,
      `Another stagegate run holds the migration lock of ledger schema "${schema}"; gave up after waiting ${Math.round(waitedMs / 1000)} s${holder ? ` (held by ${holder})` : ''}.`,
      {
        remedy:
          'Wait for the other run to finish and run again; a run that died releases the lock when its connection closes. Raise the wait with --lock-wait (STAGEGATE_LOCK_WAIT_MS).',
        details: { schema, waitedMs: Math.round(waitedMs), holder },
      },
    );
    this.name = 'LockTimeoutError';
  }
}

/**
 * The database could not be reached: refused, unknown host, timed out, or the
 * database does not exist. `target` is `user@host:port/database`, never a password.
 *
 * @example
 * throw new DatabaseUnreachableError('app@db.internal:5432/app', 'connect ECONNREFUSED 10.0.0.5:5432');
 */
export class DatabaseUnreachableError extends MigrationRunnerError {
  constructor(target: string, reason: string, options: { remedy?: string; cause?: unknown } = {}) {
    super(ErrorCode.DATABASE_UNREACHABLE, `Cannot connect to PostgreSQL at ${target}: ${reason}.`, {
      remedy:
        options.remedy ??
        'Check the host, port and database name, that the server is running, and that the network (security groups, VPC, firewall) lets this process reach it; nothing was run.',
      details: { target, reason },
      cause: options.cause,
    });
    this.name = 'DatabaseUnreachableError';
  }
}

/**
 * The server rejected the credentials (SQLSTATE 28P01 or 28000).
 *
 * @example
 * throw new DatabaseAuthFailedError('app@db.internal:5432/app', 'app', 'password authentication failed for user "app"');
 */
export class DatabaseAuthFailedError extends MigrationRunnerError {
  constructor(target: string, user: string, reason: string, cause?: unknown) {
    super(
      ErrorCode.DATABASE_AUTH_FAILED,
      `PostgreSQL at ${target} rejected the credentials of user "${user}": ${reason}.`,
      {
        remedy:
          'Check the user name and password (or IAM token) the connection uses. If the secret was rotated, make sure this function or shell reads the current value; nothing was run.',
        details: { target, user, reason },
        cause,
      },
    );
    this.name = 'DatabaseAuthFailedError';
  }
}

/**
 * An unexpected database error while reading or writing the ledger (not while
 * running a migration's own SQL, which is a {@link MigrationFailedError}).
 *
 * @example
 * throw new DatabaseOperationError('writing the ledger row of app/0001_init', '42501', 'permission denied for schema stagegate');
 */
export class DatabaseOperationError extends MigrationRunnerError {
  /** `connectionLost`: the session ended under the operation (server restart, terminated backend, network). */
  constructor(operation: string, sqlstate: string | null, pgMessage: string, cause?: unknown, connectionLost = false) {
    super(
      ErrorCode.DATABASE_ERROR,
      `A database error occurred while ${operation}: ${pgMessage}${sqlstate ? ` [SQLSTATE ${sqlstate}]` : ''}`,
      {
        remedy: connectionLost
          ? 'The connection was lost, and the server kept nothing uncommitted: a migration commits together with its ledger row or not at all (a no-transaction migration under way stays marked running, and the next run says so). Check that the server is up and run again.'
          : 'Check that the database is up and that the connecting user may create and write the ledger schema, then run again. If it persists, run with --verbose and report the output.',
        details: connectionLost ? { operation, sqlstate, pgMessage, connectionLost: true } : { operation, sqlstate, pgMessage },
        cause,
      },
    );
    this.name = 'DatabaseOperationError';
  }
}

/** The ledger was written by a newer stagegate, whose format this one does not know. */
export class LedgerUnsupportedError extends MigrationRunnerError {
  constructor(schema: string, found: string, supported: number) {
    super(
      ErrorCode.LEDGER_UNSUPPORTED,
      `The ledger in schema "${schema}" has version ${found}, written by a newer stagegate; this one supports up to version ${supported}.`,
      {
        remedy: 'Upgrade stagegate to the release that wrote this ledger (or a newer one) and run again; nothing was run.',
        details: { schema, found, supported },
      },
    );
    this.name = 'LedgerUnsupportedError';
  }
}

/** `resolve` was asked to settle a migration that is not `running` or `failed`. */
export class NotDirtyError extends MigrationRunnerError {
  constructor(id: string, state: string | null) {
    super(
      ErrorCode.NOT_DIRTY,
      `Migration ${id} is not dirty: ${state ? `its ledger row is ${state}` : 'the ledger has no row for it'}.`,
      {
        remedy: 'Only a migration whose ledger row is running or failed can be resolved. Check the id against `stagegate status`; nothing was changed.',
        details: { migration: id, state },
      },
    );
    this.name = 'NotDirtyError';
  }
}

/** Where the embedded server lives, and what it printed last. */
export interface EmbeddedPostgresFailure {
  dataDir: string;
  port: number;
  /** The last lines PostgreSQL (initdb, postgres) printed, oldest first. */
  output: readonly string[];
}

/**
 * The local PostgreSQL server used when no database URL is given could not be
 * initialised, started or prepared.
 *
 * @example
 * throw new EmbeddedPostgresError('postgres exited during start-up', { dataDir: '.stagegate/postgres', port: 54329, output: [] });
 */
export class EmbeddedPostgresError extends MigrationRunnerError {
  constructor(problem: string, failure: EmbeddedPostgresFailure, options: { remedy?: string; cause?: unknown } = {}) {
    super(
      ErrorCode.EMBEDDED_POSTGRES_FAILED,
      `The embedded PostgreSQL server (data in ${failure.dataDir}, port ${failure.port}) failed: ${problem}.`,
      {
        remedy:
          options.remedy ??
          `Set DATABASE_URL (or --database-url) to use your own server, or delete ${failure.dataDir} to start from an empty local database (this deletes the local data); nothing was run.`,
        details: { dataDir: failure.dataDir, port: failure.port, output: failure.output },
        cause: options.cause,
      },
    );
    this.name = 'EmbeddedPostgresError';
  }
}
