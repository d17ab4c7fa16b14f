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

function functionRemedy(error: MigrationRunnerError, { functionName, stage: known }: FunctionPlace): string | null {
  const target = typeof error.details.target === 'string' ? error.details.target : 'the stage\'s database';
  const stage = known ?? '<stage>';
  // MIGRATION_DIRTY, MIGRATION_FAILED of a no-transaction migration or a reverse script, RESOLVE_REFUSED.
  const remedy = error.remedy.replace(RESOLVE_COMMAND, (_all, id: string, outcome: string) => `\`stagegate resolve ${id} ${outcome} --stage ${stage}\``);
  if (remedy !== error.remedy) {
    return `${remedy} With --stage, \`stagegate resolve\` runs through ${functionName}, which reaches ${target}; once it is settled, deploy again.`;
  }
  switch (error.code) {
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
