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
  BUNDLE_ACCESS_DENIED: 'BUNDLE_ACCESS_DENIED',
  BUNDLE_FETCH_FAILED: 'BUNDLE_FETCH_FAILED',
  BUNDLE_PUBLISH_FAILED: 'BUNDLE_PUBLISH_FAILED',
  EVENT_INVALID: 'EVENT_INVALID',
  CREDENTIALS_UNAVAILABLE: 'CREDENTIALS_UNAVAILABLE',
  LAMBDA_INVOKE_FAILED: 'LAMBDA_INVOKE_FAILED',
  MIGRATIONS_UNCOMMITTED: 'MIGRATIONS_UNCOMMITTED',
  DEPLOY_REFUSED: 'DEPLOY_REFUSED',
  PROMOTE_REFUSED: 'PROMOTE_REFUSED',
  ALIAS_UPDATE_FAILED: 'ALIAS_UPDATE_FAILED',
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
  TARGET_UNKNOWN: 'TARGET_UNKNOWN',
  TARGET_REPLACED: 'TARGET_REPLACED',
  IRREVERSIBLE: 'IRREVERSIBLE',
  SCRATCH_DATABASE_FAILED: 'SCRATCH_DATABASE_FAILED',
  DRIFT_DETECTED: 'DRIFT_DETECTED',
  ADOPT_REFUSED: 'ADOPT_REFUSED',
  REHEARSAL_FAILED: 'REHEARSAL_FAILED',
  SQUASH_REFUSED: 'SQUASH_REFUSED',
  SQUASH_NOT_EQUIVALENT: 'SQUASH_NOT_EQUIVALENT',
  PRUNE_REFUSED: 'PRUNE_REFUSED',
  STAGE_ORDER: 'STAGE_ORDER',
  STAGE_RECORD_INVALID: 'STAGE_RECORD_INVALID',
  STAGE_RECORD_ACCESS_DENIED: 'STAGE_RECORD_ACCESS_DENIED',
  STAGE_RECORD_FAILED: 'STAGE_RECORD_FAILED',
  LINT_FAILED: 'LINT_FAILED',
  CHECK_FAILED: 'CHECK_FAILED',
  MIGRATION_EXISTS: 'MIGRATION_EXISTS',
  RESOLVE_REFUSED: 'RESOLVE_REFUSED',
  NO_MIGRATIONS: 'NO_MIGRATIONS',
  INTERRUPTED: 'INTERRUPTED',
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

/**
 * A connection URL's password: from the `:` after the user to the last `@`
 * before a quote (a password may hold spaces and `@`), or else before a
 * space (it may hold a quote), or, with no `@` after it, to the end of the
 * quoted text it was cut in.
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^\s:@/"']*):(?:[^"'\n]*@|\S*@|[^"'\n]*)/gi;

/**
 * `text` with the password of every URL in it replaced by `***`: a usage
 * message quotes the argument it refuses, and a URL given where no URL goes
 * (`stagegate status $DATABASE_URL`) must not be printed with its password.
 *
 * @example
 * withoutPasswords('got "postgres://app:s3cret@db/app".'); // 'got "postgres://app:***@db/app".'
 */
export function withoutPasswords(text: string): string {
  return text.replace(URL_PASSWORD, (match: string, head: string) => `${head}:***${match.endsWith('@') ? '@' : ''}`);
}

/** Bad command-line usage (exit code 2). */
export class UsageError extends MigrationRunnerError {
  constructor(message: string, remedy = 'Run `stagegate help` for the commands and their options.') {
    super(ErrorCode.USAGE, withoutPasswords(message), { remedy });
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
  /** `remedy` says where the settings are written when that is not the environment or the command line (serverless.yml). */
  constructor(problems: readonly ConfigProblem[], remedy = 'Fix each setting listed above (environment variable or command-line option) and run again.') {
    const lines = problems.map((p) => `  - ${p.key}: ${p.problem}`).join('\n');
    super(ErrorCode.CONFIG_INVALID, `The configuration is invalid:\n${lines}`, {
      remedy,
      details: { problems },
    });
    this.name = 'ConfigInvalidError';
    this.problems = problems;
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
