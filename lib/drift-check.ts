/**
 * Drift around a run: checked before a run applies anything, and the
 * baseline stored again after it. The up-to-date fast path does neither:
 * it changes nothing, so nothing can go wrong because of drift there.
 */
import { driftLines, DriftMode, nothingComparedBecause, type DriftReport } from './core/drift';
import { asRunnerError, DriftDetectedError } from './core/errors';
import { objectKey, type SchemaDifference } from './core/schema';
import type { LedgerReader, LedgerSession, Logger } from './ports';

/** The pending migrations that make some of the differences (see `pendingMakersOf`), for the remedy of DRIFT_DETECTED. */
export type DriftMakers = (differences: readonly SchemaDifference[]) => string[];

/**
 * Compares the live schemas with the baseline. No baseline: nothing to
 * compare (logged). Differences: `fail` throws `DriftDetectedError`
 * (nothing has run yet), naming the pending migrations `makersOf` finds
 * for them; `warn` logs `drift.detected` and returns them.
 *
 * @example
 * const before = await checkDrift(session, logger, 'fail');
 */
export async function checkDrift(reader: Pick<LedgerReader, 'readDrift'>, logger: Logger, mode: DriftMode, makersOf?: DriftMakers): Promise<DriftReport> {
  const report = await reader.readDrift();
  if (!report.baseline) {
    const reason = `${nothingComparedBecause(report)}: this run stores ${report.stale ? 'a new one' : 'the first one'}`;
    // After an upgrade, a change made by hand since the last run cannot be told from the new wording: a person should know.
    if (report.serverUpgrade) logger.warn('drift.skipped', { reason, serverUpgrade: report.serverUpgrade });
    else logger.info('drift.skipped', { reason });
    return report;
  }
  if (report.differences.length === 0) {
    logger.debug('drift.checked', { differences: 0 });
    return report;
  }
  if (mode === DriftMode.FAIL) throw new DriftDetectedError(report.ledgerSchema, report.differences, true, makersOf?.(report.differences) ?? []);
  logger.warn('drift.detected', { ledgerSchema: report.ledgerSchema, count: report.differences.length, differences: driftLines(report.differences) });
  return report;
}

/** A drift read sent before it is needed (see {@link readDriftAhead}). */
export interface DriftAhead {
  /** {@link checkDrift} on the report read ahead. */
  check(logger: Logger, mode: DriftMode, makersOf?: DriftMakers): Promise<DriftReport>;
  /** Resolves once the read is over, whatever its outcome: the session serves nothing else before. */
  settled(): Promise<void>;
}

/**
 * Starts reading the drift report now, for a {@link checkDrift} later: on a
 * pipelined session, sent right behind the ledger read, the server compares
 * the stamps while the client plans. Unused (a refused or empty plan), it
 * cost a read and nothing else; its error, if any, is thrown by `check`.
 *
 * @example
 * const drift = readDriftAhead(session);
 * const steps = planVerified(bundle, (await session.readLedger()).rows);
 * const report = await drift.check(logger, 'fail');
 */
export function readDriftAhead(reader: Pick<LedgerReader, 'readDrift'>): DriftAhead {
  const read = reader.readDrift();
  const over = read.then(
    () => undefined,
    () => undefined,
  );
  return { check: (logger, mode, makersOf) => checkDrift({ readDrift: () => read }, logger, mode, makersOf), settled: () => over };
}

/**
 * Stores the live schemas as the new baseline after a run that changed
 * them. Drift reported before the run (setting `warn`) stays drift: those
 * objects keep their old baseline definitions, so the next run reports them
 * again. A baseline that cannot be stored fails nothing: the migrations are
 * applied; the next run may then report their objects as drift.
 *
 * @example
 * await storeBaselineAfterRun(session, logger, before);
 */
export async function storeBaselineAfterRun(session: LedgerSession, logger: Logger, before: DriftReport): Promise<void> {
  try {
    await session.storeBaseline();
    if (before.differences.length > 0) {
      const expected = before.differences.flatMap((d) => (d.expected === null ? [] : [{ kind: d.kind, name: d.name, definition: d.expected }]));
      await session.replaceBaselineObjects(before.differences.map(objectKey), expected, false);
    }
    logger.debug('drift.baseline_stored', {});
  } catch (error) {
    logger.warn('drift.baseline_not_stored', {
      reason: asRunnerError(error).message,
      remedy: 'The next run may report objects of this run as drift; check with `stagegate drift` and accept them.',
    });
  }
}

/**
 * A run with nothing to do stores a first baseline on a ledger that has none
 * usable (none, or a stale one); one that cannot be stored fails nothing.
 *
 * @example
 * await storeFirstBaseline(session, logger);
 */
export async function storeFirstBaseline(session: LedgerSession, logger: Logger): Promise<void> {
  try {
    await session.storeBaseline(true);
  } catch (error) {
    logger.warn('drift.baseline_not_stored', { reason: asRunnerError(error).message });
  }
}
