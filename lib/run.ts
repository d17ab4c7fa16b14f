import { verifyClaims } from './core/bundle-claims';
import { analyse, plan, type PlanStep } from './core/plan';
import { asRunnerError, MigrationFailedError, MigrationRunnerError } from './core/errors';
import { normaliseSql } from './core/checksum';
import { splitStatements } from './core/sql-split';
import { Action, RunStatus, type AppliedEntry, type PlannedEntry, type RunResult } from './core/result';
import type { AppliedMigration } from './core/migration';
import { statusEntries } from './core/status';
import { DriftMode, type DriftReport } from './core/drift';
import { checkDrift, storeBaselineAfterRun } from './drift-check';
import { RunOutcome, type BundleSource, type Clock, type LedgerSession, type LoadedBundle, type Logger, type MigrationDatabase } from './ports';

/** What the engine needs from the outside world. */
export interface RunDependencies {
  source: BundleSource;
  db: MigrationDatabase;
  logger: Logger;
  clock: Clock;
}

/** Limits that come from configuration. */
export interface RunSettings {
  /** How long to wait for another run's lock, in ms. */
  lockWaitMs: number;
  /** `lock_timeout` for each migration, in ms (0 = none). */
  lockTimeoutMs: number;
  /** `statement_timeout` for each migration, in ms (0 = none). */
  statementTimeoutMs: number;
  /** On drift before a run applies anything: stop (`fail`, the default) or report and go on (`warn`). */
  drift?: DriftMode;
}

export interface RunRequest {
  action: 'plan' | 'migrate' | 'status';
  /** Who runs this, for the ledger: `cli:alice@laptop`, `lambda:<function>`. */
  actor: string;
  /** Epoch ms after which no migration may still be running (Lambda's clock). */
  deadline?: number;
  /** Time kept in reserve before the deadline, in ms. */
  safetyMarginMs?: number;
}

/**
 * The one orchestrator: load the verified bundle, then plan, show status or
 * migrate. `migrate` holds the ledger lock for the whole run, plans before
 * running anything, runs each migration in its own transaction, and stops
 * only between migrations when the deadline is near.
 *
 * @example
 * const result = await runMigrations({ source, db, logger, clock }, { action: 'migrate', actor: 'cli:me' }, settings);
 */
export async function runMigrations(deps: RunDependencies, request: RunRequest, settings: RunSettings): Promise<RunResult> {
  const started = deps.clock.now();
  const bundle = await deps.source.load();
  // No count of migrations here: a bundle pinned by its hash is decoded only if the run needs it.
  deps.logger.info('bundle.loaded', { bundle: bundle.id, origin: bundle.origin });
  try {
    if (request.action === 'migrate') return await migrate(deps, request, settings, bundle, started);
    return await readOnly(deps, request, bundle, started);
  } catch (error) {
    // Every failure after loading says which bundle it was about.
    const runnerError = asRunnerError(error);
    runnerError.details.bundleId ??= bundle.id;
    throw runnerError;
  }
}

function readOnly(deps: RunDependencies, request: RunRequest, bundle: LoadedBundle, started: number): Promise<RunResult> {
  return deps.db.withReader(async (reader) => {
    const ledger = await reader.readLedger();
    // Reported in the result, never refused: plan and status change nothing.
    const drift = await reader.readDrift();
    if (request.action === 'status') {
      const analysis = analyse(bundle.migrations, ledger.rows);
      const pending = analysis.steps.map((s) => s.migration.id);
      return result(Action.STATUS, bundle.id, pending.length > 0 ? RunStatus.PENDING : RunStatus.UP_TO_DATE, [], pending, deps.clock.now() - started, {
        migrations: statusEntries(bundle.migrations, ledger.rows, analysis),
        drift,
      });
    }
    const steps = planVerified(bundle, ledger.rows);
    deps.logger.info('plan.ready', { bundle: bundle.id, steps: steps.length });
    const pending = steps.map((s) => s.migration.id);
    return result(Action.PLAN, bundle.id, pending.length > 0 ? RunStatus.PENDING : RunStatus.UP_TO_DATE, [], pending, deps.clock.now() - started, {
      plan: steps.map(toPlannedEntry),
      drift,
    });
  });
}

async function migrate(deps: RunDependencies, request: RunRequest, settings: RunSettings, bundle: LoadedBundle, started: number): Promise<RunResult> {
  const lockWaitMs = Math.max(0, Math.min(settings.lockWaitMs, remainingMs(deps.clock, request) ?? Infinity));
  const timeouts = { lockTimeoutMs: settings.lockTimeoutMs, statementTimeoutMs: settings.statementTimeoutMs };
  return deps.db.withLock({ waitMs: lockWaitMs, timeouts }, async (session) => {
    deps.logger.info('lock.acquired', { bundle: bundle.id, waitedMs: deps.clock.now() - started });
    // Deploys that find nothing to do are the common case: one query answers them.
    if (await session.isMarkedComplete(bundle.id)) {
      deps.logger.info('plan.ready', { bundle: bundle.id, steps: 0, pending: [], reason: 'the ledger is as this bundle left it' });
      deps.logger.info('run.completed', { bundle: bundle.id, status: RunStatus.UP_TO_DATE, applied: 0 });
      return result(Action.MIGRATE, bundle.id, RunStatus.UP_TO_DATE, [], [], deps.clock.now() - started);
    }
    const ledger = await session.readLedger();
    let steps: PlanStep[];
    let drift: DriftReport;
    try {
      steps = planVerified(bundle, ledger.rows);
      deps.logger.info('plan.ready', { bundle: bundle.id, migrations: bundle.migrations.length, steps: steps.length, pending: steps.map((s) => s.migration.id) });
      if (steps.length === 0) return await upToDate(deps, session, bundle.id, started);
      // After planning, under the lock, before the first step: a refused run changed nothing.
      drift = await checkDrift(session, deps.logger, settings.drift ?? DriftMode.FAIL);
    } catch (error) {
      await recordRefusal(session, deps.logger, request, bundle.id, error);
      throw error;
    }
    const runId = await session.startRun({ action: Action.MIGRATE, bundleId: bundle.id, actor: request.actor });
    const applied: AppliedEntry[] = [];
    try {
      // A no-transaction migration may fail part-way: the baseline is stored before it, never with its partial effects.
      const checkpoint = (): Promise<void> => (applied.length > 0 ? storeBaselineAfterRun(session, deps.logger, drift) : Promise.resolve());
      const done = await runSteps(deps, request, settings, session, { bundleId: bundle.id, runId, checkpoint }, steps, applied);
      const pending = steps.slice(done).map((s) => s.migration.id);
      const status = pending.length > 0 ? RunStatus.INCOMPLETE : RunStatus.APPLIED;
      await storeBaselineAfterRun(session, deps.logger, drift);
      await session.finishRun(runId, { outcome: pending.length > 0 ? RunOutcome.INCOMPLETE : RunOutcome.SUCCEEDED, applied: applied.map((a) => a.id) });
      if (pending.length === 0) await markComplete(session, deps.logger, bundle.id);
      deps.logger.info('run.completed', { bundle: bundle.id, status, applied: applied.length, pending: pending.length });
      return result(Action.MIGRATE, bundle.id, status, applied, pending, deps.clock.now() - started, drift.differences.length > 0 ? { drift } : {});
    } catch (caught) {
      const error = asRunnerError(caught);
      error.details.applied = applied;
      // The migrations committed before the failure are the schema now; a failed transactional one left nothing.
      if (applied.length > 0 && steps[applied.length]?.migration.directives.noTransaction !== true) await storeBaselineAfterRun(session, deps.logger, drift);
      await finishFailed(session, deps.logger, runId, applied, error);
      throw error;
    }
  });
}

/** Nothing to run: the mark for the fast path, and a first baseline on a ledger that has none. */
async function upToDate(deps: RunDependencies, session: LedgerSession, bundleId: string, started: number): Promise<RunResult> {
  await markComplete(session, deps.logger, bundleId);
  await session.storeBaseline(true).catch((error: unknown) => deps.logger.warn('drift.baseline_not_stored', { reason: asRunnerError(error).message }));
  deps.logger.info('run.completed', { bundle: bundleId, status: RunStatus.UP_TO_DATE, applied: 0 });
  return result(Action.MIGRATE, bundleId, RunStatus.UP_TO_DATE, [], [], deps.clock.now() - started);
}

/**
 * The plan, once what it would run is known to say what its SQL says: a
 * bundle pinned by its hash was loaded without recomputing its claims, so
 * they are recomputed here for the steps (nothing, when nothing is pending).
 */
function planVerified(bundle: LoadedBundle, ledger: readonly AppliedMigration[]): PlanStep[] {
  const steps = plan(bundle.migrations, ledger);
  if (!bundle.allVerified) verifyClaims(bundle.migrations, steps.map((s) => s.migration), bundle.origin);
  return steps;
}

/** Runs steps in order; returns how many ran. Stops early only between steps, when time runs out. */
async function runSteps(
  deps: RunDependencies,
  request: RunRequest,
  settings: RunSettings,
  session: LedgerSession,
  run: { bundleId: string; runId: number; checkpoint: () => Promise<void> },
  steps: PlanStep[],
  applied: AppliedEntry[],
): Promise<number> {
  for (let index = 0; index < steps.length; index += 1) {
    const { kind, migration } = steps[index] as PlanStep;
    const remaining = remainingMs(deps.clock, request);
    if (remaining !== null && remaining <= 0) {
      deps.logger.warn('run.stopped', { reason: 'deadline', next: migration.id, pending: steps.length - index });
      return index;
    }
    if (kind === 'record') {
      await session.record({ migration, bundleId: run.bundleId, runId: run.runId, appliedBy: request.actor });
      applied.push({ id: migration.id, durationMs: 0, method: 'recorded' });
      deps.logger.info('migration.recorded', { id: migration.id, reason: 'every migration it replaces is applied' });
      continue;
    }
    if (migration.directives.noTransaction) await run.checkpoint();
    deps.logger.info('migration.started', { id: migration.id, file: migration.file, noTransaction: migration.directives.noTransaction });
    const statementTimeoutMs = capTimeout(settings.statementTimeoutMs, remaining);
    let durationMs: number;
    try {
      ({ durationMs } = await session.apply({
        migration,
        statements: splitStatements(normaliseSql(migration.sql)),
        bundleId: run.bundleId,
        runId: run.runId,
        appliedBy: request.actor,
        lockTimeoutMs: capTimeout(settings.lockTimeoutMs, remaining),
        statementTimeoutMs,
      }));
    } catch (error) {
      if (!cutByDeadline(error, index, migration.directives.noTransaction, remaining !== null && (settings.statementTimeoutMs === 0 || statementTimeoutMs < settings.statementTimeoutMs))) throw error;
      deps.logger.warn('run.stopped', { reason: 'deadline', next: migration.id, pending: steps.length - index, rolledBack: true });
      return index;
    }
    applied.push({ id: migration.id, durationMs, method: 'executed' });
    deps.logger.info('migration.applied', { id: migration.id, durationMs });
  }
  return steps.length;
}

/**
 * A transactional migration cancelled by a statement_timeout that was
 * shortened to fit the deadline rolled back cleanly: it is not a failure but
 * the end of this invocation's time, and the next one runs it with a full
 * budget. The first migration of a run had the whole budget, so for it the
 * timeout is a real failure (it cannot fit at all).
 */
function cutByDeadline(error: unknown, index: number, noTransaction: boolean, capped: boolean): boolean {
  return capped && index > 0 && !noTransaction && error instanceof MigrationFailedError && error.failure.sqlstate === '57014';
}

/** Milliseconds left before the deadline minus the safety margin, or null without a deadline. */
function remainingMs(clock: Clock, request: RunRequest): number | null {
  if (request.deadline === undefined) return null;
  return request.deadline - (request.safetyMarginMs ?? 0) - clock.now();
}

/** A configured timeout (0 = none), capped to the time left. */
function capTimeout(configured: number, remaining: number | null): number {
  if (remaining === null) return configured;
  const left = Math.max(1, Math.floor(remaining));
  return configured === 0 ? left : Math.min(configured, left);
}

/** The mark only spares the next run some work: failing to write it fails nothing. */
async function markComplete(session: LedgerSession, logger: Logger, bundleId: string): Promise<void> {
  try {
    await session.markComplete(bundleId);
  } catch (error) {
    logger.warn('ledger.mark_not_written', { reason: asRunnerError(error).message });
  }
}

async function recordRefusal(session: LedgerSession, logger: Logger, request: RunRequest, bundleId: string, error: unknown): Promise<void> {
  try {
    const runId = await session.startRun({ action: Action.MIGRATE, bundleId, actor: request.actor });
    await finishFailed(session, logger, runId, [], asRunnerError(error));
  } catch (secondary) {
    logger.warn('run.history_not_written', { reason: asRunnerError(secondary).message });
  }
}

async function finishFailed(session: LedgerSession, logger: Logger, runId: number, applied: AppliedEntry[], error: MigrationRunnerError): Promise<void> {
  logger.error('run.failed', { code: error.code, message: error.message, applied: applied.length });
  try {
    const { applied: _omit, ...json } = error.toJSON();
    await session.finishRun(runId, { outcome: RunOutcome.FAILED, applied: applied.map((a) => a.id), error: json });
  } catch (secondary) {
    // The connection may be gone; the original error matters more than the history row.
    logger.warn('run.history_not_written', { runId, reason: asRunnerError(secondary).message });
  }
}

function toPlannedEntry(step: PlanStep): PlannedEntry {
  return { id: step.migration.id, file: step.migration.file, kind: step.kind, noTransaction: step.migration.directives.noTransaction };
}

function result(
  action: RunResult['action'],
  bundleId: string,
  status: RunStatus,
  applied: AppliedEntry[],
  pending: string[],
  durationMs: number,
  extra: Pick<RunResult, 'plan' | 'migrations' | 'drift'> = {},
): RunResult {
  return { ok: true, action, bundleId, status, applied, pending, ...extra, durationMs };
}
