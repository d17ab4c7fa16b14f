import { ErrorCode, MigrationRunnerError } from '../../core/errors';

/** Where the migrate function runs: its name, and its stage (`STAGEGATE_STAGE`) when known. */
export interface FunctionPlace {
  functionName: string;
  stage: string | null;
}

/**
 * The error a migrate function reports, with a remedy the person behind the
 * deploy (or `stagegate … --stage`) can follow. The engine's remedies speak
 * to a local run: `--lock-wait`, which `--stage` refuses and `serverless
 * deploy` does not have; `stagegate resolve` and `stagegate status`, which
 * on a stage go through this function (`--stage`); and, for a bundle, a path
 * to check or a new id to request, where a deploy publishes by content.
 * Other errors are returned as they are.
 *
 * @example
 * throw failInvocation(remedyOnTheFunction(error, { functionName: context.functionName, stage: 'prod' }), logger);
 */
export function remedyOnTheFunction(error: MigrationRunnerError, place: FunctionPlace): MigrationRunnerError {
  const remedy = functionRemedy(error, place);
  if (remedy === null) return error;
  const rewritten = new MigrationRunnerError(error.code, error.message, { remedy, details: error.details, cause: error.cause });
  rewritten.name = error.name;
  rewritten.stack = error.stack;
  return rewritten;
}

/**
 * A result's `blocked` (what `migrate` would stop with, which `status`
 * reports) with the remedy the error itself would have on the function.
 *
 * @example
 * const response = { ...result, ...(result.blocked && { blocked: blockedOnTheFunction(result.blocked, place, target) }) };
 */
export function blockedOnTheFunction<B extends { code: string; message: string; remedy: string }>(blocked: B, place: FunctionPlace, target: string): B {
  const error = new MigrationRunnerError(blocked.code as ErrorCode, blocked.message, { remedy: blocked.remedy, details: { target } });
  const remedy = functionRemedy(error, place);
  return remedy === null ? blocked : { ...blocked, remedy };
}

/** Each `stagegate resolve <id> --applied|--rolled-back` of a remedy, as run on this stage. */
const RESOLVE_COMMAND = /`stagegate resolve (\S+) (--applied|--rolled-back)`/g;
/** Each `stagegate adopt|drift|status …` of a remedy: they run on a stage with `--stage`. */
const STAGE_COMMAND = /`stagegate (adopt|drift|status)((?: [^`]*)?)`/g;
/** Each `stagegate migrate --to <id> --drift warn` of adopt's remedy for pending dependencies. */
const DRIFT_WARN_COMMAND = /`stagegate migrate --to (\S+) --drift warn`/g;
/** What a local run's remedy names for the two timeouts, which on a stage are the function's environment. */
const LOCAL_LOCK_TIMEOUT = '(--lock-timeout, STAGEGATE_LOCK_TIMEOUT_MS)';
const LOCAL_STATEMENT_TIMEOUT = '(--statement-timeout, STAGEGATE_STATEMENT_TIMEOUT_MS, capped to the time left before a deadline)';

function functionRemedy(error: MigrationRunnerError, { functionName, stage: known }: FunctionPlace): string | null {
  const target = typeof error.details.target === 'string' ? error.details.target : 'the stage\'s database';
  const stage = known ?? '<stage>';
  // MIGRATION_DIRTY, MIGRATION_FAILED of a no-transaction migration or a reverse script, RESOLVE_REFUSED.
  const remedy = error.remedy.replace(RESOLVE_COMMAND, (_all, id: string, outcome: string) => `\`stagegate resolve ${id} ${outcome} --stage ${stage}\``);
  if (remedy !== error.remedy) {
    return `${remedy} With --stage, \`stagegate resolve\` runs through ${functionName}, which reaches ${target}; once it is settled, deploy again.`;
  }
  switch (error.code) {
    case ErrorCode.MIGRATION_FAILED: {
      const rewritten = timeoutsOnTheFunction(adoptOnTheStage(error.remedy, stage) ?? error.remedy, functionName);
      return rewritten === error.remedy ? null : rewritten;
    }
    case ErrorCode.DRIFT_DETECTED:
      return adoptOnTheStage(error.remedy, stage);
    case ErrorCode.SCRATCH_DATABASE_FAILED:
      return scratchOnTheFunction(error, functionName, stage);
    case ErrorCode.ADOPT_REFUSED:
      return adoptRefusedOnTheStage(error, stage);
    case ErrorCode.NOT_DIRTY:
      return error.remedy.replace('`stagegate status`', `\`stagegate status --stage ${stage}\``);
    case ErrorCode.LOCK_TIMEOUT: {
      const pid = /\(pid (\d+)/.exec(String(error.details.holder ?? ''))?.[1] ?? '<pid>';
      return (
        'Another run on this stage holds the lock: wait for it to finish, then deploy again (migrations it applied stay applied). ' +
        'A run whose invocation was killed releases the lock once the server notices its connection is gone; if none is running and the lock stays held, ' +
        `end that session on ${target} (\`select pg_terminate_backend(${pid})\`). ` +
        `To wait longer, raise STAGEGATE_LOCK_WAIT_MS in the environment of ${functionName} (serverless.yml), below its timeout; --lock-wait does not apply to a stage.`
      );
    }
    case ErrorCode.DATABASE_AHEAD:
      return (
        `${error.remedy} To serve an older release's code, do not deploy it again: \`serverless promote --to <version>\` points the alias back at the version it was deployed as ` +
        '(README, "Rolling back"); to revert these migrations as well, run `stagegate migrate --stage <stage> --to <id>` first from a checkout of the newer release (its bundle has their reverse scripts; the older one does not know them).'
      );
    case ErrorCode.BUNDLE_NOT_FOUND:
      return (
        `Nothing was run. A deploy (and \`stagegate … --stage\`) publishes the bundle just before it invokes ${functionName}, so if it was just published, ` +
        'the function reads another bucket than the deployer wrote to (another account or region, custom.stagegate.bucket) or a lifecycle rule removed it; ' +
        'deploy again to publish it anew.'
      );
    case ErrorCode.BUNDLE_INTEGRITY:
      return (
        `Nothing was run. The object ${String(error.details.bundle)} was replaced after it was published: deploy again (or run the \`stagegate … --stage\` command again), ` +
        'which checks the bytes under that key and uploads the bundle anew; if it happens again, find who writes to the bundles prefix.'
      );
    default:
      return null;
  }
}

/** The remedy with `--stage <stage>` added to each `stagegate adopt …` and `stagegate drift …` it names; null when it names none. */
function adoptOnTheStage(remedy: string, stage: string): string | null {
  const rewritten = remedy.replace(STAGE_COMMAND, (_all, command: string, rest: string) => `\`stagegate ${command}${rest} --stage ${stage}\``);
  return rewritten === remedy ? null : rewritten;
}

/**
 * A lock_timeout or statement_timeout failure: on a stage the limits are
 * the function's environment, which `--stage` cannot change; null when the
 * remedy names neither, it is returned as it is.
 */
function timeoutsOnTheFunction(text: string, functionName: string): string {
  const where = `in the environment of ${functionName} (custom.functionEnvironment.migrate in serverless.yml), then deploy`;
  if (text.includes(LOCAL_LOCK_TIMEOUT)) {
    return text.replace(LOCAL_LOCK_TIMEOUT, `(STAGEGATE_LOCK_TIMEOUT_MS ${where} to change it; no command-line option changes it on a stage)`);
  }
  if (text.includes(LOCAL_STATEMENT_TIMEOUT)) {
    return text
      .replace(LOCAL_STATEMENT_TIMEOUT, `(STAGEGATE_STATEMENT_TIMEOUT_MS ${where} to change it, capped to the time the invocation has left; no command-line option changes it on a stage)`)
      .replace('Run again with more time,', `Run again with more time (a longer STAGEGATE_STATEMENT_TIMEOUT_MS, and a timeout of ${functionName} that leaves room for it),`);
  }
  return text;
}

/**
 * ADOPT_REFUSED on a stage. For pending dependencies the local remedy runs
 * `migrate --to … --drift warn`; `--drift` does not apply to a stage (the
 * function's STAGEGATE_DRIFT does), so there the hand-made objects are
 * accepted into the baseline first, which adopt's proof does not rely on.
 */
function adoptRefusedOnTheStage(error: MigrationRunnerError, stage: string): string | null {
  const migrations = [...error.remedy.matchAll(DRIFT_WARN_COMMAND)].map((match) => match[1] as string);
  if (migrations.length === 0) return adoptOnTheStage(error.remedy, stage);
  const id = String(error.details.migration);
  const commands = migrations.map((m) => `\`stagegate migrate --to ${m} --stage ${stage}\``).join(', then ');
  return (
    `Apply those first, and not this one: ${commands}, then \`stagegate adopt ${id} --stage ${stage}\`. ` +
    `If migrate stops with DRIFT_DETECTED on objects made by hand for ${id} (--drift does not apply to a stage; the function's STAGEGATE_DRIFT does), ` +
    `check with \`stagegate drift --stage ${stage}\` that they are all it lists, accept them with \`stagegate drift --accept --reason "made by hand for ${id}" --stage ${stage}\`, and run those again: ` +
    'adopt still proves the objects against the migration before it records it. Nothing was written.'
  );
}

/**
 * No scratch database for adopt's proof on the stage's server: the
 * function's own database user creates it, so that user needs CREATEDB
 * (a role without it gets SQLSTATE 42501, "permission denied to create
 * database"); `--force` records the migration without the proof.
 */
function scratchOnTheFunction(error: MigrationRunnerError, functionName: string, stage: string): string {
  const server = String(error.details.server ?? 'the stage\'s database');
  const user = /^([^@]+)@/.exec(server)?.[1] ?? '<user>';
  const id = typeof error.details.migration === 'string' ? error.details.migration : '<id>';
  const force = `\`stagegate adopt ${id} --force --reason "…" --stage ${stage}\` records it without the proof (the objects are then not compared).`;
  if (error.details.sqlstate !== '42501') return `${error.remedy} Or ${force}`;
  return (
    `${functionName} creates the scratch database as its own database user (${server}), which lacks CREATEDB: ` +
    `grant it (\`ALTER ROLE ${user} CREATEDB\`, run as a role that may, such as the RDS master user), then adopt again; stagegate drops the scratch database when it is done. ` +
    `Or ${force} Nothing was changed.`
  );
}
