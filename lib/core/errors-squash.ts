import { ErrorCode, MigrationRunnerError } from './errors-base';

/** One reason a range cannot be squashed, tied to a migration where there is one. */
export interface SquashProblem {
  /** The migration the problem is about, or null for the range as a whole. */
  id: string | null;
  /** Its file (relative to the migrations folder), or null. */
  file: string | null;
  /** 1-based line of the statement concerned, where there is one. */
  line?: number;
  message: string;
}

/**
 * `stagegate squash` will not write a squash for this range: every reason is
 * listed. Nothing was written.
 */
export class SquashRefusedError extends MigrationRunnerError {
  readonly problems: readonly SquashProblem[];
  constructor(app: string, problems: readonly SquashProblem[], remedy?: string) {
    const lines = problems.map((p) => `  - ${p.file ? `${p.file}${p.line ? `:${p.line}` : ''}: ` : ''}${p.message}`).join('\n');
    super(ErrorCode.SQUASH_REFUSED, `Cannot squash migrations of app ${app}:\n${lines}`, {
      remedy: remedy ?? 'Choose a range without these migrations (--from/--to), or fix them; no file was written.',
      details: { app, problems },
    });
    this.name = 'SquashRefusedError';
    this.problems = problems;
  }
}

/**
 * The generated squash, applied to a fresh database, does not produce the
 * schema the originals produce. Each difference is listed; nothing was written.
 */
export class SquashNotEquivalentError extends MigrationRunnerError {
  constructor(squashId: string, differences: readonly string[], detail: readonly unknown[]) {
    const shown = differences.slice(0, 20).map((d) => `  - ${d}`);
    if (differences.length > shown.length) shown.push(`  … and ${differences.length - shown.length} more`);
    super(
      ErrorCode.SQUASH_NOT_EQUIVALENT,
      `The generated squash ${squashId} does not reproduce the schema of the migrations it replaces (${differences.length} difference(s), squash compared with the originals):\n${shown.join('\n')}`,
      {
        remedy:
          'The range uses something the generator cannot reproduce yet: squash a shorter range that leaves it out, or keep these migrations as they are. No file was written.',
        details: { squash: squashId, differences: detail },
      },
    );
    this.name = 'SquashNotEquivalentError';
  }
}

/** Where prune looked for proof that a squash is applied, and what it found. */
export interface PruneShortfall {
  /** `stage production`, `database app@db:5432/app`. */
  where: string;
  squash: string;
  /** `has not applied it`, `has no stage record`. */
  reason: string;
}

/**
 * `stagegate squash --prune` will not delete the originals: some stage (or
 * the database checked) has not applied the squash, and would still need them.
 */
export class PruneRefusedError extends MigrationRunnerError {
  constructor(app: string, shortfalls: readonly PruneShortfall[], noEvidence = false) {
    const lines = shortfalls.map((s) => `  - ${s.where} ${s.reason} (${s.squash})`).join('\n');
    super(
      ErrorCode.PRUNE_REFUSED,
      noEvidence
        ? `Cannot prune the originals of app ${app}: there is nothing to check that every stage applied the squash (no stages in serverless.yml custom.stagegate and no --database-url).`
        : `Cannot prune the originals of app ${app}: they are still needed where the squash is not applied:\n${lines}`,
      {
        remedy:
          'Deploy the squash to every stage listed first (a stage that has the originals records it without running anything), then prune. To delete them anyway, pass --force --reason "…". Nothing was deleted.',
        details: { app, shortfalls },
      },
    );
    this.name = 'PruneRefusedError';
  }
}
