import { ErrorCode, MigrationRunnerError } from './errors-base';
import { reverseFile } from './migration';

/**
 * `--to <target>` names nothing this bundle can reach: a malformed target, a
 * migration id the bundle does not contain, or an app without migrations.
 *
 * @example
 * throw new TargetUnknownError('organization/0009_gone', 'the bundle has no such migration');
 */
export class TargetUnknownError extends MigrationRunnerError {
  constructor(target: string, reason: string) {
    super(ErrorCode.TARGET_UNKNOWN, `The target ${JSON.stringify(target.slice(0, 200))} is unknown: ${reason}.`, {
      remedy:
        'Name a migration of this bundle (`stagegate status` lists them) as <app>/<NNNN>_<name>, `<app>/zero` to revert an app completely, or `zero` to revert everything; nothing was run.',
      details: { target: target.slice(0, 200), reason },
    });
    this.name = 'TargetUnknownError';
  }
}

/**
 * The target is a migration replaced by a squash that is in effect: the
 * database can only be before or after the squash's whole range.
 *
 * @example
 * throw new TargetReplacedError('org/0002_type', 'org/0001_squashed_0003');
 */
export class TargetReplacedError extends MigrationRunnerError {
  constructor(target: string, squash: string) {
    super(ErrorCode.TARGET_REPLACED, `The target ${target} is replaced by the squash ${squash}, which is in effect: the database cannot stop inside the squash's range.`, {
      remedy: `Target ${squash} itself, or the migration just before the range it replaces; nothing was run.`,
      details: { target, squash },
    });
    this.name = 'TargetReplacedError';
  }
}

/** A migration that reaching the target would revert, and why it cannot be. */
export interface IrreversibleMigration {
  id: string;
  file: string;
  /** `irreversible`: marked `-- stagegate:irreversible`; `no-reverse-script`: no `.down.sql` beside it. */
  reason: 'irreversible' | 'no-reverse-script';
}

/**
 * Reaching the target would revert migrations that cannot be reverted. Every
 * one is named; the plan stops before anything runs.
 *
 * @example
 * throw new IrreversibleError('organization/0001_initial', [{ id: 'organization/0003_x', file: 'organization/0003_x.sql', reason: 'irreversible' }]);
 */
export class IrreversibleError extends MigrationRunnerError {
  readonly migrations: readonly IrreversibleMigration[];
  constructor(target: string, migrations: readonly IrreversibleMigration[]) {
    const lines = migrations
      .map((m) => `  - ${m.id} (${m.file}): ${m.reason === 'irreversible' ? 'marked -- stagegate:irreversible' : `has no reverse script ${reverseFile(m.file)}`}`)
      .join('\n');
    super(ErrorCode.IRREVERSIBLE, `Going back to ${target} would revert ${migrations.length} migration(s) that cannot be reverted:\n${lines}`, {
      remedy:
        'Add the missing .down.sql files (and remove -- stagegate:irreversible where the change can be undone), or choose a target after these migrations; nothing was run.',
      details: { target, migrations },
    });
    this.name = 'IrreversibleError';
    this.migrations = migrations;
  }
}
