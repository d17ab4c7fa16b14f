import { ErrorCode, MigrationRunnerError } from './errors-base';

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
