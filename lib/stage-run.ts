/**
 * The stage steps of a migrate run, called by `runMigrations` under the
 * ledger lock: the order check before anything is applied, and the stage
 * record after a successful run. Decisions are `core/stage-order`'s.
 */
import { asRunnerError, StageOrderError, StageRecordAccessDeniedError } from './core/errors';
import { decideStageOrder, type StagedMigration } from './core/stage-order';
import { buildStageRecord } from './core/stage-record';
import type { RunResult } from './core/result';
import type { Clock, LedgerSession, Logger, RunStart, StageRecords } from './ports';

/** The override a request may carry: a reason, checked at the boundary (non-empty, capped). */
export interface StageOrderOverride {
  reason: string;
}

/**
 * Checks that the previous stage applied every migration in `toApply`, with
 * the checksum this run would apply.
 * Returns the override to record when the check failed and `override` lets
 * the run proceed; undefined when the check passed. Throws `StageOrderError`
 * (or a stage-record error when the previous record cannot be read).
 *
 * @example
 * const stageOverride = await checkStageOrder(stages, logger, [{ id: 'shop/0004_refunds', checksum: 'v1:…' }], request.stageOrderOverride);
 */
export async function checkStageOrder(
  stages: StageRecords,
  logger: Logger,
  toApply: readonly StagedMigration[],
  override: StageOrderOverride | undefined,
): Promise<RunStart['stageOverride']> {
  const needed = stages.previousStage !== null && toApply.length > 0;
  const previous = needed ? await readPrevious(stages, logger, override) : null;
  const decision = decideStageOrder({ previousStage: stages.previousStage, previous, toApply });
  if (decision.allowed) {
    logger.info('stage_order.checked', { stage: stages.stage, previousStage: stages.previousStage, toApply: toApply.length });
    if (override) logger.info('stage_order.override_unused', { stage: stages.stage, reason: 'the stage order allows this run' });
    return undefined;
  }
  const facts = { stage: stages.stage, previousStage: decision.previousStage, reason: decision.reason, missing: decision.missing, changed: decision.changed };
  if (!override) throw new StageOrderError(facts);
  logger.warn('stage_order.overridden', { ...facts, overrideReason: override.reason });
  return { reason: override.reason, previousStage: decision.previousStage, missing: decision.missing };
}

/**
 * The previous stage's record. Under an override, a refused read counts as
 * no record (S3 refuses a missing object to a caller that may not list the
 * bucket), so the override can still let the run proceed.
 */
async function readPrevious(stages: StageRecords, logger: Logger, override: StageOrderOverride | undefined) {
  try {
    return await stages.previous();
  } catch (error) {
    if (!override || !(error instanceof StageRecordAccessDeniedError)) throw error;
    logger.warn('stage_record.unreadable', { stage: stages.previousStage, reason: error.message, overridden: true });
    return null;
  }
}

/**
 * Writes this stage's record from the ledger as it is now. A failure is
 * logged and reported in the result, never thrown: the migrations it would
 * describe succeeded.
 *
 * @example
 * const stageRecord = await recordStage(stages, session, logger, clock, bundle.id);
 */
export async function recordStage(
  stages: StageRecords,
  session: LedgerSession,
  logger: Logger,
  clock: Clock,
  bundleId: string,
): Promise<NonNullable<RunResult['stageRecord']>> {
  try {
    const ledger = await session.readLedger();
    const facts = await session.readStageFacts();
    const recordedAt = new Date(clock.now()).toISOString();
    const record = buildStageRecord({ stage: stages.stage, bundleId, recordedAt, ledger: ledger.rows, schemaHash: facts.schemaHash, overrides: facts.overrides });
    await stages.write(record);
    logger.info('stage_record.written', { stage: stages.stage, applied: record.applied.length, schemaHash: record.schemaHash });
    return { written: true };
  } catch (error) {
    const reason = asRunnerError(error).message;
    logger.warn('stage_record.not_written', { stage: stages.stage, reason });
    return { written: false, reason };
  }
}
