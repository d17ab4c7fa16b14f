import { ErrorCode, MigrationRunnerError } from './errors-base';

/** One migration file whose git state is not "committed". */
export interface UncommittedFile {
  /** Path as git prints it, relative to the repository root. */
  file: string;
  /** Human form of git's status: `untracked`, `modified`, `added, not committed`, `deleted`, `ignored by git`… */
  state: string;
}

/** Why the migrations folder could not be shown to match a commit. */
export const UncommittedReason = {
  /** Some files differ from the last commit. */
  FILES: 'files',
  /** The folder is not inside a git work tree. */
  NOT_A_REPOSITORY: 'not-a-repository',
  /** No `git` program could be run. */
  GIT_MISSING: 'git-missing',
  /** git ran but failed (an unreadable index, a repository owned by another user…); what it said is kept. */
  GIT_FAILED: 'git-failed',
} as const;
export type UncommittedReason = (typeof UncommittedReason)[keyof typeof UncommittedReason];

const ESCAPE_HATCH = 'pass --allow-uncommitted to deploy them anyway (for a personal stage only: other stages would then run SQL nobody can find in git)';

/**
 * The deploy gate refuses to bundle migrations that are not committed: what a
 * stage runs must be recoverable from git. Lists every file with its state.
 *
 * @example
 * throw new MigrationsUncommittedError('migrations', UncommittedReason.FILES, [{ file: 'migrations/app/0002_x.sql', state: 'untracked' }]);
 */
export class MigrationsUncommittedError extends MigrationRunnerError {
  readonly files: readonly UncommittedFile[];
  /** `gitSays`: git's own words, for `GIT_FAILED`. */
  constructor(folder: string, reason: UncommittedReason, files: readonly UncommittedFile[] = [], cause?: unknown, gitSays = '') {
    const text = {
      [UncommittedReason.FILES]: {
        message: `${files.length} migration file(s) in ${folder} are not committed:\n${files.map((f) => `  - ${f.file} (${f.state})`).join('\n')}`,
        remedy: `Commit them (\`git add ${folder} && git commit\`) and deploy again, or ${ESCAPE_HATCH}. Nothing was published or deployed.`,
      },
      [UncommittedReason.NOT_A_REPOSITORY]: {
        message: `${folder} is not inside a git repository, so stagegate cannot check that its migrations are committed.`,
        remedy: `Deploy from a clone of the service's repository, or ${ESCAPE_HATCH}. Nothing was published or deployed.`,
      },
      [UncommittedReason.GIT_MISSING]: {
        message: `git could not be run, so stagegate cannot check that the migrations in ${folder} are committed.`,
        remedy: `Install git (it must be on PATH), or ${ESCAPE_HATCH}. Nothing was published or deployed.`,
      },
      [UncommittedReason.GIT_FAILED]: {
        message: `git status failed for ${folder}, so stagegate cannot check that its migrations are committed. git said: ${gitSays || 'nothing'}`,
        remedy: `Fix what git reports (a checkout owned by another user, as in some CI containers, needs \`git config --global --add safe.directory <repository>\`) and deploy again, or ${ESCAPE_HATCH}. Nothing was published or deployed.`,
      },
    }[reason];
    super(ErrorCode.MIGRATIONS_UNCOMMITTED, text.message, { remedy: text.remedy, details: { folder, reason, files, ...(gitSays ? { gitSays } : {}) }, cause });
    this.name = 'MigrationsUncommittedError';
    this.files = files;
  }
}

/**
 * The gate refused to deploy: a command would let new code serve without its
 * migrations (e.g. `deploy function` of a promoted function), or a deploy
 * cannot be finished safely. The message says why, the remedy what to run.
 *
 * @example
 * throw new DeployRefusedError('`serverless deploy function -f api` would …', 'Run `serverless deploy`.');
 */
export class DeployRefusedError extends MigrationRunnerError {
  constructor(message: string, remedy: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.DEPLOY_REFUSED, message, { remedy, details });
    this.name = 'DeployRefusedError';
  }
}

/**
 * `promote` refused to point the alias at an earlier version: that version's
 * bundle lacks migrations the database has applied, or the version cannot be
 * tied to a bundle.
 *
 * @example
 * throw PromoteRefusedError.databaseAhead('stagegate-prod-api', '12', ['shop/0004_refunds']);
 */
export class PromoteRefusedError extends MigrationRunnerError {
  constructor(message: string, remedy: string, details: Record<string, unknown>) {
    super(ErrorCode.PROMOTE_REFUSED, message, { remedy, details });
    this.name = 'PromoteRefusedError';
  }

  /** The database applied migrations the version's bundle does not know. */
  static databaseAhead(functionName: string, version: string, unknown: readonly string[]): PromoteRefusedError {
    return new PromoteRefusedError(
      `Version ${version} of ${functionName} was deployed before ${unknown.length} migration(s) the database has applied: ${unknown.join(', ')}. Its code may not work with the current schema.`,
      'Promote a later version, or deploy a fix; if you checked that this version works with the current schema, run promote again with --force --reason "<why>". The alias was not moved.',
      { function: functionName, version, unknown },
    );
  }

  /** The bundle the version names is not in S3 any more (a lifecycle rule, another prefix), so nothing can be checked. */
  static bundleMissing(functionName: string, version: string, location: string): PromoteRefusedError {
    return new PromoteRefusedError(
      `Version ${version} of ${functionName} was deployed with the bundle ${location}, which does not exist any more, so its migrations cannot be checked against the database.`,
      'Promote a version whose bundle is still there, or, if you checked by hand that this version works with the current schema, run promote again with --force --reason "<why>". The alias was not moved.',
      { function: functionName, version, bundle: location },
    );
  }

  /** The version's bundle has migrations the database has not applied. */
  static databaseBehind(functionName: string, version: string, pending: readonly string[]): PromoteRefusedError {
    return new PromoteRefusedError(
      `Version ${version} of ${functionName} expects ${pending.length} migration(s) the database has not applied: ${pending.join(', ')}.`,
      'Apply them first (`serverless migrate` from that release), or promote another version; --force skips this check. The alias was not moved.',
      { function: functionName, version, pending },
    );
  }
}

/**
 * Reading or moving a function's alias failed. The migrations (if any ran)
 * stay applied; the alias stays where it was.
 *
 * @example
 * throw new AliasUpdateFailedError('stagegate-prod-api', 'live', '13', 'AccessDeniedException: …', remedy, error);
 */
export class AliasUpdateFailedError extends MigrationRunnerError {
  constructor(functionName: string, alias: string, version: string | null, reason: string, remedy: string, cause?: unknown) {
    const what = version === null ? `Reading the alias ${alias} of ${functionName}` : `Moving the alias ${alias} of ${functionName} to version ${version}`;
    super(ErrorCode.ALIAS_UPDATE_FAILED, `${what} failed: ${reason}`, { remedy, details: { function: functionName, alias, version, reason }, cause });
    this.name = 'AliasUpdateFailedError';
  }
}
