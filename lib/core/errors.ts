/**
 * The error family. Every failure that reaches a user is a
 * {@link MigrationRunnerError} with a stable `code` (documented in the README),
 * a message that says what happened and names the migration, file or stage,
 * and a `remedy` that says what to do next.
 *
 * Codes are part of the public interface: pipelines branch on them, the CLI
 * prints them and the Lambda handler reports them. Never rename one.
 */
export const ErrorCode = {
  USAGE: 'USAGE',
  CONFIG_INVALID: 'CONFIG_INVALID',
  MIGRATIONS_INVALID: 'MIGRATIONS_INVALID',
  BUNDLE_INVALID: 'BUNDLE_INVALID',
  BUNDLE_INTEGRITY: 'BUNDLE_INTEGRITY',
  BUNDLE_NOT_FOUND: 'BUNDLE_NOT_FOUND',
  CHECKSUM_MISMATCH: 'CHECKSUM_MISMATCH',
  DATABASE_AHEAD: 'DATABASE_AHEAD',
  SQUASH_INCOMPLETE: 'SQUASH_INCOMPLETE',
  MIGRATION_DIRTY: 'MIGRATION_DIRTY',
  MIGRATION_FAILED: 'MIGRATION_FAILED',
  LOCK_TIMEOUT: 'LOCK_TIMEOUT',
  DATABASE_UNREACHABLE: 'DATABASE_UNREACHABLE',
  DATABASE_AUTH_FAILED: 'DATABASE_AUTH_FAILED',
  DATABASE_ERROR: 'DATABASE_ERROR',
  LEDGER_UNSUPPORTED: 'LEDGER_UNSUPPORTED',
  NOT_DIRTY: 'NOT_DIRTY',
  EMBEDDED_POSTGRES_FAILED: 'EMBEDDED_POSTGRES_FAILED',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options every error of the family accepts. */
export interface RunnerErrorOptions {
  /** What the user should do next. Required: an error without a way out is a bug. */
  remedy: string;
  /** Structured facts for `--json` and the Lambda result (ids, files, SQLSTATE...). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Base class of every error stagegate reports.
 *
 * @example
 * throw new MigrationRunnerError('INTERNAL', 'Something broke.', { remedy: 'Report it.' });
 */
export class MigrationRunnerError extends Error {
  readonly code: ErrorCode;
  readonly remedy: string;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: RunnerErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MigrationRunnerError';
    this.code = code;
    this.remedy = options.remedy;
    this.details = options.details ?? {};
  }

  /** The serialisable form used by `--json` and the Lambda result. */
  toJSON(): { code: ErrorCode; message: string; remedy: string } & Record<string, unknown> {
    return { code: this.code, message: this.message, remedy: this.remedy, ...this.details };
  }
}

/** Bad command-line usage (exit code 2). */
export class UsageError extends MigrationRunnerError {
  constructor(message: string, remedy = 'Run `stagegate help` for the commands and their options.') {
    super(ErrorCode.USAGE, message, { remedy });
    this.name = 'UsageError';
  }
}

/** One problem found in configuration; {@link ConfigInvalidError} lists them all. */
export interface ConfigProblem {
  key: string;
  problem: string;
}

export class ConfigInvalidError extends MigrationRunnerError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.key}: ${p.problem}`).join('\n');
    super(ErrorCode.CONFIG_INVALID, `The configuration is invalid:\n${lines}`, {
      remedy: 'Fix each setting listed above (environment variable or command-line option) and run again.',
      details: { problems },
    });
    this.name = 'ConfigInvalidError';
    this.problems = problems;
  }
}

/** Kinds of problem in a migrations folder. Stable, like error codes. */
export const ProblemCode = {
  BAD_NAME: 'BAD_NAME',
  UNREADABLE: 'UNREADABLE',
  BAD_DIRECTIVE: 'BAD_DIRECTIVE',
  DUPLICATE_ID: 'DUPLICATE_ID',
  ORPHAN_DOWN: 'ORPHAN_DOWN',
  CONFLICT: 'CONFLICT',
  UNKNOWN_DEPENDENCY: 'UNKNOWN_DEPENDENCY',
  CYCLE: 'CYCLE',
  BAD_REPLACES: 'BAD_REPLACES',
} as const;
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

/** One problem in the migrations folder, always tied to a file. */
export interface FolderProblem {
  code: ProblemCode;
  /** Path of the file, relative to the migrations folder, with `/` separators. */
  file: string;
  /** 1-based line, where the problem is on one line. */
  line?: number;
  message: string;
}

/** Every problem of a migrations folder, reported together. */
export class MigrationsInvalidError extends MigrationRunnerError {
  readonly problems: readonly FolderProblem[];
  constructor(problems: readonly FolderProblem[]) {
    const lines = problems
      .map((p) => `  - ${p.file}${p.line ? `:${p.line}` : ''} [${p.code}] ${p.message}`)
      .join('\n');
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(ErrorCode.MIGRATIONS_INVALID, `The migrations folder has ${count}:\n${lines}`, {
      remedy: 'Fix each file listed above; nothing was bundled or run.',
      details: { problems },
    });
    this.name = 'MigrationsInvalidError';
    this.problems = problems;
  }
}

export class BundleInvalidError extends MigrationRunnerError {
  constructor(origin: string, reason: string, cause?: unknown) {
    super(ErrorCode.BUNDLE_INVALID, `The bundle ${origin} is invalid: ${reason}`, {
      remedy: 'Rebuild it with `stagegate bundle` from the committed migrations folder; nothing was run.',
      details: { bundle: origin, reason },
      cause,
    });
    this.name = 'BundleInvalidError';
  }
}

export class BundleIntegrityError extends MigrationRunnerError {
  constructor(origin: string, expected: string, actual: string) {
    super(
      ErrorCode.BUNDLE_INTEGRITY,
      `The bundle ${origin} has sha256 ${actual}, but ${expected} was requested.`,
      {
        remedy:
          'The file was changed or replaced after it was built. Publish the bundle again and request it by its new id; nothing was run.',
        details: { bundle: origin, expected, actual },
      },
    );
    this.name = 'BundleIntegrityError';
  }
}

export class BundleNotFoundError extends MigrationRunnerError {
  constructor(origin: string, cause?: unknown) {
    super(ErrorCode.BUNDLE_NOT_FOUND, `The bundle ${origin} does not exist.`, {
      remedy: 'Check the path (or bucket and key), or build it with `stagegate bundle`; nothing was run.',
      details: { bundle: origin },
      cause,
    });
    this.name = 'BundleNotFoundError';
  }
}

/** An applied migration's checksum differs from the bundle's. */
export interface ChecksumMismatch {
  id: string;
  file: string;
  applied: string;
  bundle: string;
  appliedAt: string;
}

export class ChecksumMismatchError extends MigrationRunnerError {
  readonly mismatches: readonly ChecksumMismatch[];
  constructor(mismatches: readonly ChecksumMismatch[]) {
    const lines = mismatches
      .map((m) => `  - ${m.id} (${m.file}), applied ${m.appliedAt} as ${m.applied}, now ${m.bundle}`)
      .join('\n');
    super(
      ErrorCode.CHECKSUM_MISMATCH,
      `${mismatches.length} applied migration(s) changed since they were applied:\n${lines}`,
      {
        remedy:
          'Applied migrations must never be edited. Restore the files to what was applied (see git history) and put the change in a new migration; nothing was run.',
        details: { mismatches },
      },
    );
    this.name = 'ChecksumMismatchError';
    this.mismatches = mismatches;
  }
}

export class DatabaseAheadError extends MigrationRunnerError {
  constructor(unknownIds: readonly string[]) {
    super(
      ErrorCode.DATABASE_AHEAD,
      `The database has ${unknownIds.length} applied migration(s) this bundle does not contain: ${unknownIds.join(', ')}.`,
      {
        remedy:
          'This stage already runs a newer release. Deploy a release that contains these migrations (or the squash that replaces them); nothing was run.',
        details: { unknown: unknownIds },
      },
    );
    this.name = 'DatabaseAheadError';
  }
}

export class SquashIncompleteError extends MigrationRunnerError {
  constructor(squashId: string, applied: readonly string[], missing: readonly string[]) {
    super(
      ErrorCode.SQUASH_INCOMPLETE,
      `The squash ${squashId} cannot be used: the database applied only some of the migrations it replaces (${applied.join(', ')}), and the remaining originals are not in the bundle: ${missing.join(', ')}.`,
      {
        remedy:
          'Restore the original migration files that the squash replaces until every stage has applied the squash; nothing was run.',
        details: { squash: squashId, applied, missing },
      },
    );
    this.name = 'SquashIncompleteError';
  }
}

export class MigrationDirtyError extends MigrationRunnerError {
  constructor(id: string, file: string | null, state: string, since: string, previous?: unknown) {
    super(
      ErrorCode.MIGRATION_DIRTY,
      `The no-transaction migration ${id}${file ? ` (${file})` : ''} ${state === 'failed' ? 'failed' : 'was interrupted'} at ${since}; it may have been applied in part.`,
      {
        remedy:
          `Inspect the database (e.g. an INVALID index left by CREATE INDEX CONCURRENTLY). If every statement of ${id} took effect, run \`stagegate resolve ${id} --applied\`; ` +
          `otherwise undo what it did and run \`stagegate resolve ${id} --rolled-back\` so the next run applies it again.`,
        details: { migration: id, file, state, since, previous },
      },
    );
    this.name = 'MigrationDirtyError';
  }
}

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
}

export class MigrationFailedError extends MigrationRunnerError {
  readonly failure: MigrationFailure;
  constructor(failure: MigrationFailure, noTransaction: boolean, cause?: unknown) {
    const sqlstate = failure.sqlstate ? ` [SQLSTATE ${failure.sqlstate}]` : '';
    super(
      ErrorCode.MIGRATION_FAILED,
      `Migration ${failure.migration} failed at ${failure.file}:${failure.line}${failure.column ? `:${failure.column}` : ''}: ${failure.pgMessage}${sqlstate}`,
      {
        remedy: noTransaction
          ? `The migration ran without a transaction and is marked failed. Fix the cause, undo any partial effect, then run \`stagegate resolve ${failure.migration} --rolled-back\` and migrate again.`
          : 'The migration was rolled back and left no trace; migrations before it stay applied. Fix the migration (or the database) and run again.',
        details: { ...failure },
        cause,
      },
    );
    this.name = 'MigrationFailedError';
    this.failure = failure;
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
        details: { schema, waitedMs, holder },
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
  constructor(operation: string, sqlstate: string | null, pgMessage: string, cause?: unknown) {
    super(
      ErrorCode.DATABASE_ERROR,
      `A database error occurred while ${operation}: ${pgMessage}${sqlstate ? ` [SQLSTATE ${sqlstate}]` : ''}`,
      {
        remedy:
          'Check that the database is up and that the connecting user may create and write the ledger schema, then run again. If it persists, run with --verbose and report the output.',
        details: { operation, sqlstate, pgMessage },
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

/** Wraps anything unexpected so callers always get a code. */
export function asRunnerError(error: unknown): MigrationRunnerError {
  if (error instanceof MigrationRunnerError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MigrationRunnerError(ErrorCode.INTERNAL, `Unexpected error: ${message}`, {
    remedy: 'This is a bug in stagegate. Run again with --verbose and report the output.',
    cause: error,
  });
}
