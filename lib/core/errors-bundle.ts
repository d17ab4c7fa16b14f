import { ErrorCode, MigrationRunnerError } from './errors-base';

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

/** Longest reason kept in a bundle error: a hostile bundle decides what its reasons quote. */
const MAX_REASON_CHARS = 500;

export class BundleInvalidError extends MigrationRunnerError {
  constructor(origin: string, why: string, cause?: unknown) {
    const reason = why.length > MAX_REASON_CHARS ? `${why.slice(0, MAX_REASON_CHARS)}…` : why;
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
  /** `what` says what is at the path instead, when something is (`is a file, not a folder`). */
  constructor(origin: string, cause?: unknown, what = 'does not exist') {
    super(ErrorCode.BUNDLE_NOT_FOUND, `The bundle ${origin} ${what}.`, {
      remedy: 'Check the path (or bucket and key), or build it with `stagegate bundle`; nothing was run.',
      details: { bundle: origin },
      cause,
    });
    this.name = 'BundleNotFoundError';
  }
}

/**
 * A migrations folder that holds no migration file: most often `--dir` (or
 * `custom.stagegate.migrations`) names the wrong folder, and reading it as
 * "nothing to apply" would hide that.
 *
 * @example
 * throw new NoMigrationsError('src/', 3);
 */
export class NoMigrationsError extends MigrationRunnerError {
  /** `entries`: how many other files and folders it holds. */
  constructor(folder: string, entries: number) {
    const holds = entries === 0 ? 'is empty' : `holds ${entries} other file${entries === 1 ? '' : 's'} or folder${entries === 1 ? '' : 's'} but no \`.sql\` file`;
    super(ErrorCode.NO_MIGRATIONS, `The migrations folder ${folder} holds no migration: it ${holds}.`, {
      remedy: 'Check the folder (--dir, or custom.stagegate.migrations on a deploy: it names the folder of app folders, <app>/NNNN_name.sql), or write the first migration with `stagegate new <app> <name>`; nothing was run.',
      details: { folder, entries },
    });
    this.name = 'NoMigrationsError';
  }
}

export class BundleAccessDeniedError extends MigrationRunnerError {
  /** `remedy` replaces the S3 advice, for a bundle that is not in S3 (a file). */
  constructor(origin: string, cause?: unknown, remedy?: string) {
    super(ErrorCode.BUNDLE_ACCESS_DENIED, `Access to the bundle ${origin} was denied.`, {
      remedy: remedy ?? 'Grant the migrate function s3:GetObject on the bundles prefix of its bucket (and check the bucket and key); nothing was run.',
      details: { bundle: origin },
      cause,
    });
    this.name = 'BundleAccessDeniedError';
  }
}

export class BundleFetchFailedError extends MigrationRunnerError {
  /** `remedy` replaces the S3 advice, for a bundle that is not in S3 (a file). */
  constructor(origin: string, reason: string, cause?: unknown, remedy?: string) {
    super(ErrorCode.BUNDLE_FETCH_FAILED, `The bundle ${origin} could not be fetched: ${reason}`, {
      remedy: remedy ?? 'This is usually passing (S3 or network trouble): run again. If it persists, check the bucket\'s region and the function\'s network route to S3; nothing was run.',
      details: { bundle: origin, reason },
      cause,
    });
    this.name = 'BundleFetchFailedError';
  }
}

export class BundlePublishFailedError extends MigrationRunnerError {
  /** `remedy` replaces the bucket advice when the cause is known to be another (no AWS credentials). */
  constructor(origin: string, reason: string, cause?: unknown, remedy?: string) {
    super(ErrorCode.BUNDLE_PUBLISH_FAILED, `The bundle could not be uploaded to ${origin}: ${reason}`, {
      remedy: remedy ?? 'Check that the bucket exists in this region and that you may s3:PutObject and s3:GetObject under its bundles prefix; then run again.',
      details: { bundle: origin, reason },
      cause,
    });
    this.name = 'BundlePublishFailedError';
  }
}
