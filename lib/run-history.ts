/**
 * The runs table and the complete mark, as the orchestrator writes them:
 * neither may hide the error of the run itself, so a failure to write them
 * is logged and nothing more.
 */
import { asRunnerError, type MigrationRunnerError } from './core/errors';
import { Action } from './core/result';
import { RunOutcome, type LedgerSession, type Logger } from './ports';
import type { StepProgress } from './run-steps';

/**
 * The run's history row: the ids applied and reverted.
 *
 * @example
 * await session.finishRun(runId, { outcome: RunOutcome.SUCCEEDED, ...historyOf(progress) });
 */
export const historyOf = (progress: StepProgress): { applied: string[]; reverted: string[] } => ({
  applied: progress.applied.map((a) => a.id),
  reverted: progress.reverted.map((r) => r.id),
});

/**
 * The mark only spares the next run some work: failing to write it fails nothing.
 *
 * @example
 * await markComplete(session, logger, bundle.id);
 */
export async function markComplete(session: LedgerSession, logger: Logger, bundleId: string): Promise<void> {
  try {
    await session.markComplete(bundleId);
  } catch (error) {
    logger.warn('ledger.mark_not_written', { reason: asRunnerError(error).message });
  }
}

/**
 * A run refused before its first step (plan, stage order, drift): one failed runs row.
 *
 * @example
 * await recordRefusal(session, logger, request.actor, bundle.id, error);
 */
export async function recordRefusal(session: LedgerSession, logger: Logger, actor: string, bundleId: string, error: unknown): Promise<void> {
  try {
    const runId = await session.startRun({ action: Action.MIGRATE, bundleId, actor });
    await finishFailed(session, logger, runId, { applied: [], reverted: [] }, asRunnerError(error));
  } catch (secondary) {
    logger.warn('run.history_not_written', { reason: asRunnerError(secondary).message });
  }
}

/**
 * Ends a runs row as failed, with what the run did before the error.
 *
 * @example
 * await finishFailed(session, logger, runId, progress, error);
 */
export async function finishFailed(session: LedgerSession, logger: Logger, runId: number, progress: StepProgress, error: MigrationRunnerError): Promise<void> {
  logger.error('run.failed', { code: error.code, message: error.message, applied: progress.applied.length, reverted: progress.reverted.length });
  try {
    const { applied: _omit, reverted: _omitToo, ...json } = error.toJSON();
    await session.finishRun(runId, { outcome: RunOutcome.FAILED, ...historyOf(progress), error: json });
  } catch (secondary) {
    // The connection may be gone; the original error matters more than the history row.
    logger.warn('run.history_not_written', { runId, reason: asRunnerError(secondary).message });
  }
}
