import type { DriftReport } from './core/drift';
import { asRunnerError, DriftDetectedError } from './core/errors';
import { Action } from './core/result';
import type { SchemaDifference } from './core/schema';
import { RunOutcome, type Logger, type MigrationDatabase } from './ports';
import type { RunSettings } from './run';

export interface DriftRequest {
  /** Make the live schemas the baseline, recording why. Without it, only compare. */
  accept?: { reason: string };
  actor: string;
}

export interface DriftResult {
  ok: true;
  action: 'drift';
  ledgerSchema: string;
  /** Whether a usable baseline was stored before this command (see `DriftReport`). */
  baseline: boolean;
  /** A baseline is stored but older than the ledger, or stored by another major version of PostgreSQL, so nothing was compared. */
  stale: boolean;
  /** The major versions of PostgreSQL that stored the baseline and that runs now, when they differ (see `DriftReport`). */
  serverUpgrade?: { from: number; to: number };
  /** The differences found (without `accept`: none, or this would have thrown). */
  differences: SchemaDifference[];
  /** With `accept`: the differences that are now part of the baseline. */
  accepted?: SchemaDifference[];
  reason?: string;
}

/** The runs-table action of an accepted drift. */
const DRIFT_ACCEPT_ACTION = 'drift-accept';

/**
 * `stagegate drift`: compares the live schemas with the baseline and throws
 * `DriftDetectedError` when they differ (so a pipeline gets a non-zero
 * exit). With `accept`, takes the ledger lock, stores the live schemas as
 * the new baseline, and records the reason and the accepted differences in
 * the run history (action `drift-accept`).
 *
 * @example
 * await driftCommand({ db, logger }, { actor: 'cli:me', accept: { reason: 'index added during the incident' } }, settings);
 */
export async function driftCommand(deps: { db: MigrationDatabase; logger: Logger }, request: DriftRequest, settings: Pick<RunSettings, 'lockWaitMs'>): Promise<DriftResult> {
  if (request.accept === undefined) {
    const report = await deps.db.withReader((reader) => reader.readDrift());
    if (report.differences.length > 0) throw new DriftDetectedError(report.ledgerSchema, report.differences, false);
    deps.logger.info('drift.checked', { ledgerSchema: report.ledgerSchema, baseline: report.baseline, differences: 0 });
    const { ledgerSchema, baseline, stale, serverUpgrade } = report;
    return { ok: true, action: Action.DRIFT, ledgerSchema, baseline, stale, ...(serverUpgrade ? { serverUpgrade } : {}), differences: [] };
  }
  const { reason } = request.accept;
  return deps.db.withLock({ waitMs: settings.lockWaitMs }, async (session) => {
    const report: DriftReport = await session.readDrift();
    const runId = await session.startRun({ action: DRIFT_ACCEPT_ACTION, bundleId: '', actor: request.actor });
    const details = { reason, accepted: report.differences, hadBaseline: report.baseline };
    try {
      await session.storeBaseline();
    } catch (error) {
      await session.finishRun(runId, { outcome: RunOutcome.FAILED, applied: [], error: asRunnerError(error).toJSON(), details }).catch(() => undefined);
      throw error;
    }
    await session.finishRun(runId, { outcome: RunOutcome.SUCCEEDED, applied: [], details });
    deps.logger.info('drift.accepted', { ledgerSchema: report.ledgerSchema, accepted: report.differences.length, reason });
    const { ledgerSchema, baseline, stale, differences } = report;
    return { ok: true, action: Action.DRIFT, ledgerSchema, baseline, stale, differences, accepted: differences, reason };
  });
}
