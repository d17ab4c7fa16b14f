import { ErrorCode, MigrationRunnerError } from './errors-base';
import { reverseFile } from './migration';

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

/** An applied migration the bundle lacks, whose text a pending migration of the bundle has: its file was most likely renamed. */
export interface LikelyRename {
  /** The applied id. */
  id: string;
  /** The bundle's id with the same text. */
  to: string;
  /** Its file. */
  file: string;
  /** Its reverse script's file, when it has one: renamed with it, so it goes back with it. */
  downFile?: string;
}

/**
 * The database applied migrations the bundle does not contain: a newer
 * release runs there, a file was deleted, or (`renamed`) renamed.
 *
 * @example
 * throw new DatabaseAheadError(['a/0002_y'], [{ id: 'a/0002_y', to: 'a/0002_why', file: 'a/0002_why.sql' }]);
 */
export class DatabaseAheadError extends MigrationRunnerError {
  constructor(unknownIds: readonly string[], renamed: readonly LikelyRename[] = []) {
    const looks = renamed.map((r) => ` ${r.id} looks renamed to ${r.file}: that file has the text ${r.id} was applied with, and would run again under the id ${r.to}.`);
    const others = unknownIds.length > renamed.length;
    const back = renamed
      .map((r) => (r.downFile === undefined ? `give ${r.file} its applied name back: ${r.id}.sql` : `give ${r.file} and ${r.downFile} their applied names back: ${r.id}.sql and ${reverseFile(`${r.id}.sql`)}`))
      .join('; ');
    super(
      ErrorCode.DATABASE_AHEAD,
      `The database has ${unknownIds.length} applied migration(s) this bundle does not contain: ${unknownIds.join(', ')}.${looks.join('')}`,
      {
        remedy:
          (renamed.length > 0 ? `An applied migration is known by its id, its file name: ${back}. ${others ? 'For the others: ' : 'If it was not renamed: '}` : '') +
          `This stage already runs a newer release, or a migration's file was deleted: deploy a release that contains these migrations (or the squash that replaces them), or, if a file was deleted, restore its file (see git history); nothing was run.`,
        details: { unknown: unknownIds, renamed },
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
  constructor(id: string, file: string | null, state: string, since: string, previous?: unknown, reverting = false) {
    const what = state === 'failed' ? 'failed' : 'was interrupted';
    // A failed reverse settles the other way round: its statements taking effect means the migration is no longer applied.
    const message = reverting
      ? `The reverse script of the no-transaction migration ${id}${file ? ` (${reverseFile(file)})` : ''} ${what} at ${since}; it may have been reverted in part.`
      : `The no-transaction migration ${id}${file ? ` (${file})` : ''} ${what} at ${since}; it may have been applied in part.`;
    const remedy = reverting
      ? `Inspect the database. If every statement of the reverse script took effect (finish undoing ${id} by hand if not), run \`stagegate resolve ${id} --rolled-back\` (it counts as not applied); ` +
        `if you restored what it removed, run \`stagegate resolve ${id} --applied\`.`
      : `Inspect the database (e.g. an INVALID index left by CREATE INDEX CONCURRENTLY). If every statement of ${id} took effect, run \`stagegate resolve ${id} --applied\`; ` +
        `otherwise undo what it did and run \`stagegate resolve ${id} --rolled-back\` so the next run applies it again.`;
    super(ErrorCode.MIGRATION_DIRTY, message, { remedy, details: { migration: id, file, state, since, previous, ...(reverting ? { reverting: true } : {}) } });
    this.name = 'MigrationDirtyError';
  }
}
