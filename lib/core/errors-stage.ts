import { ErrorCode, MigrationRunnerError } from './errors-base';

/** The longest list of migrations a message spells out; the details keep them all. */
const MAX_NAMED = 20;

function named(ids: readonly string[]): string {
  const shown = ids.slice(0, MAX_NAMED).join(', ');
  return ids.length > MAX_NAMED ? `${shown} and ${ids.length - MAX_NAMED} more` : shown;
}

/** Why a stage may not run a bundle yet. */
export const StageOrderReason = {
  /** The stage before it has never recorded a successful run. */
  NO_RECORD: 'no-record',
  /** The stage before it has not applied some of the migrations this run would apply. */
  NOT_APPLIED: 'not-applied',
  /** The stage before it applied every one of them, but some with another checksum: their files were edited since. */
  CHECKSUM_DIFFERS: 'checksum-differs',
} as const;
export type StageOrderReason = (typeof StageOrderReason)[keyof typeof StageOrderReason];

/**
 * A run on a stage would apply migrations that the stage before it (in
 * `custom.stagegate.stages`) has not applied successfully. Nothing ran.
 *
 * @example
 * throw new StageOrderError({ stage: 'production', previousStage: 'staging', reason: 'not-applied', missing: ['shop/0004_refunds'] });
 */
export class StageOrderError extends MigrationRunnerError {
  readonly missing: readonly string[];
  constructor(facts: { stage: string; previousStage: string; reason: StageOrderReason; missing: readonly string[]; changed?: readonly string[] }) {
    const { stage, previousStage, missing } = facts;
    const changed = facts.changed ?? [];
    super(ErrorCode.STAGE_ORDER, `Stage order: ${refusal(facts, changed)} Stages run in the order of custom.stagegate.stages.`, {
      remedy: `${changed.length > 0 ? `Restore the text ${previousStage} applied (see git history) and put the change in a new migration: ${previousStage} refuses the edited file with CHECKSUM_MISMATCH. ` : ''}Deploy this release to ${previousStage} first (and let its migrations succeed), then to ${stage}. If ${stage} must go first (a hotfix), run again with --override-stage-order --reason "<why>"; the override is recorded. Nothing was applied.`,
      details: { stage, previousStage, reason: facts.reason, missing, changed },
    });
    this.name = 'StageOrderError';
    this.missing = missing;
  }
}

/** Why the stage is refused, in one or two sentences. */
function refusal(facts: { stage: string; previousStage: string; reason: StageOrderReason; missing: readonly string[] }, changed: readonly string[]): string {
  const { stage, previousStage, missing } = facts;
  if (facts.reason === StageOrderReason.NO_RECORD) return `${previousStage} has never recorded a run, so ${stage} may not apply ${missing.length} migration(s) yet: ${named(missing)}.`;
  const edited = `migration(s) whose file was edited after ${previousStage} applied it (${previousStage} applied another checksum)`;
  if (changed.length === missing.length) return `${stage} would apply ${changed.length} ${edited}: ${named(changed)}.`;
  const absent = missing.filter((id) => !changed.includes(id));
  const also = changed.length > 0 ? ` It would also apply ${changed.length} ${edited}: ${named(changed)}.` : '';
  return `${stage} would apply ${absent.length} migration(s) that ${previousStage} has not applied: ${named(absent)}.${also}`;
}

/** What is wrong with a stage record that could be read. */
export const StageRecordProblem = {
  /** The object is not JSON. */
  NOT_JSON: 'not-json',
  /** JSON, but not a stage record of a format this version reads. */
  WRONG_FORMAT: 'wrong-format',
} as const;
export type StageRecordProblem = (typeof StageRecordProblem)[keyof typeof StageRecordProblem];

/**
 * A stage record in S3 is not JSON, or not a record of a format this
 * version of stagegate reads.
 *
 * @example
 * throw new StageRecordInvalidError('staging', 's3://deploys/stagegate/stages/staging/state.json', 'wrong-format', 'format is 2; this version reads 1');
 */
export class StageRecordInvalidError extends MigrationRunnerError {
  constructor(stage: string, location: string, problem: StageRecordProblem, reason: string, cause?: unknown) {
    super(ErrorCode.STAGE_RECORD_INVALID, `The stage record of ${stage} at ${location} is unreadable (${problem}): ${reason}`, {
      remedy: `The record is rewritten by ${stage}'s next successful migrate run: run \`stagegate migrate --stage ${stage}\` (or deploy ${stage}). If a newer stagegate wrote it, upgrade. Nothing was applied.`,
      details: { stage, location, problem, reason },
      cause,
    });
    this.name = 'StageRecordInvalidError';
  }
}

/**
 * S3 refused to read or write a stage record.
 *
 * @example
 * throw new StageRecordAccessDeniedError('staging', 's3://deploys/stagegate/stages/staging/state.json', 'read', error);
 */
export class StageRecordAccessDeniedError extends MigrationRunnerError {
  constructor(stage: string, location: string, operation: 'read' | 'write', cause?: unknown) {
    // Without s3:ListBucket, S3 answers a read of a missing object with 403 too.
    const missing = operation === 'read' ? ` S3 answers the same when the record does not exist and the caller may not list the bucket: ${stage} may never have recorded a run.` : '';
    super(ErrorCode.STAGE_RECORD_ACCESS_DENIED, `S3 refused to ${operation} the stage record of ${stage} at ${location}.${missing}`, {
      remedy:
        operation === 'read'
          ? `If ${stage} never ran, deploy it first (or override the stage order with a reason). Otherwise grant s3:GetObject on <prefix>/stages/${stage}/* to the caller (the migrate function of the next stage has it; another account needs a bucket policy, see the README). Nothing was applied.`
          : `Grant s3:PutObject on <prefix>/stages/${stage}/* to ${stage}'s migrate role.`,
      details: { stage, location, operation },
      cause,
    });
    this.name = 'StageRecordAccessDeniedError';
  }
}

/**
 * Reading or writing a stage record failed for another reason (network,
 * missing bucket, S3 error).
 *
 * @example
 * throw new StageRecordFailedError('staging', location, 'read', 'NoSuchBucket (HTTP 404): …', error);
 */
export class StageRecordFailedError extends MigrationRunnerError {
  constructor(stage: string, location: string, operation: 'read' | 'write', reason: string, cause?: unknown) {
    super(ErrorCode.STAGE_RECORD_FAILED, `Could not ${operation} the stage record of ${stage} at ${location}: ${reason}`, {
      remedy: 'Check the bucket name and region and the route to S3, then run again. Nothing was applied.',
      details: { stage, location, operation, reason },
      cause,
    });
    this.name = 'StageRecordFailedError';
  }
}
